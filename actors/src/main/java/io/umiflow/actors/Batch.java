package io.umiflow.actors;

/**
 * Consecutive whole position groups, as the grouper hands them to a processor: the primary records of
 * every template copied back to back into {@code data}, and per template the offsets of its R1 and R2
 * (-1 when absent), whether R1 is the genomically earlier end, and the number of its first record in
 * the input (for messages). {@code groupStart[g]} is the first template of group g; a sentinel ends it.
 * {@code credit} is what the batch holds in the batches account until the writer has written it.
 */
record Batch(
    long seq,
    byte[] data,
    int dataLength,
    int templates,
    int[] r1,
    int[] r2,
    boolean[] r1Earlier,
    long[] recordNumber,
    int groups,
    int[] groupStart,
    int records,
    long credit) {

  /** Upper bound of this batch's output size before compression: every record gains a tag of 32 bytes at most. */
  long outputBound() {
    return dataLength + 32L * records;
  }

  /** Upper bound of the BGZF-compressed output (stored blocks at worst). */
  long compressedBound() {
    long blocks = outputBound() / io.umiflow.codec.Bgzf.MAX_PAYLOAD + 1;
    return blocks * io.umiflow.codec.Bgzf.MAX_BLOCK_SIZE;
  }

  /** The credit a batch of this shape needs: its data and arrays, the output and compressed output bounds, and processing state. */
  static long creditFor(int dataCapacity, int templateCapacity, int records, int dataLength) {
    long output = dataLength + 32L * records;
    long compressed = (output / io.umiflow.codec.Bgzf.MAX_PAYLOAD + 1) * io.umiflow.codec.Bgzf.MAX_BLOCK_SIZE;
    return dataCapacity + 17L * templateCapacity + 4L * 8 + output + compressed + 32L * templateCapacity + 1024;
  }
}
