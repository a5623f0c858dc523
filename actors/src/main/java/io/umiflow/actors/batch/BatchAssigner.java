package io.umiflow.actors.batch;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.memory.MemoryPlan;

import io.umiflow.assign.Assignment;
import io.umiflow.assign.IntSort;
import io.umiflow.assign.Strategy;
import io.umiflow.assign.UmiAssigner;
import io.umiflow.assign.UmiAssignmentException;
import io.umiflow.assign.UmiSet;
import io.umiflow.assign.Workspace;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BamRecord;
import java.util.Arrays;

/**
 * Assigns the molecules of one batch, position group by position group, so that a worker can take memory
 * credits before any allocation: {@link #start} sizes the batch and says what it needs at most;
 * {@link #assignWithin} then, for each group, filters its templates (fgbio's rules and counts), partitions
 * them by library and cell barcode, assigns each partition with the strategy, orders the templates for
 * output (molecule, /A before /B, read name) and marks duplicates, stopping before a group that needs more
 * than the credit it is given. No Akka types; one per worker, its scratch reused from batch to batch.
 *
 * <p>Memory: the scratch grows to the largest batch and partition seen; {@link #retainedBytes()} reports it
 * and {@link #release()} gives it back. Bounded by {@link MemoryPlan#processingNeed} from empty; the
 * per-template results ({@link Result}) are the batch's own, {@link MemoryPlan#assignedBytes}.
 *
 * <p>Over 300 lines because assignment is resumable group by group within a credit ({@link #assignWithin}):
 * the partition, order and duplicate steps share the position it resumes from.
 */
public final class BatchAssigner {
  private final GroupSettings settings;
  private final String source;
  private final UmiAssigner assigner;
  private final Workspace ws = new Workspace();
  private final UmiSet umis = new UmiSet();
  private final Assignment assignment = new Assignment();
  private final TemplateClassifier classifier;

  // scratch, indexed by position among the batch's kept templates
  private int[] keptTemplates = new int[64];
  private int[] scratch = new int[64];
  private long[] sortKeys = new long[64];

  // the batch being assigned: its results, and where the work stands
  private Batch batch;
  private BatchMetrics metrics;
  private int[] order;
  private int[] molecule;
  private boolean[] bStrand;
  private boolean[] duplicate;
  private int[] groupEnd;
  private int keptGroups;
  /** The next group; its kept templates start at {@code groupFrom} and end at {@code kept} once it is ready. */
  private int group;
  private int kept;
  private int groupFrom;
  private boolean groupReady;
  private long groupNeed;
  private long base;

  /**
   * A batch whose molecules are assigned. {@code order[0..keptCount)} lists the kept templates in output order;
   * {@code groupEnd[g]} is where the g-th position group with kept templates ends in it. {@code molecule},
   * {@code bStrand} and {@code duplicate} (null unless marking duplicates) are indexed by template, the
   * molecule numbered from 0 within the batch.
   */
  public record Result(int[] order, int keptCount, int[] groupEnd, int keptGroups, int[] molecule, boolean[] bStrand,
                boolean[] duplicate, BatchMetrics metrics) {}

  public BatchAssigner(GroupSettings settings, BamHeader header) {
    this.settings = settings;
    this.source = settings.source();
    this.assigner = UmiAssigner.create(settings.strategy(), settings.edits(), settings.minUmiLength());
    this.classifier = new TemplateClassifier(settings, header);
  }

  /** The filters and library x cell partitions, shared with the out-of-core path. */
  public TemplateClassifier classifier() {
    return classifier;
  }

  /** The strategy, shared with the out-of-core path. */
  public UmiAssigner assigner() {
    return assigner;
  }

  /**
   * Starts on {@code b}: sizes the per-template arrays; returns the bytes of scratch the batch needs at most,
   * counted from empty, when its UMIs are no longer than the grouper's bound
   * ({@link MemoryPlan#processingNeed}).
   */
  public long start(Batch b) {
    batch = b;
    metrics = new BatchMetrics();
    int n = b.templates();
    ensureScratch(n);
    order = new int[n];
    molecule = new int[n];
    bStrand = new boolean[n];
    duplicate = settings.markDuplicates() ? new boolean[n] : null;
    groupEnd = new int[b.groups()];
    keptGroups = 0;
    group = 0;
    kept = 0;
    base = 0;
    groupReady = false;
    return MemoryPlan.processingNeed(n, b.largestGroup(), b.umiLengthBound());
  }

