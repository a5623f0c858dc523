package io.umiflow.assign;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The templates of one library x cell partition of a position group, as the assigners see them: each
 * template's raw UMI (upper-cased on the way in), its pair orientation and which end R1 is. Reusable:
 * {@link #clear()} keeps the arrays, so a worker allocates nothing per group once warmed up.
 */
public final class UmiSet {
  private byte[] bytes = new byte[256];
  private int[] offsets = new int[33];
  private byte[] orientation = new byte[32];
  private boolean[] r1Earlier = new boolean[32];
  private int[] weight = new int[32];
  private int size;

  /** Removes all templates and gives back the arrays grown for a large set. */
  public void release() {
    bytes = new byte[256];
    offsets = new int[33];
    orientation = new byte[32];
    r1Earlier = new boolean[32];
    weight = new int[32];
    size = 0;
  }

  /** Removes all templates, keeping capacity. */
  public void clear() {
    size = 0;
    offsets[0] = 0;
  }

  /** Number of templates. */
  public int size() {
    return size;
  }

  /**
   * Adds a template.
   *
   * @param umi        raw UMI bytes {@code umi[off..off+len)}; upper-cased here
   * @param r1Reverse  R1 on the reverse strand (true when R1 is absent: fgbio treats it as positive)
   * @param r2Reverse  R2 on the reverse strand
   * @param r1IsEarlier R1 is the genomically earlier end, or the template has one end (paired strategy)
   */
  public void add(byte[] umi, int off, int len, boolean r1Reverse, boolean r2Reverse, boolean r1IsEarlier) {
    add(umi, off, len, r1Reverse, r2Reverse, r1IsEarlier, 1);
  }

  /**
   * Adds an entry that stands for {@code weight} templates with identical UMI, orientation and R1 end. The
   * assigners give such an entry the molecule that each of those templates would get if added one by one:
   * the out-of-core path assigns a giant group from its distinct UMIs and their counts this way.
   */
  public void add(byte[] umi, int off, int len, boolean r1Reverse, boolean r2Reverse, boolean r1IsEarlier,
                  int weight) {
    if (weight < 1) {
      throw new IllegalArgumentException("weight must be >= 1, got " + weight);
    }
    if (size + 1 >= offsets.length) {
      int cap = offsets.length * 2;
      offsets = Arrays.copyOf(offsets, cap);
      orientation = Arrays.copyOf(orientation, cap);
      r1Earlier = Arrays.copyOf(r1Earlier, cap);
      this.weight = Arrays.copyOf(this.weight, cap);
    }
    int start = offsets[size];
    if (start + len > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, start + len));
    }
    for (int i = 0; i < len; i++) {
      byte c = umi[off + i];
      bytes[start + i] = (c >= 'a' && c <= 'z') ? (byte) (c - 32) : c;
    }
    orientation[size] = (byte) ((r1Reverse ? 2 : 0) | (r2Reverse ? 1 : 0));
    r1Earlier[size] = r1IsEarlier;
    this.weight[size] = weight;
    size++;
    offsets[size] = start + len;
  }

  /** Convenience for tests and tools. */
  public void add(String umi, boolean r1Reverse, boolean r2Reverse, boolean r1IsEarlier) {
    byte[] b = umi.getBytes(StandardCharsets.US_ASCII);
    add(b, 0, b.length, r1Reverse, r2Reverse, r1IsEarlier);
  }

  byte[] bytes() {
    return bytes;
  }

  int start(int i) {
    return offsets[i];
  }

  /** Length of template {@code i}'s UMI. */
  public int length(int i) {
    return offsets[i + 1] - offsets[i];
  }

  /** The (upper-cased) UMI of template {@code i}. */
  public String umi(int i) {
    return new String(bytes, offsets[i], length(i), StandardCharsets.US_ASCII);
  }

  /** Orientation code: 2 for R1 reverse plus 1 for R2 reverse. */
  int orientation(int i) {
    return orientation[i];
  }

  boolean r1Earlier(int i) {
    return r1Earlier[i];
  }

  /** How many templates entry {@code i} stands for (1 unless added with a weight). */
  public int weight(int i) {
    return weight[i];
  }

  /** Bytes held by this set's arrays. */
  public long retainedBytes() {
    return bytes.length + 4L * offsets.length + orientation.length + r1Earlier.length + 4L * weight.length + 64;
  }
}
