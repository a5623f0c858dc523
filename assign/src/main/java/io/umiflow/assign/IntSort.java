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
   * Sorts {@code a[from..to)} stably in place; {@code scratch} needs {@code to - from} slots.
   */
  public static void sortRange(int[] a, int from, int to, int[] scratch, Comparator cmp) {
    int n = to - from;
    if (n < 2) {
      return;
    }
    System.arraycopy(a, from, scratch, 0, n);
    // merge passes alternate between scratch[0..n) and a[from..to)
    if (sortWith(scratch, a, from, n, cmp) == scratch) {
      System.arraycopy(scratch, 0, a, from, n);
    }
  }

  /** Sorts {@code x[0..n)} using {@code buf[off..off+n)} as scratch; the result is in x or in buf at off. */
  private static int[] sortWith(int[] x, int[] buf, int off, int n, Comparator cmp) {
    int[] src = x;
    int srcOff = 0;
    int[] dst = buf;
    int dstOff = off;
    for (int width = 1; width < n; width <<= 1) {
      for (int lo = 0; lo < n; lo += 2 * width) {
        int mid = Math.min(lo + width, n);
        int hi = Math.min(lo + 2 * width, n);
        int i = lo;
        int j = mid;
        int k = lo;
        while (i < mid && j < hi) {
          dst[dstOff + k++] = cmp.compare(src[srcOff + j], src[srcOff + i]) < 0 ? src[srcOff + j++] : src[srcOff + i++];
        }
        while (i < mid) {
          dst[dstOff + k++] = src[srcOff + i++];
        }
        while (j < hi) {
          dst[dstOff + k++] = src[srcOff + j++];
        }
      }
      int[] t = src;
      int to = srcOff;
      src = dst;
      srcOff = dstOff;
      dst = t;
      dstOff = to;
    }
    return src;
  }

  /**
   * Sorts {@code a[0..n)} stably; {@code scratch} needs {@code n} slots. Returns the array that holds the
   * result, which is {@code a} or {@code scratch}.
   */
  public static int[] sort(int[] a, int n, int[] scratch, Comparator cmp) {
    return sortWith(a, scratch, 0, n, cmp);
  }

}
