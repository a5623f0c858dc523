package io.umiflow.assign;

/**
 * Stable sort of {@code int} indices by a caller's comparison, without boxing: a bottom-up merge sort
 * using a caller-provided scratch array, O(n log n), no allocation.
 */
public final class IntSort {
  /** Compares two indices. */
  @FunctionalInterface
  public interface Comparator {
    /** Negative, zero or positive as {@code a} sorts before, with, or after {@code b}. */
    int compare(int a, int b);
  }

  private IntSort() {}

  /**
   * Sorts {@code a[0..n)} stably; {@code scratch} needs {@code n} slots. Returns the array that holds the
   * result, which is {@code a} or {@code scratch}.
   */
  public static int[] sort(int[] a, int n, int[] scratch, Comparator cmp) {
    int[] src = a;
    int[] dst = scratch;
    for (int width = 1; width < n; width <<= 1) {
      for (int lo = 0; lo < n; lo += 2 * width) {
        int mid = Math.min(lo + width, n);
        int hi = Math.min(lo + 2 * width, n);
        int i = lo;
        int j = mid;
        int k = lo;
        while (i < mid && j < hi) {
          dst[k++] = cmp.compare(src[j], src[i]) < 0 ? src[j++] : src[i++];
        }
        while (i < mid) {
          dst[k++] = src[i++];
        }
        while (j < hi) {
          dst[k++] = src[j++];
        }
      }
      int[] t = src;
      src = dst;
      dst = t;
    }
    return src;
  }
}
