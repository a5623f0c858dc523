package io.umiflow.codec;

import java.nio.charset.StandardCharsets;

/**
 * Field access for one BAM record held in a byte array, without decoding it into an object. Every method
 * takes the array and the offset of the record's leading {@code block_size} field; nothing is copied or
 * allocated except by the methods that return a {@link String} (for messages and tests).
 *
 * <p>Layout (SAM spec 4.2): block_size, refID, pos, l_read_name, mapq, bin, n_cigar_op, flag, l_seq,
 * next_refID, next_pos, tlen, read_name, cigar, seq, qual, tags. Over 300 lines because it is the one
 * place that knows this layout: a flat list of small static accessors.
 */
public final class BamRecord {
  /** Paired in sequencing. */
  public static final int FLAG_PAIRED = 0x1;
  /** This read is unmapped. */
  public static final int FLAG_UNMAPPED = 0x4;
  /** The mate is unmapped. */
  public static final int FLAG_MATE_UNMAPPED = 0x8;
  /** This read is on the reverse strand. */
  public static final int FLAG_REVERSE = 0x10;
  /** The mate is on the reverse strand. */
  public static final int FLAG_MATE_REVERSE = 0x20;
  /** First of pair. */
  public static final int FLAG_READ1 = 0x40;
  /** Second of pair. */
  public static final int FLAG_READ2 = 0x80;
  /** Secondary alignment. */
  public static final int FLAG_SECONDARY = 0x100;
  /** Failed quality checks. */
  public static final int FLAG_QC_FAIL = 0x200;
  /** PCR or optical duplicate. */
  public static final int FLAG_DUPLICATE = 0x400;
  /** Supplementary alignment. */
  public static final int FLAG_SUPPLEMENTARY = 0x800;

  /** Bytes of the fixed part after block_size. */
  public static final int FIXED_SIZE = 32;
  static final int READ_NAME = 36;

  private BamRecord() {}

  /** Little-endian int32 at {@code off}. */
  public static int i32(byte[] b, int off) {
    return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
  }

  /** Little-endian uint16 at {@code off}. */
  public static int u16(byte[] b, int off) {
    return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
  }

  /** Writes a little-endian int32. */
  public static void putI32(byte[] b, int off, int v) {
    b[off] = (byte) v;
    b[off + 1] = (byte) (v >>> 8);
    b[off + 2] = (byte) (v >>> 16);
    b[off + 3] = (byte) (v >>> 24);
  }

  /** Total bytes of the record including the 4-byte block_size field. */
  public static int totalSize(byte[] b, int o) {
    return i32(b, o) + 4;
  }

  /** Reference index, -1 when none. */
  public static int refId(byte[] b, int o) {
    return i32(b, o + 4);
  }

  /** 0-based leftmost position, -1 when none. */
  public static int pos(byte[] b, int o) {
    return i32(b, o + 8);
  }

  /** Length of the read name including its NUL. */
  public static int readNameLength(byte[] b, int o) {
    return b[o + 12] & 0xff;
  }

  /** Mapping quality. */
  public static int mapq(byte[] b, int o) {
    return b[o + 13] & 0xff;
  }

  /** Number of CIGAR operations. */
  public static int cigarCount(byte[] b, int o) {
    return u16(b, o + 16);
  }

  /** The FLAG field. */
  public static int flag(byte[] b, int o) {
    return u16(b, o + 18);
  }

  /** Overwrites the FLAG field in place. */
  public static void setFlag(byte[] b, int o, int flag) {
    b[o + 18] = (byte) flag;
    b[o + 19] = (byte) (flag >>> 8);
  }

  /** Length of SEQ. */
  public static int seqLength(byte[] b, int o) {
    return i32(b, o + 20);
  }

  /** Mate reference index. */
  public static int mateRefId(byte[] b, int o) {
    return i32(b, o + 24);
  }

  /** Mate 0-based position. */
  public static int matePos(byte[] b, int o) {
    return i32(b, o + 28);
  }

  /** Offset of the first read-name byte. */
  public static int readNameOffset(int o) {
    return o + READ_NAME;
  }

  /** Read name as a string (for messages and tests). */
  public static String readName(byte[] b, int o) {
    return new String(b, o + READ_NAME, Math.max(0, readNameLength(b, o) - 1), StandardCharsets.US_ASCII);
  }

  /** Offset of the first CIGAR operation. */
  public static int cigarOffset(byte[] b, int o) {
    return o + READ_NAME + readNameLength(b, o);
  }

  /** Offset of the quality string. */
  public static int qualOffset(byte[] b, int o) {
    return cigarOffset(b, o) + 4 * cigarCount(b, o) + (seqLength(b, o) + 1) / 2;
  }

  /** Offset of the first tag. */
  public static int tagsOffset(byte[] b, int o) {
    return qualOffset(b, o) + seqLength(b, o);
  }

