package io.umiflow.actors;

/**
 * Consecutive whole position groups, as the grouper hands them to a processor: the primary records of
 * every template copied back to back into {@code data}, and per template the offsets of its R1 and R2
 * (-1 when absent), whether R1 is the genomically earlier end, and the number of its first record in
 * the input (for messages). {@code groupStart[g]} is the first template of group g; a sentinel ends it.
 * {@code credit} is what the batch holds in the batches account until the writer has written it. Once
 * the batch is encoded, {@code data} goes back to {@code recycle} when that is not null.
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
    long credit,
    ByteArrayPool recycle) {

  /** A batch whose data array is not reused. */
  Batch(long seq, byte[] data, int dataLength, int templates, int[] r1, int[] r2, boolean[] r1Earlier,
        long[] recordNumber, int groups, int[] groupStart, int records, long credit) {
    this(seq, data, dataLength, templates, r1, r2, r1Earlier, recordNumber, groups, groupStart, records, credit, null);
  }

  /** Hands {@code data} back for reuse: call once, when nothing reads this batch's records any more. */
  void recycleData() {
    if (recycle != null) {
      recycle.give(data);
    }
  }

  /** Upper bound of this batch's output size before compression: every record gains a tag of 32 bytes at most. */
  long outputBound() {
    return dataLength + 32L * records;
  }

  /**
   * The credit a batch of this shape needs from the moment it is cut until a processor has compressed it:
   * its data and per-template arrays, the processor's per-template state, and the compressed output at
   * worst (stored blocks). Output is encoded through a small per-processor buffer, so no uncompressed copy
   * of the batch exists. Once compressed, the processor gives back all but the compressed bytes.
   */
  static long creditFor(int dataCapacity, int templateCapacity, int records, int dataLength) {
    long output = dataLength + 32L * records;
    long compressed = (output / io.umiflow.codec.Bgzf.MAX_PAYLOAD + 1) * io.umiflow.codec.Bgzf.MAX_BLOCK_SIZE;
    return dataCapacity + 17L * templateCapacity + 32L * templateCapacity + compressed + 1024;
  }

  /** The credit a compressed batch keeps until written: its blocks plus bookkeeping. */
  static long compressedCredit(long compressedBytes, int blocks) {
    return compressedBytes + 16L * blocks + 256;
  }
}