  /**
   * Filters, partitions and assigns the batch's position groups one after the other while each fits in
   * {@code credit} bytes of scratch. Returns 0 when the batch is done, else the scratch the next group needs
   * (its UMIs are longer than the grouper assumed): call again once that much is covered. Each group's
   * templates are read once, for filtering and assignment together.
   */
  public long assignWithin(long credit) {
    Batch b = batch;
    byte[] d = b.data();
    while (group < b.groups()) {
      if (!groupReady) {
        groupFrom = kept;
        int longestUmi = 0;
        for (int t = b.groupStart()[group]; t < b.groupStart()[group + 1]; t++) {
          int category = classifier.classify(b, t);
          if (category == TemplateClassifier.KEEP) {
            this.keptTemplates[kept++] = t;
            longestUmi = Math.max(longestUmi, classifier.umiLen[t]);
          }
          metrics.count(category, (b.r1()[t] >= 0 ? 1 : 0) + (b.r2()[t] >= 0 ? 1 : 0));
        }
        int largestPartition = 0;
        if (!onePartition(groupFrom, kept)) {
          IntSort.sortRange(keptTemplates, groupFrom, kept, scratch, (x, y) -> classifier.comparePartition(d, x, y));
          for (int s = groupFrom; s < kept; ) {
            int e = partitionEnd(s, kept);
            largestPartition = Math.max(largestPartition, e - s);
            s = e;
          }
        } else {
          largestPartition = kept - groupFrom;
        }
        groupNeed = MemoryPlan.processingNeed(b.templates(), largestPartition, longestUmi);
        groupReady = true;
      }
      if (groupNeed > credit) {
        return groupNeed;
      }
      assignGroup(groupFrom, kept);
      groupReady = false;
      group++;
    }
    return 0;
  }

  /** True when {@code keptTemplates[from..to)} share one library and cell (the usual case: nothing to sort). */
  private boolean onePartition(int from, int to) {
    byte[] d = batch.data();
    for (int i = from + 1; i < to; i++) {
      if (classifier.comparePartition(d, keptTemplates[from], keptTemplates[i]) != 0) {
        return false;
      }
    }
    return true;
  }

  private int partitionEnd(int s, int end) {
    byte[] d = batch.data();
    int e = s + 1;
    while (e < end && classifier.comparePartition(d, keptTemplates[s], keptTemplates[e]) == 0) {
      e++;
    }
    return e;
  }

  /** Assigns, orders and marks one group's kept templates {@code keptTemplates[from..to)}. */
  private void assignGroup(int from, int to) {
    if (from == to) {
      return;
    }
    metrics.addGroup(to - from);
    for (int s = from; s < to; ) {
      int e = partitionEnd(s, to);
      base += assignPartition(s, e, base, molecule, bStrand);
      s = e;
    }
    // output order: molecule, then /A before /B, then read name. A primitive sort on (molecule, strand,
    // template) first; names are compared only inside each family, where they differ.
    outputOrder(from, to, molecule, bStrand, order);
    for (int s = from; s < to; ) {
      int e = s + 1;
      while (e < to && molecule[order[e]] == molecule[order[s]] && bStrand[order[e]] == bStrand[order[s]]) {
        e++;
      }
      metrics.addFamily(e - s);
      if (duplicate != null) {
        markDuplicates(order, s, e, duplicate);
      }
      s = e;
    }
    groupEnd[keptGroups++] = to;
  }

  /** The assigned batch, once {@link #assignWithin} has returned 0. */
  public Result result() {
    metrics.molecules = base;
    Result r = new Result(order, kept, groupEnd, keptGroups, molecule, bStrand, duplicate, metrics);
    batch = null;
    metrics = null;
    order = null;
    molecule = null;
    bStrand = null;
    duplicate = null;
    groupEnd = null;
    return r;
  }

  /** Writes {@code keptTemplates[from..to)} into {@code order[from..to)} by molecule, strand (/A first) and read name. */
  private void outputOrder(int from, int to, int[] molecule, boolean[] bStrand, int[] order) {
    for (int i = from; i < to; i++) {
      int t = keptTemplates[i];
      sortKeys[i] = ((long) molecule[t] << 32) | (bStrand[t] ? 1L << 31 : 0) | t;
    }
    Arrays.sort(sortKeys, from, to);
    for (int i = from; i < to; i++) {
      order[i] = (int) (sortKeys[i] & 0x7fffffffL);
    }
    byte[] d = batch.data();
    for (int s = from; s < to; ) {
      int e = s + 1;
      while (e < to && (sortKeys[e] >>> 31) == (sortKeys[s] >>> 31)) {
        e++;
      }
      if (e - s > 1) {
        sortFamilyByName(d, order, s, e);
      }
      s = e;
    }
  }

