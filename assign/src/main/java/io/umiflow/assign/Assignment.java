package io.umiflow.assign;

import java.util.Arrays;

/**
 * The result of assigning one {@link UmiSet}: a molecule index per template, numbered 0..count-1 in the
 * deterministic order of the spec (orientation subgroup, then the strategy's molecule order), and for
 * the paired strategy whether the template is on the /B strand. Reusable between calls.
 */
public final class Assignment {
  private int[] molecule = new int[32];
  private boolean[] bStrand = new boolean[32];
  private int size;
  private int moleculeCount;

  void reset(int n) {
    if (molecule.length < n) {
      int cap = Math.max(n, molecule.length * 2);
      molecule = new int[cap];
      bStrand = new boolean[cap];
    }
    Arrays.fill(bStrand, 0, n, false);
    size = n;
    moleculeCount = 0;
  }

  /** Gives back the arrays grown for a large set. */
  public void release() {
    molecule = new int[32];
    bStrand = new boolean[32];
    size = 0;
    moleculeCount = 0;
  }

  void set(int template, int id, boolean b) {
    molecule[template] = id;
    bStrand[template] = b;
  }

  void setMoleculeCount(int count) {
    moleculeCount = count;
  }

  /** Number of templates assigned. */
  public int size() {
    return size;
  }

  /** Molecule index of template {@code i}. */
  public int molecule(int i) {
    return molecule[i];
  }

  /** True when template {@code i} belongs to the /B strand (paired strategy only). */
  public boolean bStrand(int i) {
    return bStrand[i];
  }

  /** Number of molecules. */
  public int moleculeCount() {
    return moleculeCount;
  }

  /** Bytes held by this object's arrays. */
  public long retainedBytes() {
    return 5L * molecule.length + 32;
  }
}
