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
  volatile String currentLocus = "";

  void noteGroupSize(long templates) {
    largestGroupTemplates.accumulateAndGet(templates, Math::max);
  }
}
