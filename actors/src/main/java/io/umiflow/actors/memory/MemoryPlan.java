package io.umiflow.actors.memory;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.MemoryTuning;

import io.umiflow.assign.Workspace;
import io.umiflow.codec.Bgzf;

/**
 * How one job spends its budget, and the sizes that follow from it. Plain arithmetic, no Akka.
 *
 * <ul>
 *   <li>{@code reader}: a fixed account for chunks between the reader and the grouper (and the idle chunk
 *       arrays kept for reuse).</li>
 *   <li>{@code worker-i}: a fixed account per worker for its encode and deflate buffers (the kit) and the
 *       scratch arrays it keeps between batches (at most {@code workerKeep}, and as much again while they
 *       are replaced by larger ones). Fewer workers than threads are made when the share cannot hold a kit
 *       and a minimal scratch for each: more would only wait for memory.</li>
 *   <li>{@code flow}: the rest, with a head reserve (see {@link MemoryLedger}): the batch being filled,
 *       batches in flight, what a worker needs beyond its keep to assign a batch, and a spilled group's
 *       reserve. {@link #itemLimit()} is the most one item may hold at once; the grouper spills any position
 *       group that would make a batch need more.</li>
 * </ul>
 *
 * <p>The per-batch estimates ({@link #batchNeed}, {@link #processingNeed}) are upper bounds of what the code
 * allocates, term by term, so that the ledger can say yes only when the heap can too.
 */