  /** True when both records have the same read name. */
  public static boolean sameName(byte[] a, int ao, byte[] b, int bo) {
    int n = readNameLength(a, ao);
    if (n != readNameLength(b, bo)) {
      return false;
    }
    return java.util.Arrays.equals(a, ao + READ_NAME, ao + READ_NAME + n, b, bo + READ_NAME, bo + READ_NAME + n);
  }

  /** Compares read names as unsigned bytes (the NUL terminator ends the shorter first). */
  public static int compareNames(byte[] a, int ao, byte[] b, int bo) {
    return java.util.Arrays.compareUnsigned(a, ao + READ_NAME, ao + READ_NAME + readNameLength(a, ao),
        b, bo + READ_NAME, bo + READ_NAME + readNameLength(b, bo));
  }

  /**
   * Checks that the lengths the record declares fit inside it; returns null when they do, else the reason.
   * Cheap: a handful of reads of the fixed part.
   */
  public static String checkLayout(byte[] b, int o, int available) {
    return checkLayout(b, o, available, null);
  }

  /**
   * {@link #checkLayout(byte[], int, int)}, and marks {@code watch} seen when the record holds its tag: the
   * check walks every tag anyway, so a caller learns for free whether later walks for that tag are needed.
   */
  public static String checkLayout(byte[] b, int o, int available, TagWatch watch) {
    if (available < 4 + FIXED_SIZE) {
      return "record shorter than the fixed BAM fields";
    }
    int blockSize = i32(b, o);
    if (blockSize < FIXED_SIZE || blockSize + 4 > available) {
      return "record length " + blockSize + " is impossible";
    }
    int nameLen = readNameLength(b, o);
    int seqLen = seqLength(b, o);
    if (nameLen < 1 || seqLen < 0) {
      return "bad read name or sequence length";
    }
    long need = FIXED_SIZE + nameLen + 4L * cigarCount(b, o) + (seqLen + 1L) / 2 + seqLen;
    if (need > blockSize) {
      return "declared lengths (" + need + " bytes) exceed the record (" + blockSize + " bytes)";
    }
    if (b[o + READ_NAME + nameLen - 1] != 0) {
      return "read name is not NUL-terminated";
    }
    int cigar = cigarOffset(b, o);
    for (int i = 0, n = cigarCount(b, o); i < n; i++) {
      if ((b[cigar + 4 * i] & 0xf) > 8) {
        return "CIGAR operation " + (i + 1) + " has the unknown code " + (b[cigar + 4 * i] & 0xf);
      }
    }
    return checkTags(b, o, watch);
  }

  /** One tag to watch for while records are checked; once seen it stays seen. Not thread-safe. */
  public static final class TagWatch {
    private final int code;
    private boolean seen;

    /** Watches for the two-character tag {@code name}. */
    public TagWatch(String name) {
      this.code = tagCode(name);
    }

    /** Whether any record checked with this watch held the tag. */
    public boolean seen() {
      return seen;
    }
  }

  /**
   * Walks the record's tags: each must have a name, a known type and a value that ends inside the record
   * (strings NUL-terminated), and the last must end where the record does. A tag read past a damaged one
   * would be garbage, and reading it as "absent" could silently change molecules.
   */
  private static String checkTags(byte[] b, int o, TagWatch watch) {
    int end = o + totalSize(b, o);
    int p = tagsOffset(b, o);
    int n = 0;
    while (p < end) {
      n++;
      if (p + 3 > end) {
        return "tag " + n + " is cut off by the end of the record";
      }
      if (watch != null && ((b[p] & 0xff) << 8 | (b[p + 1] & 0xff)) == watch.code) {
        watch.seen = true;
      }
      int next = skipTagValue(b, p + 2, end);
      if (next < 0) {
        return "tag " + n + " (" + printable(b[p]) + printable(b[p + 1]) + ") has a bad type ("
            + printable(b[p + 2]) + ") or a value that runs past the record";
      }
      p = next;
    }
    return null;
  }

  private static String printable(byte c) {
    return c >= 33 && c < 127 ? String.valueOf((char) c) : String.format("\\x%02x", c & 0xff);
  }

  /** Number of reference bases the alignment covers (M, D, N, =, X). */
  public static int referenceLength(byte[] b, int o) {
    int c = cigarOffset(b, o);
    int n = cigarCount(b, o);
    int len = 0;
    for (int i = 0; i < n; i++) {
      int v = i32(b, c + 4 * i);
      int op = v & 0xf;
      if (op == 0 || op == 2 || op == 3 || op == 7 || op == 8) {
        len += v >>> 4;
      }
    }
    return len;
  }

  /**
   * The unclipped 5' position (0-based) of a mapped read: forward, alignment start minus leading soft
   * clips; reverse, alignment end plus trailing soft clips. Hard clips are ignored (fgbio 4, samtools 1.21).
   */
  public static int unclippedFivePrime(byte[] b, int o) {
    int c = cigarOffset(b, o);
    int n = cigarCount(b, o);
    if ((flag(b, o) & FLAG_REVERSE) == 0) {
      int clip = 0;
      for (int i = 0; i < n; i++) {
        int v = i32(b, c + 4 * i);
        int op = v & 0xf;
        if (op == 4) {
          clip += v >>> 4;
        } else if (op != 5) {
          break;
        }
      }
      return pos(b, o) - clip;
    }
    int clip = 0;
    for (int i = n - 1; i >= 0; i--) {
      int v = i32(b, c + 4 * i);
      int op = v & 0xf;
      if (op == 4) {
        clip += v >>> 4;
      } else if (op != 5) {
        break;
      }
    }
    return pos(b, o) + referenceLength(b, o) - 1 + clip;
  }

