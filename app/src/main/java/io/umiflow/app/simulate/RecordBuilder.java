package io.umiflow.app.simulate;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Encodes simulated BAM records straight into bytes: no htsjdk objects, so the simulator runs at
 * compression speed. Fields are set in order: {@link #start}, then tags, then {@link #finish}.
 */
final class RecordBuilder {
  private static final byte[] BASE_CODES = {1, 2, 4, 8}; // A C G T in BAM's 4-bit code

  private byte[] buf = new byte[1 << 20];
  private int len;
  private int recordStart;

  int length() {
    return len;
  }

  byte[] buffer() {
    return buf;
  }

  void clear() {
    len = 0;
  }

  /** Forgets everything written after {@code length}. */
  void truncate(int length) {
    len = length;
  }

  /** Copies the bytes of records written since {@code from}. */
  byte[] copy(int from) {
    return Arrays.copyOfRange(buf, from, len);
  }

  private void ensure(int n) {
    if (len + n > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
    }
  }

  private void i32(int v) {
    buf[len++] = (byte) v;
    buf[len++] = (byte) (v >>> 8);
    buf[len++] = (byte) (v >>> 16);
    buf[len++] = (byte) (v >>> 24);
  }

  private void u16(int v) {
    buf[len++] = (byte) v;
    buf[len++] = (byte) (v >>> 8);
  }

  /**
   * Starts a record with its fixed fields, name, CIGAR, random sequence and qualities.
   *
   * @param cigar ops as BAM encodes them ({@code length << 4 | op}); empty for unmapped reads
   */
  void start(String name, int flag, int refId, int pos, int mapq, int[] cigar, int mateRefId, int matePos, int tlen,
             int readLength, java.util.SplittableRandom rnd) {
    byte[] n = name.getBytes(StandardCharsets.US_ASCII);
    ensure(64 + n.length + 4 * cigar.length + readLength * 2 + 256);
    recordStart = len;
    i32(0); // block_size, patched in finish()
    i32(refId);
    i32(pos);
    buf[len++] = (byte) (n.length + 1);
    buf[len++] = (byte) mapq;
    u16(bin(pos, pos + Math.max(1, referenceLength(cigar))));
    u16(cigar.length);
    u16(flag);
    i32(readLength);
    i32(mateRefId);
    i32(matePos);
    i32(tlen);
    System.arraycopy(n, 0, buf, len, n.length);
    len += n.length;
    buf[len++] = 0;
    for (int op : cigar) {
      i32(op);
    }
    long bits = 0;
    int left = 0;
    for (int i = 0; i < readLength; i += 2) {
      if (left < 2) {
        bits = rnd.nextLong();
        left = 32;
      }
      int hi = BASE_CODES[(int) (bits & 3)];
      int lo = i + 1 < readLength ? BASE_CODES[(int) ((bits >>> 2) & 3)] : 0;
      bits >>>= 4;
      left -= 2;
      buf[len++] = (byte) (hi << 4 | lo);
    }
    // qualities: runs of one value, as real data has, so they compress like real data
    int q = 30 + rnd.nextInt(11);
    for (int i = 0; i < readLength; i++) {
      if ((i & 7) == 0 && rnd.nextInt(4) == 0) {
        q = 10 + rnd.nextInt(31);
      }
      buf[len++] = (byte) q;
    }
  }

  void tagZ(String tag, String value) {
    byte[] v = value.getBytes(StandardCharsets.US_ASCII);
    ensure(4 + v.length);
    buf[len++] = (byte) tag.charAt(0);
    buf[len++] = (byte) tag.charAt(1);
    buf[len++] = 'Z';
    System.arraycopy(v, 0, buf, len, v.length);
    len += v.length;
    buf[len++] = 0;
  }

  void tagC(String tag, int value) {
    ensure(4);
    buf[len++] = (byte) tag.charAt(0);
    buf[len++] = (byte) tag.charAt(1);
    buf[len++] = 'C';
    buf[len++] = (byte) value;
  }

  void finish() {
    int size = len - recordStart - 4;
    buf[recordStart] = (byte) size;
    buf[recordStart + 1] = (byte) (size >>> 8);
    buf[recordStart + 2] = (byte) (size >>> 16);
    buf[recordStart + 3] = (byte) (size >>> 24);
  }

  static int referenceLength(int[] cigar) {
    int n = 0;
    for (int op : cigar) {
      int code = op & 0xf;
      if (code == 0 || code == 2 || code == 3 || code == 7 || code == 8) {
        n += op >>> 4;
      }
    }
    return n;
  }

  /** The UCSC bin of a 0-based half-open interval (SAM spec 5.3). */
  static int bin(int beg, int end) {
    if (beg < 0) {
      return 4680;
    }
    --end;
    if (beg >> 14 == end >> 14) return ((1 << 15) - 1) / 7 + (beg >> 14);
    if (beg >> 17 == end >> 17) return ((1 << 12) - 1) / 7 + (beg >> 17);
    if (beg >> 20 == end >> 20) return ((1 << 9) - 1) / 7 + (beg >> 20);
    if (beg >> 23 == end >> 23) return ((1 << 6) - 1) / 7 + (beg >> 23);
    if (beg >> 26 == end >> 26) return ((1 << 3) - 1) / 7 + (beg >> 26);
    return 0;
  }

  static String cigarString(int[] cigar) {
    StringBuilder b = new StringBuilder();
    for (int op : cigar) {
      b.append(op >>> 4).append("MIDNSHP=X".charAt(op & 0xf));
    }
    return b.length() == 0 ? "*" : b.toString();
  }
}
