package io.umiflow.actors.outofcore;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.GroupedBatch;
import io.umiflow.actors.batch.Batch;
import io.umiflow.actors.batch.BatchAssigner;
import io.umiflow.actors.batch.BatchMetrics;
import io.umiflow.actors.batch.JobFailure;
import io.umiflow.actors.batch.TemplateClassifier;
import io.umiflow.actors.memory.MemoryPlan;

import io.umiflow.assign.Assignment;
import io.umiflow.assign.IntSort;
import io.umiflow.assign.UmiAssigner;
import io.umiflow.assign.UmiAssignmentException;
import io.umiflow.assign.UmiSet;
import io.umiflow.assign.Workspace;
import io.umiflow.codec.BamRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Groups one position group that the grouper streamed to a spill file, within a fixed number of bytes
 * whatever the group's size. Gives the same molecules, order and flags as the in-memory path:
 *
 * <ol>
 *   <li>{@link #assign()}: reads the file once, filtering templates as usual, and keeps only the distinct
 *       (library and cell, orientation, UMI) entries with their counts; assigns molecules from those
 *       weighted entries, one library x cell x orientation subgroup at a time (assignment depends only on
 *       the multiset of UMIs, which the property tests of {@code assign} pin down).</li>
 *   <li>{@link #writeRuns()}: reads the file again, tags each kept template with its molecule, strand and
 *       duplicate score, and writes sorted runs of bounded size (molecule, strand, read name).</li>
 *   <li>{@link #merge}: merges the runs (in several levels when there are many) into the group's
 *       output, compressed into a file that the writer copies into place; marks duplicates and counts
 *       families on the way, since families arrive contiguous and in name order. For a stream stage,
 *       {@link #mergeToRecords} collects the output as one message instead.</li>
 * </ol>
 *
 * <p>Memory: {@code limit} bytes for the entry index, one subgroup's assignment, a run buffer or the merge
 * cursors. When the distinct entries of all partitions do not fit, the partitions go in waves; when those of
 * one partition do not fit, the job fails naming the locus.
 *
 * <p>Reading the file is {@link SpillChunks}'s, the runs and their merge {@link SortedRuns}', the output
 * records {@link TaggedOutput}'s. Over 300 lines because the passes, the waves and the assignment share one
 * state (the entry index, the partitions, the current wave and its molecule ids) that splitting would pass
 * back and forth.
 */
public final class OutOfCoreGroup {
  private static final int CHUNK_BYTES_MAX = 8 << 20;

  private final SpilledGroup group;
  private final GroupSettings settings;
  private final TemplateClassifier classifier;
  private final UmiAssigner assigner;
  private final boolean paired;
  private final long limit;
  private final SpillFolder folder;
  private final String locus;
  private final BatchMetrics metrics = new BatchMetrics();
  private final byte[] assignTag;
  private final String source;

  /** Filter counts are taken in the first pass only. */
  private boolean countFilters = true;
  /** The partitions of the current wave (null: all, one pass); see {@link #assignInWaves}. */
  private boolean[] wave;
  private int waveSize;
  /** Every wave's runs are written. */
  private boolean wavesDone;
  private int wavesRun;

  // pass 1: distinct entries; key = partition id (4), flags (1), UMI bytes
  private ByteKeyIndex partitions = new ByteKeyIndex();
  private ByteKeyIndex entries = new ByteKeyIndex();
  private int[] weight = new int[1024];
  private int[] entryMolecule;
  private boolean[] entryB;
  private long molecules;
  private byte[] key = new byte[64];
  private int keyLength;

  private final SpillChunks chunks;

  // pass 2 and merge
  private long[] bestScore;
  private final SortedRuns runs;

  public OutOfCoreGroup(SpilledGroup group, GroupSettings settings, TemplateClassifier classifier, UmiAssigner assigner,
                 long limit, SpillFolder folder, String locus) {
    this.group = group;
    this.settings = settings;
    this.classifier = classifier;
    this.assigner = assigner;
    this.paired = settings.strategy() == io.umiflow.assign.Strategy.PAIRED;
    this.limit = limit;
    this.folder = folder;
    this.locus = locus;
    this.assignTag = settings.assignTag().getBytes(StandardCharsets.US_ASCII);
    this.source = settings.source();
    this.chunks = new SpillChunks(group.file(), settings.deflateBackend(), group.seq(),
        (int) Math.max(1 << 16, Math.min(CHUNK_BYTES_MAX, limit / 8)));
    this.runs = new SortedRuns(folder, settings.deflateBackend());
  }

  public BatchMetrics metrics() {
    return metrics;
  }

  /** Waves of partitions the group was grouped in; 0 when one pass held them all. */
  int waves() {
    return wavesRun;
  }

  /**
   * Pass 1 and assignment; returns the group's molecule count (ids 0..count-1, local to the group). When the
   * distinct entries of all partitions together do not fit, the partitions are taken in waves instead (see
   * {@link #assignInWaves}), each wave's runs written before the next.
   */
  public long assign() throws IOException {
    try {
      distinctEntries();
      assignEntries(0);
      return molecules;
    } catch (Overflow e) {
      return assignInWaves(e);
    }
  }

  /** Pass 1: the distinct entries (of the current wave's partitions) with their counts. */
  private void distinctEntries() throws IOException {
    long[] kept = new long[1];
    forEachKept((chunk, t) -> {
      kept[0]++;
      int e = entries.add(key, 0, keyLength);
      if (e == weight.length) {
        weight = Arrays.copyOf(weight, weight.length * 2);
      }
      weight[e]++;
    }, () -> {
      if (indexBytes() > limit && waveSize != 1) {
        throw new Overflow(entries.size() / (double) Math.max(1, kept[0]), entriesPerPartition(), false);
      }
      checkMemory(indexBytes(), "its distinct UMIs");
    });
  }

  /** What a pass does with a kept template of the wave ({@link #key} holds its entry key). */
  private interface KeptTemplate {
    void accept(Batch chunk, int t) throws IOException;
  }

  /** What a pass does after each chunk. */
  private interface AfterChunk {
    void run() throws IOException;
  }

  /**
   * One read of the spill file: filters every template (counting it when counting), calls {@code kept} for
   * each kept template of the current wave, and {@code after} after each chunk.
   */
  private void forEachKept(KeptTemplate kept, AfterChunk after) throws IOException {
    try (SpillChunks.Pass pass = chunks.pass()) {
      Batch chunk;
      while ((chunk = pass.next()) != null) {
        classifier.ensure(chunk.templates());
        for (int t = 0; t < chunk.templates(); t++) {
          if (keep(chunk, t)) {
            kept.accept(chunk, t);
          }
        }
        after.run();
      }
    }
  }

  /** The distinct entries of every partition at once do not fit: the group goes in waves of partitions. */
  private static final class Overflow extends RuntimeException {
    /** Distinct entries per kept template seen before the overflow. */
    final double ratio;
    /** Distinct entries of each partition in the index when it overflowed. */
    final long[] entries;
    /** The index held every entry (it was assignment that did not fit): the counts are exact. */
    final boolean complete;

    Overflow(double ratio, long[] entries, boolean complete) {
      super(null, null, false, false);
      this.ratio = ratio;
      this.entries = entries;
      this.complete = complete;
    }
  }

  /** Distinct entries per partition id in the index now. */
  private long[] entriesPerPartition() {
    long[] counts = new long[partitions.size()];
    byte[] keys = entries.arena();
    for (int id = 0; id < entries.size(); id++) {
      counts[BamRecord.i32(keys, entries.start(id))]++;
    }
    return counts;
  }

  /**
   * Groups the partitions (library x cell) in waves, in their sort order: a counting pass takes each
   * partition's templates (and the filter counts), then each wave of partitions whose distinct entries should
   * fit (estimated from what the {@code first} pass saw) gets its own pass 1, assignment and pass 2. Molecule ids run on from
   * wave to wave exactly as in one pass. A wave that overflows anyway is split in two; a single partition
   * that does not fit is the one failure left. Costs two reads of the spill file per wave.
   */
  private long assignInWaves(Overflow first) throws IOException {
    metrics.accepted = 0;
    metrics.discardedNonPf = 0;
    metrics.discardedPoorAlignment = 0;
    metrics.discardedNsInUmi = 0;
    metrics.discardedUmisTooShort = 0;
    entries = new ByteKeyIndex();
    weight = new int[1024];
    long[][] perPartition = {new long[16]};
    countFilters = true;
    forEachKept((chunk, t) -> {
      int p = BamRecord.i32(key, 0);
      long[] templates = perPartition[0];
      if (p >= templates.length) {
        perPartition[0] = templates = Arrays.copyOf(templates, Math.max(p + 1, templates.length * 2));
      }
      templates[p]++;
    }, () -> {});
    long[] templates = perPartition[0];
    countFilters = false;
    int n = partitions.size();
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    int[] sorted = IntSort.sort(order, n, new int[n], this::comparePartitions);
    double[] estimate = new double[n];
    for (int p = 0; p < n; p++) {
      long seen = p < first.entries.length ? first.entries[p] : 0;
      long kept = p < templates.length ? templates[p] : 0;
      estimate[p] = first.complete ? seen : Math.max(seen, kept * Math.min(1.0, first.ratio * 1.25));
    }
    java.util.ArrayDeque<int[]> waves = new java.util.ArrayDeque<>(planWaves(sorted, estimate));
    long base = 0;
    while (!waves.isEmpty()) {
      int[] members = waves.poll();
      waveSize = members.length;
      wave = new boolean[n];
      for (int p : members) {
        wave[p] = true;
      }
      try {
        distinctEntries();
        assignEntries(base);
      } catch (Overflow e) {
        waves.addFirst(Arrays.copyOfRange(members, members.length / 2, members.length));
        waves.addFirst(Arrays.copyOfRange(members, 0, members.length / 2));
        entries = new ByteKeyIndex();
        weight = new int[1024];
        continue;
      }
      base = molecules;
      wavesRun++;
      runPass();
      entries = new ByteKeyIndex();
      weight = new int[1024];
      entryMolecule = null;
      entryB = null;
    }
    wave = null;
    waveSize = 0;
    wavesDone = true;
    return molecules;
  }

  /**
   * Consecutive partitions (in sort order) whose estimated distinct entries, with the assignment of the
   * largest, take at most three quarters of the limit; a partition too large for that alone is a wave of its
   * own. The estimates are the counts the overflowing pass saw, exact when it had read every template.
   */
  private List<int[]> planWaves(int[] sorted, double[] estimates) {
    double perEntry = 96; // index slot, key, count, molecule and strand, order arrays
    double perAssigned = 320; // weighted UMI set and assigner workspace per entry of the largest partition
    List<int[]> waves = new ArrayList<>();
    List<Integer> current = new ArrayList<>();
    double entriesSoFar = 0;
    double largest = 0;
    for (int p : sorted) {
      double estimate = estimates[p];
      double cost = (entriesSoFar + estimate) * perEntry + Math.max(largest, estimate) * perAssigned;
      if (!current.isEmpty() && cost > (limit - chunkBytes()) * 0.75) {
        waves.add(current.stream().mapToInt(Integer::intValue).toArray());
        current.clear();
        entriesSoFar = 0;
        largest = 0;
      }
      current.add(p);
      entriesSoFar += estimate;
      largest = Math.max(largest, estimate);
    }
    if (!current.isEmpty()) {
      waves.add(current.stream().mapToInt(Integer::intValue).toArray());
    }
    return waves;
  }

  /**
   * Filters template {@code t} (counting it when counting), and for a kept one of the current wave builds its
   * entry key; true when kept. A kept template outside the wave returns false with its partition id at the
   * start of the key.
   */
  private boolean keep(Batch b, int t) {
    int category = classifier.classify(b, t);
    int recs = (b.r1()[t] >= 0 ? 1 : 0) + (b.r2()[t] >= 0 ? 1 : 0);
    if (countFilters) {
      metrics.count(category, recs);
    }
    if (category != TemplateClassifier.KEEP) {
      return false;
    }
    byte[] d = b.data();
    // the partition: library, then cell barcode (absent sorts first)
    int cellLen = classifier.cellLen[t];
    ensureKey(8 + Math.max(0, cellLen));
    BamRecord.putI32(key, 0, classifier.library[t]);
    BamRecord.putI32(key, 4, cellLen);
    if (cellLen > 0) {
      System.arraycopy(d, classifier.cellOff[t], key, 8, cellLen);
    }
    int partition = partitions.add(key, 0, 8 + Math.max(0, cellLen));
    if (wave != null && (partition >= wave.length || !wave[partition])) {
      BamRecord.putI32(key, 0, partition);
      return false;
    }
    int umiLen = classifier.umiLen[t];
    ensureKey(5 + umiLen);
    BamRecord.putI32(key, 0, partition);
    int r1 = b.r1()[t];
    int r2 = b.r2()[t];
    boolean r1Reverse = r1 >= 0 && (BamRecord.flag(d, r1) & BamRecord.FLAG_REVERSE) != 0;
    boolean r2Reverse = r2 >= 0 && (BamRecord.flag(d, r2) & BamRecord.FLAG_REVERSE) != 0;
    // what the strategy looks at: the R1 end for paired UMIs, the pair orientation otherwise
    key[4] = (byte) (paired ? (b.r1Earlier()[t] ? 4 : 0) : ((r1Reverse ? 2 : 0) | (r2Reverse ? 1 : 0)));
    System.arraycopy(d, classifier.umiOff[t], key, 5, umiLen);
    keyLength = 5 + umiLen;
    return true;
  }

  private void ensureKey(int n) {
    if (key.length < n) {
      key = Arrays.copyOf(key, Math.max(n, key.length * 2));
    }
  }

  private long indexBytes() {
    return partitions.retainedBytes() + entries.retainedBytes() + (weight == null ? 0 : 4L * weight.length)
        + chunkBytes();
  }

  private long chunkBytes() {
    return chunks.retainedBytes() + classifier.retainedBytes();
  }

  private void checkMemory(long bytes, String what) {
    if (bytes > limit) {
      // what the group needs grows a little while it is read: a tenth more, so the suggestion holds
      long budget = MemoryPlan.budgetForSpill(bytes + bytes / 10, settings.threads(), settings.memoryTuning());
      throw new JobFailure("the position group at " + locus + " (" + group.templates() + " templates, "
          + entries.size() + " distinct UMIs" + (countFilters ? " so far" : "") + ") needs " + mib(bytes) + " for "
          + what + " even out of core, more than the " + mib(limit) + " it may use; a memory budget of "
          + mib(budget) + " would hold it", budget);
    }
  }

  private static String mib(long bytes) {
    return ((bytes + (1 << 20) - 1) >> 20) + " MiB";
  }

  /**
   * Assigns every library x cell x orientation subgroup (of the wave) in the in-memory path's order, molecule
   * ids from {@code base} on.
   */
  private void assignEntries(long base) {
    int n = entries.size();
    entryMolecule = new int[n];
    entryB = new boolean[n];
    // subgroups in order: partition (library, then cell), then orientation code (paired: one subgroup)
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    byte[] keys = entries.arena();
    int[] sorted = IntSort.sort(order, n, new int[n], (x, y) -> compareSubgroups(keys, x, y));
    UmiSet umis = new UmiSet();
    Workspace ws = new Workspace();
    Assignment out = new Assignment();
    for (int s = 0; s < n; ) {
      int e = s + 1;
      while (e < n && compareSubgroups(keys, sorted[s], sorted[e]) == 0) {
        e++;
      }
      umis.clear();
      int maxLen = 0;
      for (int i = s; i < e; i++) {
        int id = sorted[i];
        int start = entries.start(id);
        int len = entries.end(id) - start - 5;
        maxLen = Math.max(maxLen, len);
        byte flags = keys[start + 4];
        umis.add(keys, start + 5, len, (flags & 2) != 0, (flags & 1) != 0, (flags & 4) != 0, weight[id]);
      }
      int m = e - s;
      long need = indexBytes() + 5L * n + 8L * n + Workspace.estimateBytes(m, m, maxLen) + 2 * umis.retainedBytes()
          + 10L * m;
      if (need > limit && waveSize != 1) {
        throw new Overflow(1.0, entriesPerPartition(), true);
      }
      checkMemory(need, "assigning its UMIs");
      try {
        assigner.assign(umis, ws, out);
      } catch (UmiAssignmentException ex) {
        throw new JobFailure(source + ": the position group at " + locus + ": " + ex.getMessage());
      }
      for (int i = s; i < e; i++) {
        entryMolecule[sorted[i]] = (int) (base + out.molecule(i - s));
        entryB[sorted[i]] = out.bStrand(i - s);
      }
      base += out.moleculeCount();
      s = e;
    }
    molecules = base;
    metrics.molecules = base;
    weight = null;
  }

  /** Partition (library, then cell with "none" first, then bytes), then orientation code. */
  private int compareSubgroups(byte[] keys, int x, int y) {
    int xs = entries.start(x);
    int ys = entries.start(y);
    int px = BamRecord.i32(keys, xs);
    int py = BamRecord.i32(keys, ys);
    if (px != py) {
      return comparePartitions(px, py);
    }
    return paired ? 0 : Byte.compare(keys[xs + 4], keys[ys + 4]);
  }

  /** Partitions by library, then cell with "none" first, then bytes. */
  private int comparePartitions(int px, int py) {
    byte[] p = partitions.arena();
    int a = partitions.start(px);
    int b = partitions.start(py);
    int c = Integer.compare(BamRecord.i32(p, a), BamRecord.i32(p, b));
    if (c != 0) {
      return c;
    }
    int la = BamRecord.i32(p, a + 4);
    int lb = BamRecord.i32(p, b + 4);
    if (la < 0 || lb < 0) {
      return Integer.compare(la, lb);
    }
    return Arrays.compareUnsigned(p, a + 8, a + 8 + la, p, b + 8, b + 8 + lb);
  }

  /**
   * Pass 2: every kept template with its molecule, strand and duplicate score, in sorted runs of bounded
   * size (already written wave by wave when the group went in waves). Deletes the spill file afterwards.
   */
  public void writeRuns() throws IOException {
    if (!wavesDone) {
      runPass();
    }
    Files.deleteIfExists(group.file());
    entries = null;
    partitions = null;
    entryMolecule = null;
    entryB = null;
    chunks.release();
  }

  /** One pass 2 over the file, for the templates of the current wave (all when there are none). */
  private void runPass() throws IOException {
    countFilters = false;
    if (settings.markDuplicates()) {
      int families = (int) Math.min(Integer.MAX_VALUE - 16, 2 * molecules);
      int had = bestScore == null ? 0 : bestScore.length;
      bestScore = bestScore == null ? new long[families] : Arrays.copyOf(bestScore, families);
      Arrays.fill(bestScore, had, families, Long.MIN_VALUE);
    }
    long fixed = indexBytes() + 5L * entries.size() + (bestScore == null ? 0 : 8L * bestScore.length);
    long runBytes = settings.spillRunBytes() > 0 ? settings.spillRunBytes()
        : Math.min(256L << 20, (limit - fixed) / 2);
    checkMemory(fixed + 2 * Math.max(runBytes, 1 << 16), "sorting its templates");
    RunBuffer buffer = new RunBuffer((int) Math.max(settings.spillRunBytes() > 0 ? 1024 : 1 << 16, runBytes));
    forEachKept((chunk, t) -> {
      int e = entries.find(key, 0, keyLength);
      int molecule = entryMolecule[e];
      boolean b = entryB[e];
      byte[] d = chunk.data();
      int a = chunk.r1()[t];
      int z = chunk.r2()[t];
      long score = 0;
      if (bestScore != null) {
        score = BatchAssigner.duplicateScore(d, a) + BatchAssigner.duplicateScore(d, z);
        int family = 2 * molecule + (b ? 1 : 0);
        bestScore[family] = Math.max(bestScore[family], score);
      }
      buffer.add(chunk, t, molecule, b, score);
    }, () -> {});
    buffer.flush();
  }

  /** Kept templates tagged with their molecules, written as a sorted run whenever the buffer is full. */
  private final class RunBuffer {
    private byte[] run;
    private int[] offsets = new int[1024];
    private int used;
    private int entries;

    RunBuffer(int bytes) {
      this.run = new byte[bytes];
    }

    void add(Batch chunk, int t, int molecule, boolean bStrand, long score) throws IOException {
      byte[] d = chunk.data();
      int a = chunk.r1()[t];
      int z = chunk.r2()[t];
      int size = SpillFile.HEADER + (a >= 0 ? BamRecord.totalSize(d, a) : 0) + (z >= 0 ? BamRecord.totalSize(d, z) : 0);
      if (used + size > run.length && entries > 0) {
        flush();
      }
      if (size > run.length) {
        run = new byte[size];
      }
      if (entries == offsets.length) {
        offsets = Arrays.copyOf(offsets, offsets.length * 2);
      }
      offsets[entries++] = used;
      used += SpillFile.write(run, used, d, a, z, chunk.r1Earlier()[t], chunk.recordNumber()[t], molecule, bStrand,
          score);
    }

    void flush() throws IOException {
      if (entries > 0) {
        runs.write(run, offsets, entries);
        used = 0;
        entries = 0;
      }
    }
  }

  /**
   * Merges the runs into the group's output: records with their molecule ids ({@code base} onwards) and
   * duplicate flags, BGZF-compressed at the output's level into a file for the writer. Works within
   * {@code mergeLimit} bytes (the duplicate scores plus one cursor per run merged at once).
   */
  public Path merge(long base, long mergeLimit) throws IOException {
    Path output = folder.newFile("output");
    TaggedOutput.ToFile out = new TaggedOutput.ToFile(tagging(), base, output, settings.compressionLevel(),
        settings.deflateBackend());
    try (out) {
      runs.mergeInto(out, cursorRoom(mergeLimit));
    }
    metrics.recordsOut = out.records;
    return output;
  }

  /**
   * Merges the runs into the group's output as records, for a stream stage that delivers a position group as
   * one message: the message itself must fit in {@code mergeLimit} beside the merge. Fails naming the locus
   * when it cannot.
   */
  public GroupedBatch mergeToRecords(long base, long mergeLimit) throws IOException {
    long bound = group.recordBytes() + 32L * group.records();
    long message = bound + 4L * (group.records() + group.templates() + 4) + 64;
    long scores = bestScore == null ? 0 : 8L * bestScore.length;
    long need = message + scores + 2 * SortedRuns.CURSOR_BYTES + (1 << 20);
    if (bound > Integer.MAX_VALUE - 16 || need > mergeLimit) {
      long budget = MemoryPlan.budgetForSpill(need, settings.threads(), settings.memoryTuning());
      throw new JobFailure("the position group at " + locus + " has " + mib(group.recordBytes())
          + " of records; delivered as one message it needs " + mib(need) + ", more than the " + mib(mergeLimit)
          + " it may use; a memory budget of " + mib(budget) + " would hold it", budget);
    }
    TaggedOutput.ToRecords out = new TaggedOutput.ToRecords(tagging(), base, (int) bound, (int) group.records(),
        (int) group.templates());
    runs.mergeInto(out, cursorRoom(mergeLimit - message));
    GroupedBatch batch = out.batch();
    metrics.recordsOut = out.records;
    return batch;
  }

  /** What merging within {@code limit} leaves for run cursors, beside the duplicate scores. */
  private long cursorRoom(long limit) {
    return limit - (bestScore == null ? 0 : 8L * bestScore.length) - (1 << 20);
  }

  private TaggedOutput.Tagging tagging() {
    return new TaggedOutput.Tagging(assignTag, paired, bestScore, metrics);
  }
}
