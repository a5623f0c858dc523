package io.umiflow.codec;

import java.util.Arrays;

/**
 * Puts an encoded record's tags in a given order. htsjdk keeps a record's tags sorted by name, while the
 * BAM a SAM file came from (and samtools' conversions) keep the order they were written in; a SAM line, or
 * a CRAM record's tag list, gives that order back. One walk over the tags plus a copy; one instance per
 * thread (it keeps its scratch arrays).
 */
final class TagOrder {
  private int[] codes = new int[16];
  private int count;
  private byte[] scratch = new byte[1 << 10];
  private int[] starts = new int[32];

  /** Starts a new order. */
  TagOrder clear() {
    count = 0;
    return this;
  }

  /** Appends the tag {@code name} (two characters at {@code s[at..at+2)}) to the order. */
  TagOrder add(CharSequence s, int at) {
    if (count == codes.length) {
      codes = Arrays.copyOf(codes, count * 2);
    }
    codes[count++] = ((s.charAt(at) & 0xff) << 8) | (s.charAt(at + 1) & 0xff);
    return this;
  }

  /** The order of the tags on a SAM line: fields 12 on. */
  TagOrder ofLine(String line) {
    clear();
    int field = 0;
    for (int i = 0; i < line.length(); i++) {
      if (line.charAt(i) == '\t' && ++field >= 11 && i + 2 < line.length()) {
        add(line, i + 1);
      }
    }
    return this;
  }

  /**
   * Reorders the tags of the record {@code b[start..end)} (block_size first) into this order. Leaves the
   * record as it is when a tag is not named in the order or a tag cannot be walked (neither happens with
   * what htsjdk writes).
   */
  void apply(byte[] b, int start, int end) {
    if (count < 2) {
      return;
    }
    int tags = BamRecord.tagsOffset(b, start);
    if (end - tags > scratch.length) {
      scratch = new byte[end - tags];
    }
    int n = 0;
    for (int p = tags; p < end; n++) {
      int next = BamRecord.skipTagValue(b, p + 2, end);
      if (next < 0) {
        return;
      }
      if (n == starts.length - 1) {
        starts = Arrays.copyOf(starts, starts.length * 2);
      }
      starts[n] = p;
      starts[n + 1] = next;
      p = next;
    }
    int out = 0;
    for (int t = 0; t < count; t++) {
      for (int i = 0; i < n; i++) {
        int p = starts[i];
        if ((((b[p] & 0xff) << 8) | (b[p + 1] & 0xff)) == codes[t]) {
          System.arraycopy(b, p, scratch, out, starts[i + 1] - p);
          out += starts[i + 1] - p;
          break;
        }
      }
    }
    if (out == end - tags) {
      System.arraycopy(scratch, 0, b, tags, out);
    }
  }
}
