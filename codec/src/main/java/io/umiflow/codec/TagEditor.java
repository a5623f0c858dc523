package io.umiflow.codec;

/**
 * Writes a copy of a BAM record with one {@code Z} tag set: replaced where it stood when present (so tag
 * order is kept), appended otherwise. Every other byte is copied unchanged. One pass, one copy.
 */
public final class TagEditor {
  private TagEditor() {}

  /** Upper bound of the copy's size: the record plus a new tag of {@code valueLength} bytes. */
  public static int maxEditedSize(byte[] src, int off, int valueLength) {
    return BamRecord.totalSize(src, off) + 4 + valueLength;
  }

  /**
   * Copies the record at {@code src[off]} into {@code dst[dstOff]} with tag {@code t0t1} set to
   * {@code value[0..valueLength)} as type Z. Returns the bytes written.
   */
  public static int copyWithStringTag(byte[] src, int off, char t0, char t1, byte[] value, int valueLength,
                                      byte[] dst, int dstOff) {
    int end = off + BamRecord.totalSize(src, off);
    return copyReplacing(src, off, end, BamRecord.findTag(src, off, t0, t1), t0, t1, value, valueLength, dst, dstOff);
  }

  /**
   * {@link #copyWithStringTag} for a record known not to hold tag {@code t0t1} (its layout check saw none):
   * the tag is appended without first walking the record's tags to look for it.
   */
  public static int copyAppendingStringTag(byte[] src, int off, char t0, char t1, byte[] value, int valueLength,
                                           byte[] dst, int dstOff) {
    return copyReplacing(src, off, off + BamRecord.totalSize(src, off), -1, t0, t1, value, valueLength, dst, dstOff);
  }

  /** The copy, with the tag whose type byte is at {@code type} replaced (appended when {@code type < 0}). */
  private static int copyReplacing(byte[] src, int off, int end, int type, char t0, char t1, byte[] value,
                                   int valueLength, byte[] dst, int dstOff) {
    int cut;
    int resume;
    if (type < 0) {
      cut = end;
      resume = end;
    } else {
      cut = type - 2;
      resume = BamRecord.skipTagValue(src, type, end);
      if (resume < 0) {
        resume = end;
      }
    }
    int p = dstOff;
    System.arraycopy(src, off, dst, p, cut - off);
    p += cut - off;
    dst[p++] = (byte) t0;
    dst[p++] = (byte) t1;
    dst[p++] = 'Z';
    System.arraycopy(value, 0, dst, p, valueLength);
    p += valueLength;
    dst[p++] = 0;
    System.arraycopy(src, resume, dst, p, end - resume);
    p += end - resume;
    BamRecord.putI32(dst, dstOff, p - dstOff - 4);
    return p - dstOff;
  }
}
