package io.umiflow.actors.batch;

import io.umiflow.actors.memory.ByteArrayPool;
import io.umiflow.actors.memory.MemoryPlan;

/**
 * Consecutive whole position groups, as the grouper hands them to a processor: the primary records of
 * every template copied back to back into {@code data}, and per template the offsets of its R1 and R2
 * (-1 when absent), whether R1 is the genomically earlier end, and the number of its first record in
 * the input (for messages). {@code groupStart[g]} is the first template of group g; a sentinel ends it.
 *
 * <p>{@code credit} is what the batch holds in the flow account from the cut until the writer has written
 * it: its arrays (data whole), the output (at worst) and the per-template results of assignment. What a
 * worker needs to assign it is taken separately, at the batch's priority. Once the batch is encoded,
 * {@code data} goes back to {@code recycle} with its share of the credit. {@code largestGroup},
 * {@code umiLengthBound} and {@code maxRecord} let the worker size that request before it reads anything.
 * {@code mayHoldAssignTag} is false when no record of the batch holds the tag the ids go into (the grouper's
 * layout check saw none so far in the input): the encoder then appends it without looking for it first.
 */
public record Batch(
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
    ByteArrayPool recycle,
    long largestGroup,
    int umiLengthBound,
    int maxRecord,
    boolean mayHoldAssignTag) {

  /** A batch whose data array is not reused, sized from its groups (tests). */
  public Batch(long seq, byte[] data, int dataLength, int templates, int[] r1, int[] r2, boolean[] r1Earlier,
        long[] recordNumber, int groups, int[] groupStart, int records, long credit) {
    this(seq, data, dataLength, templates, r1, r2, r1Earlier, recordNumber, groups, groupStart, records, credit, null,
        largest(groupStart, groups), MemoryPlan.ASSUMED_UMI_LENGTH, 64 << 10, true);
  }

  private static long largest(int[] groupStart, int groups) {
    long max = 0;
    for (int g = 0; g < groups; g++) {
      max = Math.max(max, groupStart[g + 1] - groupStart[g]);
    }
    return max;
  }

  /**
   * Hands {@code data} back for reuse, with its share of the credit: call once, when nothing reads this
   * batch's records any more. Returns the credit handed over (the caller holds the rest).
   */
  public long recycleData() {
    if (recycle != null) {
      recycle.give(data);
      return data.length;
    }
    return 0;
  }

  /** Upper bound of this batch's output size before compression: every record gains a tag of 32 bytes at most. */
  public long outputBound() {
    return dataLength + 32L * records;
  }

  /** The credit a compressed batch keeps until written: its blocks plus bookkeeping. */
  public static long compressedCredit(long compressedBytes, int blocks) {
    return compressedBytes + 16L * blocks + 256;
  }
}
