package io.umiflow.actors;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters the stages update as they go, read by the job for progress events. Lock-free; a reader may see
 * counters from slightly different moments, which is fine for progress.
 */
final class PipelineStats {
  final AtomicLong recordsRead = new AtomicLong();
  final AtomicLong templates = new AtomicLong();
  final AtomicLong positionGroups = new AtomicLong();
  final AtomicLong largestGroupTemplates = new AtomicLong();
  final AtomicLong recordsWritten = new AtomicLong();
  final AtomicLong batchesWritten = new AtomicLong();
  final AtomicLong compressedBytesRead = new AtomicLong();
  /** Position groups grouped out of core. */
  final AtomicLong spilledGroups = new AtomicLong();
  /** Reference and 0-based position of the last closed group, packed; -1 before the first. Formatted only on demand. */
  final AtomicLong lastLocus = new AtomicLong(-1);

  void noteGroupSize(long templates) {
    if (templates > largestGroupTemplates.get()) {
      largestGroupTemplates.accumulateAndGet(templates, Math::max);
    }
  }

  void noteLocus(int tid, int pos) {
    lastLocus.lazySet(((long) tid << 32) | (pos & 0xffffffffL));
  }

  /** The last closed group's locus as {@code chr:pos}, or empty. */
  String locus(io.umiflow.codec.BamHeader header) {
    long v = lastLocus.get();
    if (v < 0) {
      return "";
    }
    int tid = (int) (v >>> 32);
    return tid == io.umiflow.codec.PositionKey.UNKNOWN ? "unmapped" : header.referenceName(tid) + ":" + ((int) v + 1);
  }
}