  /** Insertion sort for small families, a merge sort otherwise; by read name. */
  private void sortFamilyByName(byte[] d, int[] a, int from, int to) {
    if (to - from <= 16) {
      for (int i = from + 1; i < to; i++) {
        int x = a[i];
        int j = i - 1;
        while (j >= from && BamRecord.compareNames(d, first(batch, a[j]), d, first(batch, x)) > 0) {
          a[j + 1] = a[j];
          j--;
        }
        a[j + 1] = x;
      }
      return;
    }
    IntSort.sortRange(a, from, to, scratch,
        (x, y) -> BamRecord.compareNames(d, first(batch, x), d, first(batch, y)));
  }

  private void ensureScratch(int n) {
    if (keptTemplates.length < n) {
      int cap = Math.max(n, keptTemplates.length * 2);
      keptTemplates = new int[cap];
      scratch = new int[cap];
      sortKeys = new long[cap];
    }
    classifier.ensure(n);
  }

  static int first(Batch b, int t) {
    return b.r1()[t] >= 0 ? b.r1()[t] : b.r2()[t];
  }

  /** Assigns one library x cell partition {@code keptTemplates[s..e)}; returns its molecule count. */
  private int assignPartition(int s, int e, long base, int[] molecule, boolean[] bStrand) {
    Batch b = batch;
    byte[] d = b.data();
    umis.clear();
    for (int i = s; i < e; i++) {
      int t = keptTemplates[i];
      int r1 = b.r1()[t];
      int r2 = b.r2()[t];
      boolean r1Reverse = r1 >= 0 && (BamRecord.flag(d, r1) & BamRecord.FLAG_REVERSE) != 0;
      boolean r2Reverse = r2 >= 0 && (BamRecord.flag(d, r2) & BamRecord.FLAG_REVERSE) != 0;
      umis.add(d, classifier.umiOff[t], classifier.umiLen[t], r1Reverse, r2Reverse, b.r1Earlier()[t]);
    }
    try {
      assigner.assign(umis, ws, assignment);
    } catch (UmiAssignmentException ex) {
      int t = keptTemplates[s + ex.template()];
      throw new JobFailure(source + ": record " + b.recordNumber()[t] + " (read " + BamRecord.readName(d, first(b, t))
          + "): " + ex.getMessage().replace("--min-umi-length", settings.option("--min-umi-length")));
    }
    for (int i = s; i < e; i++) {
      int t = keptTemplates[i];
      molecule[t] = (int) (base + assignment.molecule(i - s));
      bStrand[t] = assignment.bStrand(i - s);
    }
    return assignment.moleculeCount();
  }

  /** One template per family stays unmarked: the best MAPQ + base-quality score, ties to the smallest name. */
  private void markDuplicates(int[] sorted, int s, int e, boolean[] duplicate) {
    byte[] d = batch.data();
    int best = -1;
    long bestScore = Long.MIN_VALUE;
    for (int i = s; i < e; i++) {
      int t = sorted[i];
      long score = duplicateScore(d, batch.r1()[t]) + duplicateScore(d, batch.r2()[t]);
      if (score > bestScore) { // sorted by name within the family, so ties keep the smallest name
        bestScore = score;
        best = t;
      }
      duplicate[t] = true;
    }
    duplicate[best] = false;
  }

  /** fgbio's score of a record for duplicate marking: MAPQ plus the sum of base qualities (0 when absent). */
  public static long duplicateScore(byte[] d, int rec) {
    return rec < 0 ? 0 : BamRecord.mapq(d, rec) + BamRecord.sumOfBaseQualities(d, rec);
  }

  /** Bytes of scratch held now. */
  public long retainedBytes() {
    return ws.retainedBytes() + umis.retainedBytes() + assignment.retainedBytes() + classifier.retainedBytes()
        + 16L * keptTemplates.length;
  }

  /** Gives back all scratch (after a batch that grew it past what a worker keeps). */
  public void release() {
    ws.shrinkTo(0);
    umis.release();
    assignment.release();
    classifier.release();
    keptTemplates = new int[64];
    scratch = new int[64];
    sortKeys = new long[64];
  }

  /** The paired strategy appends /A or /B to ids. */
  public boolean paired() {
    return settings.strategy() == Strategy.PAIRED;
  }
}
