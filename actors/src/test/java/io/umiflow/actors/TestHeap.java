package io.umiflow.actors;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;

/** The live heap, measured for tests that hold the heap against the ledger. */
public final class TestHeap {
  private TestHeap() {}

  /**
   * The live heap as the last full collection left it, or -1 when none could be had. Read from the
   * collection's own record, not afterwards: the workers allocate again the moment it ends. A collection
   * requested while a worker is inside native (de)compression, which pins its arrays, is put off and
   * replaced by a young one ("GCLocker Initiated GC") that leaves old garbage counted as live; so the request
   * is repeated until the old generation's collector has really run. GKL's deflaters and inflaters are
   * finalizable: their finalizers run first.
   */
  @SuppressWarnings("deprecation")
  public static long live() {
    List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
    // the old generation's collector (serial: the last one)
    com.sun.management.GarbageCollectorMXBean full =
        (com.sun.management.GarbageCollectorMXBean) collectors.get(collectors.size() - 1);
    System.runFinalization();
    for (int attempt = 0; attempt < 100; attempt++) {
      long before = full.getCollectionCount();
      System.gc();
      com.sun.management.GcInfo info = full.getLastGcInfo();
      if (full.getCollectionCount() > before && info != null) {
        return info.getMemoryUsageAfterGc().values().stream().mapToLong(java.lang.management.MemoryUsage::getUsed)
            .sum();
      }
      Thread.onSpinWait();
    }
    return -1;
  }

}
