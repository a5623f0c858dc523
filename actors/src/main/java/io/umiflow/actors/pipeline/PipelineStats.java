package io.umiflow.actors.pipeline;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters the stages update as they go, read by the job for progress events. Lock-free; a reader may see
 * counters from slightly different moments, which is fine for progress.
 */
public final class PipelineStats {
  /** Counters start at zero. */
  public PipelineStats() {}

  final AtomicLong recordsRead = new AtomicLong();
  final AtomicLong templates = new AtomicLong();
  final AtomicLong positionGroups = new AtomicLong();
  final AtomicLong largestGroupTemplates = new AtomicLong();
  final AtomicLong recordsWritten = new AtomicLong();
  final AtomicLong batchesWritten = new AtomicLong();
  final AtomicLong compressedBytesRead = new AtomicLong();
  /** Position groups grouped out of core. */
  final AtomicLong spilledGroups = new AtomicLong();
  /** When the input is sorted first: -1 while it is read, then the records it holds; 0 when not sorted. */
  final AtomicLong sortedRecords = new AtomicLong();
  /** Reference and 0-based position of the last closed group, packed; -1 before the first. Formatted only on demand. */
  final AtomicLong lastLocus = new AtomicLong(-1);

  /** Input records read so far. */
  public long recordsRead() {
    return recordsRead.get();
  }

  /** Bytes of the input file read so far (compressed, as stored). */
  public long sortedRecords() {
    return sortedRecords.get();
  }

  /**
   * The share of the work done, 0..1, by the input read and, when it is sorted first, the sorted records
   * grouped: reading and sorting count for half of the run, grouping for the other half.
   */
  public double fractionDone(long inputBytes) {
    double read = inputBytes > 0 ? Math.min(1.0, (double) inputBytesRead() / inputBytes) : 0;
    long sorted = sortedRecords.get();
    if (sorted == 0) {
      return read;
    }
    return sorted < 0 ? read / 2 : 0.5 + 0.5 * Math.min(1.0, (double) recordsRead() / sorted);
  }

  public long inputBytesRead() {
    return compressedBytesRead.get();
  }

  /** Output records written (or delivered) so far. */
  public long recordsWritten() {
    return recordsWritten.get();
  }

  /** Templates assembled so far. */
  public long templates() {
    return templates.get();
  }

  /** Position groups closed so far. */
  public long positionGroups() {
    return positionGroups.get();
  }

  /** Templates of the largest position group so far. */
  public long largestGroup() {
    return largestGroupTemplates.get();
  }

  /** Position groups grouped out of core so far. */
  public long spilledGroups() {
    return spilledGroups.get();
  }

  void noteGroupSize(long templates) {
    if (templates > largestGroupTemplates.get()) {
      largestGroupTemplates.accumulateAndGet(templates, Math::max);
    }
  }

  void noteLocus(int tid, int pos) {
    lastLocus.lazySet(((long) tid << 32) | (pos & 0xffffffffL));
  }

  /** The last closed group's locus as {@code chr:pos}, or empty. */
  public String locus(io.umiflow.codec.BamHeader header) {
    long v = lastLocus.get();
    if (v < 0) {
      return "";
    }
    return header.locus((int) (v >>> 32), (int) v);
  }
}
