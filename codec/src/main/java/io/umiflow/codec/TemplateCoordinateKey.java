package io.umiflow.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * One record's place in samtools' template-coordinate order ({@code samtools sort --template-coordinate},
 * Debian's 1.16), computed from its raw BAM bytes: both ends' unclipped 5' positions (the mate's from its
 * {@code MC} tag), lower end first, then library, molecular identifier, read name, and which end of the pair
 * this record is. Records of one template share every field but the last, so the order keeps a template's
 * records together. Equal keys keep their input order (samtools' sort is stable).
 *
 * <p>The reference implementation for the sort: plain objects, about 150 bytes per record. A fast sort
 * packs the numeric fields into primitive arrays and compares the same way.
 *
 * @param tid1     reference of the lower end (unmapped: {@link Integer#MAX_VALUE})
 * @param tid2     reference of the upper end
 * @param pos1     unclipped 5' position of the lower end, 1-based (unmapped: {@link Long#MAX_VALUE})
 * @param pos2     of the upper end
 * @param neg1     the lower end is reverse-strand
 * @param neg2     the upper end is reverse-strand
 * @param library  the read group's {@code LB}, or empty
 * @param mid      the {@code MI} tag without a trailing {@code /A} or {@code /B}, or empty
 * @param name     the read name (without its NUL)
 * @param upper    this record is the upper end of its pair
 */
public record TemplateCoordinateKey(int tid1, int tid2, long pos1, long pos2, boolean neg1, boolean neg2,
                                    byte[] library, byte[] mid, byte[] name, boolean upper)
    implements Comparable<TemplateCoordinateKey> {

  private static final byte[] EMPTY = new byte[0];

  /**
   * The key of the record at {@code rec} in {@code b}; {@code libraries} maps read group IDs to libraries
   * ({@link BamHeader#librariesByReadGroup()} entries whose value is {@code "unknown"} count as no library).
   *
   * @throws InputFormatException when a paired record with a mapped mate has no {@code MC} tag (samtools
   *                              needs it too; {@code samtools fixmate -m} adds it), or a tag has the wrong type
   */
  public static TemplateCoordinateKey of(byte[] b, int rec, Map<String, String> libraries, String source,
                                         long recordNumber) throws InputFormatException {
    int flag = BamRecord.flag(b, rec);
    int end = rec + BamRecord.totalSize(b, rec);
    int tid1 = Integer.MAX_VALUE;
    int tid2 = Integer.MAX_VALUE;
    long pos1 = Long.MAX_VALUE;
    long pos2 = Long.MAX_VALUE;
    boolean neg1 = false;
    boolean neg2 = false;
    if ((flag & BamRecord.FLAG_UNMAPPED) == 0) {
      tid1 = BamRecord.refId(b, rec);
      neg1 = (flag & BamRecord.FLAG_REVERSE) != 0;
      pos1 = neg1 ? unclippedEnd(b, rec) : unclippedStart(b, rec);
    }
    if ((flag & BamRecord.FLAG_PAIRED) != 0 && (flag & BamRecord.FLAG_MATE_UNMAPPED) == 0) {
      String mc = stringTag(b, rec, end, 'M', 'C', source, recordNumber);
      if (mc == null) {
        throw new InputFormatException(source + ": record " + recordNumber + " (read " + BamRecord.readName(b, rec)
            + ") is paired with a mapped mate but has no MC tag; add it with samtools fixmate -m");
      }
      tid2 = BamRecord.mateRefId(b, rec);
      neg2 = (flag & BamRecord.FLAG_MATE_REVERSE) != 0;
      long mpos = BamRecord.matePos(b, rec);
      pos2 = neg2 ? mateUnclippedEnd(mpos, mc) : mateUnclippedStart(mpos, mc);
    }
    String lb = null;
    String rg = stringTag(b, rec, end, 'R', 'G', source, recordNumber);
    if (rg != null) {
      lb = libraries.get(rg);
    }
    byte[] library = lb == null || lb.equals("unknown") ? EMPTY : lb.getBytes(StandardCharsets.UTF_8);
    String mi = stringTag(b, rec, end, 'M', 'I', source, recordNumber);
    byte[] mid = mi == null ? EMPTY : withoutStrandSuffix(mi.getBytes(StandardCharsets.UTF_8));
    int nameLength = BamRecord.readNameLength(b, rec) - 1;
    byte[] name = Arrays.copyOfRange(b, BamRecord.readNameOffset(rec), BamRecord.readNameOffset(rec) + nameLength);
    boolean upper = !(tid1 < tid2 || (tid1 == tid2 && pos1 < pos2) || (tid1 == tid2 && pos1 == pos2 && !neg1));
    if (upper) {
      return new TemplateCoordinateKey(tid2, tid1, pos2, pos1, neg2, neg1, library, mid, name, true);
    }
    return new TemplateCoordinateKey(tid1, tid2, pos1, pos2, neg1, neg2, library, mid, name, false);
  }

  @Override
  public int compareTo(TemplateCoordinateKey o) {
    int c = Integer.compare(tid1, o.tid1);
    if (c == 0) {
      c = Integer.compare(tid2, o.tid2);
    }
    if (c == 0) {
      c = Long.compare(pos1, o.pos1);
    }
    if (c == 0) {
      c = Long.compare(pos2, o.pos2);
    }
    if (c == 0) {
      c = Boolean.compare(o.neg1, neg1); // reverse strand first
    }
    if (c == 0) {
      c = Boolean.compare(o.neg2, neg2);
    }
    if (c == 0) {
      c = Arrays.compareUnsigned(library, o.library);
    }
    if (c == 0) {
      c = Arrays.compareUnsigned(mid, o.mid);
    }
    if (c == 0) {
      c = Arrays.compareUnsigned(name, o.name);
    }
    if (c == 0) {
      c = Boolean.compare(upper, o.upper); // the lower end first
    }
    return c;
  }

  /** Unclipped start, 1-based: alignment start minus leading soft and hard clips. */
  static long unclippedStart(byte[] b, int rec) {
    int c = BamRecord.cigarOffset(b, rec);
    int n = BamRecord.cigarCount(b, rec);
    long clipped = 0;
    for (int i = 0; i < n; i++) {
      int v = BamRecord.i32(b, c + 4 * i);
      int op = v & 0xf;
      if (op != 4 && op != 5) {
        break;
      }
      clipped += v >>> 4;
    }
    return BamRecord.pos(b, rec) - clipped + 1;
  }

  /** Unclipped end, 1-based inclusive: alignment end plus trailing soft and hard clips. */
  static long unclippedEnd(byte[] b, int rec) {
    int c = BamRecord.cigarOffset(b, rec);
    int n = BamRecord.cigarCount(b, rec);
    int refLength = BamRecord.referenceLength(b, rec);
    long end = BamRecord.pos(b, rec) + (refLength == 0 ? 1 : refLength); // htslib's bam_endpos
    for (int i = n - 1; i >= 0; i--) {
      int v = BamRecord.i32(b, c + 4 * i);
      int op = v & 0xf;
      if (op != 4 && op != 5) {
        break;
      }
      end += v >>> 4;
    }
    return end;
  }

  /** The mate's unclipped start from its 0-based position and CIGAR text, 1-based. */
  static long mateUnclippedStart(long mpos, String cigar) {
    long clipped = 0;
    for (long op : cigarText(cigar)) {
      char code = (char) (op & 0xff);
      if (code != 'S' && code != 'H') {
        break;
      }
      clipped += op >>> 8;
    }
    return mpos - clipped + 1;
  }

  /** The mate's unclipped end, 1-based inclusive: reference bases plus the clips after the first of them. */
  static long mateUnclippedEnd(long mpos, String cigar) {
    long refpos = 0;
    boolean leading = true;
    for (long op : cigarText(cigar)) {
      switch ((char) (op & 0xff)) {
        case 'M', 'D', 'N', '=', 'X' -> {
          refpos += op >>> 8;
          leading = false;
        }
        case 'S', 'H' -> refpos += leading ? 0 : op >>> 8;
        default -> { }
      }
    }
    return mpos + refpos;
  }

  /**
   * The operations of a CIGAR string as samtools reads the {@code MC} tag: each {@code length << 8 | code}, a
   * missing length counting 1, up to the end or a {@code *}.
   */
  static long[] cigarText(String cigar) {
    long[] ops = new long[cigar.length()];
    int n = 0;
    int i = 0;
    while (i < cigar.length() && cigar.charAt(i) != '*') {
      long num = 0;
      int start = i;
      while (i < cigar.length() && Character.isDigit(cigar.charAt(i))) {
        num = num * 10 + (cigar.charAt(i++) - '0');
      }
      if (i >= cigar.length()) {
        break;
      }
      ops[n++] = (i == start ? 1 : num) << 8 | cigar.charAt(i++);
    }
    return Arrays.copyOf(ops, n);
  }

  /** {@code mi} without a trailing slash and one character ({@code 12/A} -> {@code 12}). */
  static byte[] withoutStrandSuffix(byte[] mi) {
    int n = mi.length;
    return n >= 2 && mi[n - 2] == '/' ? Arrays.copyOf(mi, n - 2) : mi;
  }

  /** A string tag's value, or null when absent; a tag of another type is an error, as in samtools. */
  private static String stringTag(byte[] b, int rec, int end, char t0, char t1, String source, long recordNumber)
      throws InputFormatException {
    int at = BamRecord.findTag(b, rec, t0, t1);
    if (at < 0) {
      return null;
    }
    if (b[at] != 'Z') {
      throw new InputFormatException(source + ": record " + recordNumber + " (read " + BamRecord.readName(b, rec)
          + ") has a " + t0 + t1 + " tag of type " + (char) b[at] + ", not a string");
    }
    int len = BamRecord.stringLength(b, at, end);
    return new String(b, at + 1, len, StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TemplateCoordinateKey k && compareTo(k) == 0;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(name) * 31 + Long.hashCode(pos1);
  }

  @Override
  public String toString() {
    return "TemplateCoordinateKey(" + tid1 + ":" + pos1 + (neg1 ? "-" : "+") + ", " + tid2 + ":" + pos2
        + (neg2 ? "-" : "+") + ", " + new String(library, StandardCharsets.UTF_8) + ", "
        + new String(mid, StandardCharsets.UTF_8) + ", " + new String(name, StandardCharsets.UTF_8)
        + (upper ? ", upper" : "") + ")";
  }
}
