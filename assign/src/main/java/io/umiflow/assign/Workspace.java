package io.umiflow.assign;

import com.carrotsearch.hppc.IntArrayList;
import com.carrotsearch.hppc.LongIntHashMap;
import java.util.Arrays;

/**
 * Per-worker scratch memory of the assigners: primitive arrays and HPPC structures reused from one call
 * to the next, so a worker allocates only when a group is larger than any it has seen. Reports the bytes
 * it retains, and {@link #shrinkTo(long)} gives them back after a giant group. Not thread-safe.
 */
public final class Workspace {
  // per template of the current subgroup
  int[] members = new int[32];
  byte[] effBytes = new byte[256];
  int[] effOffsets = new int[33];
  int[] weights = new int[32];
  // per distinct UMI
  final DistinctUmis distinct = new DistinctUmis();
  int[] molecule = new int[32];
  int[] parent = new int[32];
  long[] orderKeys = new long[32];
  int[] order = new int[32];
  final IntArrayList queue = new IntArrayList();
  /**
   * Distinct UMI key -> index, for neighbour enumeration. Most lookups there miss; at load factor 0.5 a
   * miss probes about 2.5 slots instead of 8.5 at HPPC's default 0.75, for twice the table.
   */
  final LongIntHashMap index = new LongIntHashMap(16, 0.5);

  /** Bytes held by every array and map of this workspace. */
  public long retainedBytes() {
    return 4L * members.length + 4L * weights.length + effBytes.length + 4L * effOffsets.length + distinct.retainedBytes()
        + 4L * molecule.length + 4L * parent.length + 8L * orderKeys.length + 4L * order.length
        + queue.ramBytesAllocated() + index.ramBytesAllocated() + 512;
  }

  /**
   * Releases everything when more than {@code limitBytes} is retained, so one giant group does not pin
   * its memory for the rest of the run. Returns the bytes retained afterwards.
   */
  public long shrinkTo(long limitBytes) {
    if (retainedBytes() > limitBytes) {
      members = new int[32];
      effBytes = new byte[256];
      effOffsets = new int[33];
      weights = new int[32];
      distinct.release();
      molecule = new int[32];
      parent = new int[32];
      orderKeys = new long[32];
      order = new int[32];
      queue.release();
      index.release();
    }
    return retainedBytes();
  }

  /**
   * An upper bound of the bytes a call retains for {@code templates} templates with {@code distinct}
   * distinct UMIs of {@code umiLength} characters, counted from an empty workspace. Callers ask for this
   * many bytes of credit before the call (minus what the workspace already retains).
   */
  public static long estimateBytes(int templates, int distinct, int umiLength) {
    long n = templates;
    long u = Math.min(distinct, templates);
    long words = Math.max(1, (umiLength + 31) / 32);
    double grow = 1.25; // arrays grow to 5/4 of the need
    long perTemplate = (long) Math.ceil(grow * (4 + umiLength + 4 + 4 + 8 * words + 4 + 4 + 8 + 4 + 4));
    // the last 4: the neighbour index's Bloom filter, at most 32 bits per distinct UMI
    long perDistinct = (long) Math.ceil(grow * (4 + 8 * words + 4 + 4 + 4 + 8 + 4 + 4 + 4 + 4));
    // HPPC hash map: keys + values in a power-of-two table at load factor 0.5, at worst 4 slots per entry
    long hash = u > 0 ? 12L * Long.highestOneBit(Math.max(4, (long) Math.ceil(u / 0.5)) * 2 - 1) + 64 : 0;
    long queue = (long) Math.ceil(4 * u * 1.5) + 64;
    return n * perTemplate + u * perDistinct + hash + queue + 64 * 1024;
  }

  static int[] ensure(int[] a, int n) {
    return a.length >= n ? a : new int[n + (n >>> 2)];
  }

  static int[] ensureKeep(int[] a, int n) {
    return a.length >= n ? a : Arrays.copyOf(a, n + (n >>> 2));
  }

  static long[] ensure(long[] a, int n) {
    return a.length >= n ? a : new long[n + (n >>> 2)];
  }

  static byte[] ensureKeep(byte[] a, int n) {
    return a.length >= n ? a : Arrays.copyOf(a, n + (n >>> 2));
  }
}
