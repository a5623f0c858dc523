package io.umiflow.actors;
import io.umiflow.actors.memory.MemoryPlan;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * The tuning numbers of the memory plan, read from {@code umiflow.group.memory} (defaults, each with the
 * reason for its value, in this module's {@code reference.conf}). See {@link MemoryPlan} for how they are
 * used.
 *
 * @param readerShare      share of the budget for chunks between the reader and the grouper
 * @param readerMax        upper bound of that share, in bytes
 * @param workerShare      share of the budget the workers keep between batches, all together
 * @param workerKeepMax    scratch bytes one worker keeps at most between batches
 * @param headReserve      share of the flow account only the head of the output order may use
 * @param spillReserve     share of the flow account a spilled giant group may take
 * @param batchesPerWorker batches in flight per worker
 * @param batchTargetMin   smallest batch target, in bytes of records
 * @param batchTargetMax   largest batch target, in bytes of records
 * @param sliceShare       share of the head reserve the grouper parses at a time
 */
public record MemoryTuning(double readerShare, long readerMax, double workerShare, long workerKeepMax,
                           double headReserve, double spillReserve, int batchesPerWorker, long batchTargetMin,
                           long batchTargetMax, double sliceShare) {

  /** Checks ranges; throws IllegalArgumentException with a one-line reason. */
  public MemoryTuning {
    require(readerShare > 0 && readerShare < 0.5, "reader-share must be in (0, 0.5)");
    require(workerShare > 0 && workerShare < 0.5, "worker-share must be in (0, 0.5)");
    require(readerShare + workerShare < 0.6, "reader-share and worker-share leave too little for batches");
    require(headReserve >= 0.1 && headReserve <= 0.9, "head-reserve must be in [0.1, 0.9]");
    require(spillReserve >= 0.1 && spillReserve <= 1.0, "spill-reserve must be in [0.1, 1]");
    require(batchesPerWorker >= 1, "batches-per-worker must be >= 1");
    require(batchTargetMin >= 16 << 10 && batchTargetMax >= batchTargetMin, "batch targets must be >= 16 KiB and ordered");
    require(sliceShare > 0 && sliceShare <= 0.25, "slice-share must be in (0, 0.25]");
    require(readerMax >= 4L << 20 && workerKeepMax >= 0, "reader-max must be >= 4 MiB, worker-keep-max >= 0");
  }

  /** The values under {@code umiflow.group.memory} of {@code root}. */
  public static MemoryTuning fromConfig(Config root) {
    Config c = root.getConfig("umiflow.group.memory");
    return new MemoryTuning(c.getDouble("reader-share"), c.getMemorySize("reader-max").toBytes(),
        c.getDouble("worker-share"), c.getMemorySize("worker-keep-max").toBytes(), c.getDouble("head-reserve"),
        c.getDouble("spill-reserve"), c.getInt("batches-per-worker"), c.getMemorySize("batch-target-min").toBytes(),
        c.getMemorySize("batch-target-max").toBytes(), c.getDouble("slice-share"));
  }

  /** The defaults of {@code reference.conf} (and any {@code application.conf} on the class path). */
  public static MemoryTuning defaults() {
    return Defaults.VALUE;
  }

  private static final class Defaults {
    static final MemoryTuning VALUE = fromConfig(ConfigFactory.load());
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("umiflow.group.memory: " + message);
    }
  }
}