public record MemoryPlan(long budget, int workers, long readerCapacity, long workerCapacity, long workerKeep,
                  long flowCapacity, long headReserve, long batchTarget, int batchesInFlight, int sliceBytes,
                  double spillShare) {

  /** Blocks the reader reads at a time (a chunk): 16 x 64 KiB, about 1 MiB inflated. */
  public static final int BLOCKS_PER_CHUNK = 16;
  /** Credit taken before reading a chunk: its compressed blocks and the array they are inflated into. */
  public static final long CHUNK_RESERVE = BLOCKS_PER_CHUNK * 2L * Bgzf.MAX_BLOCK_SIZE;
  /** Batches with at least this many kept templates are encoded and compressed by every worker in slices. */
  public static final int SPLIT_TEMPLATES = 100_000;

  /** A worker's buffers that live as long as it does: two encode payloads, a block and the deflater's own. */
  public static final long WORKER_KIT_BYTES = 2L * Bgzf.MAX_PAYLOAD + Bgzf.MAX_BLOCK_SIZE
      + (Bgzf.MAX_BLOCK_SIZE + Bgzf.MAX_PAYLOAD) + (8 << 10);
  /** The least scratch a worker keeps: below this a worker costs more in reallocation than it adds. */
  static final long WORKER_KEEP_MIN = 64 << 10;
  /** What a slice may hold for the records it completes: inflated bytes are at most a chunk. */
  private static final int SLICE_MIN = 32 << 10;
  /** UMI length assumed for position groups too small to have theirs measured (see the grouper). */
  public static final int ASSUMED_UMI_LENGTH = 64;
  /** Position groups with at least this many templates have their UMI lengths measured by the grouper. */
  public static final int MEASURED_GROUP_TEMPLATES = 256;

  /**
   * Chunks each thread's inflater may have read ahead: two keep it busy. More only read further ahead of the
   * grouper, and every chunk ahead is a 1 MiB array in flight that the collector promotes: with 64 MiB of
   * read-ahead on two threads, the live data outgrew the old generation and most collections were full ones
   * (10M records at --memory 4g: 17 full collections, 6.96 s; with 16 MiB, 1 and 6.68 s).
   */
  static final int READER_CHUNKS_PER_THREAD = 4;

  /** The plan for {@code budget} bytes and {@code threads} threads. */
  public static MemoryPlan of(long budget, int threads, MemoryTuning t) {
    long readAhead = READER_CHUNKS_PER_THREAD * CHUNK_RESERVE * Math.max(1, threads);
    long reader = Math.max(2 * CHUNK_RESERVE,
        Math.min(Math.min(t.readerMax(), readAhead), (long) (budget * t.readerShare())));
    long workerShare = (long) (budget * t.workerShare());
    int workers = (int) Math.max(1, Math.min(threads, workerShare / (WORKER_KIT_BYTES + 2 * WORKER_KEEP_MIN)));
    long keep = Math.max(WORKER_KEEP_MIN, Math.min(t.workerKeepMax(), (workerShare / workers - WORKER_KIT_BYTES) / 2));
    long worker = WORKER_KIT_BYTES + 2 * keep;
    long flow = budget - reader - workers * worker;
    if (flow < budget / 4) {
      throw new IllegalArgumentException("the memory budget of " + (budget >> 20) + " MiB is too small for "
          + workers + " workers");
    }
    long reserve = (long) (flow * t.headReserve());
    long target = Math.max(t.batchTargetMin(), Math.min(t.batchTargetMax(), (flow - reserve) / (12L * (workers + 1))));
    int slice = (int) Math.max(SLICE_MIN, Math.min(ByteArrayPool.CHUNK_SIZE, (long) (reserve * t.sliceShare())));
    return new MemoryPlan(budget, workers, reader, worker, keep, flow, reserve, target,
        t.batchesPerWorker() * workers + 2, slice, t.spillReserve());
  }

  /**
   * The smallest budget, to the MiB, whose plan gives {@code capacity} at least {@code need} bytes: what a
   * failure for lack of memory reports, so the user knows what would have done.
   */
  public static long smallestBudget(long need, int threads, MemoryTuning t, java.util.function.ToLongFunction<MemoryPlan> capacity) {
    long hi = GroupSettings.MIN_BUDGET;
    while (capacity.applyAsLong(of(hi, threads, t)) < need) {
      if (hi > (1L << 50)) {
        return hi;
      }
      hi *= 2;
    }
    long lo = hi / 2;
    while (hi - lo > (1 << 20)) {
      long mid = (lo + hi) / 2;
      if (mid >= GroupSettings.MIN_BUDGET && capacity.applyAsLong(of(mid, threads, t)) >= need) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return (hi + (1 << 20) - 1) & ~((1L << 20) - 1);
  }

  /** The smallest budget whose spilled groups may use {@code need} bytes (an open batch held beside them). */
  public static long budgetForSpill(long need, int threads, MemoryTuning t) {
    return smallestBudget(need, threads, t, p -> p.spillReserve(2L * p.batchArraySize()));
  }

  /** The most one item (a batch, or a spilled group's processing) may hold: the head reserve. */
  public long itemLimit() {
    return headReserve;
  }

  /**
   * Records the grouper parses at most at a time: a slice of tiny records costs about 700 bytes of projected
   * need each (arrays, output, assignment at the assumed UMI length), so a quarter of the item limit.
   */
  public int sliceRecords() {
    return (int) Math.max(64, Math.min(Integer.MAX_VALUE, itemLimit() / 4096));
  }

  /** Length of the pooled arrays open batches fill: a whole batch plus one slice, so filling never copies. */
  public int batchArraySize() {
    return (int) (batchTarget + sliceBytes);
  }

  /** The reserve of a spilled group, when {@code othersHeld} bytes of the flow account are held by others. */
  public long spillReserve(long othersHeld) {
    return Math.max(0, Math.min((long) (flowCapacity * spillShare), flowCapacity - othersHeld));
  }

  /**
   * Upper bound of everything an in-memory batch holds at once from its first record to its output: its
   * records' array with a grown or cut copy beside it, per-template and per-group arrays (also copied when
   * grown), the output, and what a worker needs to assign it ({@link #processingNeed}).
   *
   * @param dataBytes      bytes of records
   * @param templates      templates
   * @param records        records
   * @param groupTemplates templates of the largest position group
   * @param umiLength      bound of the UMI length in that group
   * @param maxRecord      bytes of the largest record
   * @param recordsOut     output as records (stream stage) instead of compressed blocks
   */
  public long batchNeed(long dataBytes, long templates, long records, long groupTemplates, int umiLength, int maxRecord,
                 boolean recordsOut) {
    long data = 5 * Math.max(dataBytes, batchArraySize()) / 2;
    long arrays = 5 * (17 + 4) * templates / 2; // r1, r2, r1Earlier, record numbers; group starts
    return data + arrays + outputBytes(dataBytes, records, recordsOut) + assignedBytes(templates, templates)
        + encodeBytes(templates, maxRecord, recordsOut) + processingNeed(templates, groupTemplates, umiLength);
  }

  /**
   * What encoding a batch may add to the workers' buffers: records larger than a block grow a worker's encode
   * buffer while it encodes them, and a batch of at least {@link #SPLIT_TEMPLATES} kept templates is
   * encoded by every worker at once.
   */
  public long encodeBytes(long templates, int maxRecord, boolean recordsOut) {
    if (recordsOut || maxRecord + 32 <= Bgzf.MAX_PAYLOAD) {
      return 0;
    }
    long one = 2L * (maxRecord + 32 + 2L * Bgzf.MAX_PAYLOAD);
    return templates >= SPLIT_TEMPLATES ? workers * one : one;
  }

  /** The output of a batch: compressed blocks at worst (stored), or the records with their boundaries. */
  public static long outputBytes(long dataBytes, long records, boolean recordsOut) {
    long out = dataBytes + 32 * records;
    if (recordsOut) {
      return out + 8 * records + 256; // record and template starts
    }
    long blocks = out / Bgzf.MAX_PAYLOAD + 1;
    return blocks * (Bgzf.MAX_BLOCK_SIZE + 32) + 1024;
  }

  /** What a processor keeps per batch from assignment to output: order, ids, strands, duplicates, group ends. */
  public static long assignedBytes(long templates, long groups) {
    return 10 * templates + 4 * groups + 256;
  }

  /**
   * Upper bound of a worker's scratch for assigning one batch, counted from empty: per-template arrays
   * (classifier, partition order, sort keys), grown to at most twice the need; the assigner's workspace, UMI
   * set and result for the largest library x cell partition.
   */
  public static long processingNeed(long templates, long partitionTemplates, int umiLength) {
    long perTemplate = 2 * (20 + 4 + 4 + 8); // grown arrays at most twice the need
    long m = Math.min(Integer.MAX_VALUE, partitionTemplates);
    long assign = Workspace.estimateBytes((int) m, (int) m, umiLength) + (2L * umiLength + 30) * m + 512;
    return perTemplate * templates + assign + 4096;
  }
}