  /**
   * Finds a tag; returns the offset of its type byte, or -1. {@code end} is the offset just past the
   * record. Walks the tags in order; costs a few reads per tag before the one sought.
   */
  public static int findTag(byte[] b, int o, char t0, char t1) {
    int p = tagsOffset(b, o);
    int end = o + totalSize(b, o);
    while (p + 3 <= end) {
      if (b[p] == t0 && b[p + 1] == t1) {
        return p + 2;
      }
      p = skipTagValue(b, p + 2, end);
      if (p < 0) {
        return -1;
      }
    }
    return -1;
  }

  /** A two-character tag name as the 16-bit code {@link #findTags} compares: first byte high. */
  public static int tagCode(String name) {
    if (name.length() != 2) {
      throw new IllegalArgumentException("a tag name has two characters, got '" + name + "'");
    }
    return ((name.charAt(0) & 0xff) << 8) | (name.charAt(1) & 0xff);
  }

  /**
   * Finds several tags in one walk over the record's tags: {@code out[i]} becomes the offset of the type
   * byte of the tag whose {@link #tagCode} is {@code codes[i]}, or -1. Cheaper than one {@link #findTag} per
   * tag, and it compares one int per tag and position instead of two characters.
   */
  public static void findTags(byte[] b, int o, int[] codes, int[] out) {
    java.util.Arrays.fill(out, 0, codes.length, -1);
    int p = tagsOffset(b, o);
    int end = o + totalSize(b, o);
    int missing = codes.length;
    while (missing > 0 && p + 3 <= end) {
      int code = ((b[p] & 0xff) << 8) | (b[p + 1] & 0xff);
      for (int i = 0; i < codes.length; i++) {
        if (out[i] < 0 && code == codes[i]) {
          out[i] = p + 2;
          missing--;
          break;
        }
      }
      p = skipTagValue(b, p + 2, end);
      if (p < 0) {
        return;
      }
    }
  }

  /** Offset just past the value of the tag whose type byte is at {@code typeOff}; -1 when malformed. */
  public static int skipTagValue(byte[] b, int typeOff, int end) {
    int p = typeOff + 1;
    switch (b[typeOff]) {
      case 'A', 'c', 'C' -> p += 1;
      case 's', 'S' -> p += 2;
      case 'i', 'I', 'f' -> p += 4;
      case 'Z', 'H' -> {
        while (p < end && b[p] != 0) {
          p++;
        }
        p++;
      }
      case 'B' -> {
        if (p + 5 > end) {
          return -1;
        }
        int size = switch (b[p]) {
          case 'c', 'C' -> 1;
          case 's', 'S' -> 2;
          case 'i', 'I', 'f' -> 4;
          default -> -1;
        };
        if (size < 0) {
          return -1;
        }
        long count = i32(b, p + 1) & 0xffffffffL;
        long next = p + 5 + count * size;
        if (next > end) {
          return -1;
        }
        p = (int) next;
      }
      default -> {
        return -1;
      }
    }
    return p <= end ? p : -1;
  }

  /**
   * Length of the {@code Z} string value whose type byte is at {@code typeOff} (the value starts at
   * {@code typeOff + 1}); -1 when the tag is not of type Z.
   */
  public static int stringLength(byte[] b, int typeOff, int end) {
    if (b[typeOff] != 'Z') {
      return -1;
    }
    int p = typeOff + 1;
    int start = p;
    while (p < end && b[p] != 0) {
      p++;
    }
    return p - start;
  }

  /** The string value of a Z tag, or null when absent or not a string (for messages and tests). */
  public static String stringTag(byte[] b, int o, char t0, char t1) {
    int t = findTag(b, o, t0, t1);
    if (t < 0) {
      return null;
    }
    int len = stringLength(b, t, o + totalSize(b, o));
    return len < 0 ? null : new String(b, t + 1, len, StandardCharsets.US_ASCII);
  }

  /**
   * Sum of base qualities of at least 15, capped at {@code Short.MAX_VALUE / 2} as htsjdk's
   * SUM_OF_BASE_QUALITIES duplicate score is.
   */
  public static int sumOfBaseQualities(byte[] b, int o) {
    int q = qualOffset(b, o);
    int n = seqLength(b, o);
    int sum = 0;
    for (int i = 0; i < n; i++) {
      int v = b[q + i] & 0xff;
      if (v >= 15 && v != 0xff) {
        sum += v;
      }
    }
    return Math.min(sum, Short.MAX_VALUE / 2);
  }
}
