package io.umiflow.actors.batch;

import io.umiflow.codec.BamRecord;
import io.umiflow.codec.TagEditor;

/**
 * The two edits every output record gets, shared by the in-memory and the out-of-core output: the molecule
 * id tag (decimal id, plus /A or /B for the paired strategy) and, when marking duplicates, the duplicate
 * flag. Static and allocation-free: it runs once per output record.
 */
public final class MoleculeIdTag {
  /** Room enough for any id: 19 digits and a strand suffix. */
  public static final int MAX_LENGTH = 24;

  private MoleculeIdTag() {}

  /** Writes the decimal id, plus /A or /B for the paired strategy, to {@code out}; returns its length. */
  public static int format(long id, boolean paired, boolean bStrand, byte[] out) {
    int len = 1;
    for (long p = 10; len < 19 && id >= p; p *= 10) {
      len++;
    }
    int at = len;
    if (id <= Integer.MAX_VALUE) { // int division: C1 does not turn division by 10 into a multiply
      int v = (int) id;
      do {
        int q = v / 10;
        out[--at] = (byte) ('0' + v - q * 10);
        v = q;
      } while (v > 0);
    } else {
      long v = id;
      do {
        long q = v / 10;
        out[--at] = (byte) ('0' + v - q * 10);
        v = q;
      } while (v > 0);
    }
    if (paired) {
      out[len++] = '/';
      out[len++] = (byte) (bStrand ? 'B' : 'A');
    }
    return len;
  }

  /**
   * Copies record {@code rec} of {@code src} to {@code out} at {@code at} with tag {@code assignTag} set to
   * {@code value[0..vlen)} and, when marking duplicates, the duplicate flag set or cleared; returns the bytes
   * written (at most {@link TagEditor#maxEditedSize}).
   */
  public static int write(byte[] src, int rec, byte[] assignTag, byte[] value, int vlen, boolean markDuplicates,
                          boolean duplicate, byte[] out, int at) {
    return write(src, rec, true, assignTag, value, vlen, markDuplicates, duplicate, out, at);
  }

  /**
   * {@link #write(byte[], int, byte[], byte[], int, boolean, boolean, byte[], int)} for a record that holds
   * the tag ({@code mayHoldTag}) or is known not to (the tag is then appended without a search).
   */
  public static int write(byte[] src, int rec, boolean mayHoldTag, byte[] assignTag, byte[] value, int vlen,
                          boolean markDuplicates, boolean duplicate, byte[] out, int at) {
    int n = mayHoldTag
        ? TagEditor.copyWithStringTag(src, rec, (char) assignTag[0], (char) assignTag[1], value, vlen, out, at)
        : TagEditor.copyAppendingStringTag(src, rec, (char) assignTag[0], (char) assignTag[1], value, vlen, out, at);
    if (markDuplicates) {
      int flag = BamRecord.flag(out, at);
      BamRecord.setFlag(out, at, duplicate ? flag | BamRecord.FLAG_DUPLICATE : flag & ~BamRecord.FLAG_DUPLICATE);
    }
    return n;
  }
}
