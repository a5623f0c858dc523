package io.umiflow.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.umiflow.assign.Assignment;
import io.umiflow.assign.IntSort;
import io.umiflow.assign.Strategy;
import io.umiflow.assign.UmiAssigner;
import io.umiflow.assign.UmiAssignmentException;
import io.umiflow.assign.UmiSet;
import io.umiflow.assign.Workspace;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BamRecord;
import io.umiflow.codec.Bgzf;
import io.umiflow.codec.BlockDeflater;
import io.umiflow.codec.PositionKey;
import io.umiflow.codec.TagEditor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One worker of the pool. For each batch: filters templates (fgbio's rules and counts), partitions each
 * position group by library and cell barcode, assigns molecules with the strategy, orders the templates
 * for output and marks duplicates; then tells the writer how many molecules the batch has. When the
 * writer answers with the batch's first molecule id (known once all earlier batches are counted), it
 * writes the records with their ids and compresses them into BGZF blocks, in parallel with the other
 * workers.
 *
 * <p>Memory: the assigner's reusable workspace lives in this processor's own account; before a partition
 * is assigned its estimate is taken from it, and the workspace is released after a group that made it
 * grow past half the share. Per-batch arrays and output buffers are covered by the batch's credit.
 */
final class Processor extends AbstractBehavior<Processor.Command> {
  sealed interface Command {}

  /**
   * Work on this batch; tell {@code grouper} when it is done. {@code peers} are all processors (this one
   * included), which share the compression of giant batches.
   */
  record Process(Batch batch, ActorRef<Grouper.Command> grouper, List<ActorRef<Command>> peers)
      implements Command {}

  /** Group this position group out of core (see {@link OutOfCoreGroup}); tell {@code grouper} when done. */
  record ProcessSpilled(SpilledGroup group, ActorRef<Grouper.Command> grouper) implements Command {}

  /** The writer's answer: the batch's molecules start at id {@code base}. */
  record Numbered(long seq, long base) implements Command {}

  /** From the processor that owns a giant batch: encode and compress this slice of its output. */
  record EncodeSlice(Assigned assigned, long base, int slice, int from, int to, ActorRef<Command> replyTo)
      implements Command {}

  /** A slice of a giant batch, encoded and compressed. */
  record SliceDone(long seq, int slice, EncodedSlice encoded) implements Command {}

  /** Compressed blocks of consecutive templates of a batch. */
  record EncodedSlice(List<byte[]> blocks, long compressedBytes, long records) {}

  private record SliceCollector(Assigned assigned, EncodedSlice[] slices) {}

  /** Batches with at least this many kept templates are encoded and compressed by every worker in slices. */
  static final int SPLIT_TEMPLATES = 100_000;

  /** What a processor hands downstream: BGZF blocks for a file, or records with boundaries for a stream stage. */
  enum OutputMode { BGZF, RECORDS }

  private final int index;
  private final GroupSettings settings;
  private final MemoryLedger.Account account;
  private final ActorRef<Writer.Command> writer;
  private final ActorRef<GroupJob.Command> job;
  private final BamHeader header;
  private final String source;
  private final UmiAssigner assigner;
  private final boolean paired;
  private final Workspace ws = new Workspace();
  private final UmiSet umis = new UmiSet();
  private final Assignment assignment = new Assignment();
  private final BlockDeflater deflater;
  private final TemplateClassifier classifier;
  private final byte[] assignTag;
  private long charged;
  /** Credits taken from the batches account for a group larger than this processor's share. */
  private long borrowed;
  /** Output records are encoded here and compressed a BGZF block at a time, so no batch-sized copy exists. */
  private static final int ENCODE_BUFFER = 2 * Bgzf.MAX_PAYLOAD;
  private byte[] encode = new byte[ENCODE_BUFFER];
  private int encodeStart;
  private final byte[] blockScratch = new byte[Bgzf.MAX_BLOCK_SIZE];
  private final MemoryLedger.Account batchAccount;
  private final OutputMode mode;
  private final Map<Long, Assigned> pending = new HashMap<>();
  private final Map<Long, SliceCollector> collecting = new HashMap<>();
  private final int splitTemplates;
  private final SpillFolder spillFolder;
  private final Map<Long, OutOfCoreWork> outOfCore = new HashMap<>();

  /** A spilled group between its sorted runs and its output. */
  private record OutOfCoreWork(OutOfCoreGroup group, SpilledGroup spilled, ActorRef<Grouper.Command> grouper) {}

  // per-batch scratch
  private int[] kept = new int[64];
  private int[] scratch = new int[64];
  private long[] sortKeys = new long[64];

  /**
   * A batch whose molecules are assigned, waiting for its first molecule id. {@code order} lists kept
   * templates in output order; {@code groupEnd[g]} is where the g-th group with kept templates ends in it.
   */
  record Assigned(Batch batch, ActorRef<Grouper.Command> grouper, List<ActorRef<Command>> peers, int[] order,
                  int keptCount,
                          int[] groupEnd, int keptGroups, int[] molecule, boolean[] bStrand, boolean[] duplicate,
                          BatchMetrics metrics) {}

  static Behavior<Command> create(int index, GroupSettings settings, BamHeader header, MemoryLedger.Account account,
                                  MemoryLedger.Account batchAccount, ActorRef<Writer.Command> writer,
                                  ActorRef<GroupJob.Command> job, OutputMode mode, int splitTemplates,
                                  SpillFolder spillFolder) {
    return Behaviors.setup(ctx -> new Processor(ctx, index, settings, header, account, batchAccount, writer, job,
        mode, splitTemplates, spillFolder));
  }

  private Processor(ActorContext<Command> ctx, int index, GroupSettings settings, BamHeader header,
                    MemoryLedger.Account account, MemoryLedger.Account batchAccount, ActorRef<Writer.Command> writer,
                    ActorRef<GroupJob.Command> job, OutputMode mode, int splitTemplates, SpillFolder spillFolder) {
    super(ctx);
    this.spillFolder = spillFolder;
    this.mode = mode;
    this.splitTemplates = splitTemplates;
    this.batchAccount = batchAccount;
    this.index = index;
    this.settings = settings;
    this.header = header;
    this.account = account;
    this.writer = writer;
    this.job = job;
    this.source = settings.inputIsStdin() ? "standard input" : settings.input();
    this.assigner = UmiAssigner.create(settings.strategy(), settings.edits(), settings.minUmiLength());
    this.paired = settings.strategy() == Strategy.PAIRED;
    this.deflater = new BlockDeflater(settings.compressionLevel(), settings.deflateBackend());
    this.assignTag = settings.assignTag().getBytes(StandardCharsets.US_ASCII);
    this.classifier = new TemplateClassifier(settings, header);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Process.class, this::onProcess)
        .onMessage(ProcessSpilled.class, this::onProcessSpilled)
        .onMessage(Numbered.class, this::onNumbered)
        .onMessage(EncodeSlice.class, this::onEncodeSlice)
        .onMessage(SliceDone.class, this::onSliceDone)
        .build();
  }

  private Behavior<Command> onProcess(Process p) {
    try {
      Assigned a = assign(p.batch(), p.grouper(), p.peers());
      pending.put(p.batch().seq(), a);
      writer.tell(new Writer.Counted(p.batch().seq(), a.metrics().molecules, getContext().getSelf()));
    } catch (JobFailure e) {
      job.tell(new GroupJob.StageFailed(e.getMessage()));
      return Behaviors.stopped();
    }
    return this;
  }

  private Assigned assign(Batch b, ActorRef<Grouper.Command> grouper, List<ActorRef<Command>> peers) {
    int n = b.templates();
    int[] order = new int[n];
    int[] molecule = new int[n];
    boolean[] bStrand = new boolean[n];
    boolean[] duplicate = settings.markDuplicates() ? new boolean[n] : null;
    BatchMetrics metrics = new BatchMetrics();
    ensureScratch(n);
    int written = 0;
    int[] groupEnd = new int[b.groups()];
    int keptGroups = 0;
    long base = 0;
    byte[] d = b.data();
    for (int g = 0; g < b.groups(); g++) {
      int gs = b.groupStart()[g];
      int ge = b.groupStart()[g + 1];
      int k = 0;
      for (int t = gs; t < ge; t++) {
        int category = classifier.classify(b, t);
        int recs = (b.r1()[t] >= 0 ? 1 : 0) + (b.r2()[t] >= 0 ? 1 : 0);
        switch (category) {
          case TemplateClassifier.KEEP -> {
            kept[k++] = t;
            metrics.accepted += recs;
          }
          case TemplateClassifier.NON_PF -> metrics.discardedNonPf += recs;
          case TemplateClassifier.POOR_ALIGNMENT -> metrics.discardedPoorAlignment += recs;
          case TemplateClassifier.NS_IN_UMI -> metrics.discardedNsInUmi += recs;
          default -> metrics.discardedUmisTooShort += recs;
        }
      }
      if (k == 0) {
        continue;
      }
      int[] parts = partition(b, k);
      for (int s = 0; s < k; ) {
        int e = s + 1;
        while (e < k && samePartition(d, parts[s], parts[e])) {
          e++;
        }
        base += assignPartition(b, parts, s, e, base, molecule, bStrand);
        s = e;
      }
      // output order: molecule, then /A before /B, then read name. A primitive sort on (molecule, strand,
      // template) first; names are compared only inside each family, where they differ.
      int[] sorted = outputOrder(b, parts, k, molecule, bStrand);
      for (int s = 0; s < k; ) {
        int e = s + 1;
        while (e < k && molecule[sorted[e]] == molecule[sorted[s]] && bStrand[sorted[e]] == bStrand[sorted[s]]) {
          e++;
        }
        metrics.addFamily(e - s);
        if (duplicate != null) {
          markDuplicates(b, sorted, s, e, duplicate);
        }
        s = e;
      }
      System.arraycopy(sorted, 0, order, written, k);
      written += k;
      groupEnd[keptGroups++] = written;
    }
    metrics.molecules = base;
    trimWorkspace();
    return new Assigned(b, grouper, peers, order, written, groupEnd, keptGroups, molecule, bStrand, duplicate, metrics);
  }

  /** Sorts {@code parts[0..k)} by molecule, strand (/A first) and read name; returns the sorted array. */
  private int[] outputOrder(Batch b, int[] parts, int k, int[] molecule, boolean[] bStrand) {
    byte[] d = b.data();
    if (sortKeys.length < k) {
      sortKeys = new long[Math.max(k, sortKeys.length * 2)];
    }
    for (int i = 0; i < k; i++) {
      int t = parts[i];
      sortKeys[i] = ((long) molecule[t] << 32) | (bStrand[t] ? 1L << 31 : 0) | t;
    }
    Arrays.sort(sortKeys, 0, k);
    int[] sorted = scratch == parts ? kept : scratch;
    for (int i = 0; i < k; i++) {
      sorted[i] = (int) (sortKeys[i] & 0x7fffffffL);
    }
    for (int s = 0; s < k; ) {
      int e = s + 1;
      while (e < k && (sortKeys[e] >>> 31) == (sortKeys[s] >>> 31)) {
        e++;
      }
      if (e - s > 1) {
        sortFamilyByName(d, b, sorted, s, e);
      }
      s = e;
    }
    return sorted;
  }

  /** Insertion sort for small families, a merge sort otherwise; by read name. */
  private void sortFamilyByName(byte[] d, Batch b, int[] a, int from, int to) {
    int n = to - from;
    if (n <= 16) {
      for (int i = from + 1; i < to; i++) {
        int x = a[i];
        int j = i - 1;
        while (j >= from && BamRecord.compareNames(d, first(b, a[j]), d, first(b, x)) > 0) {
          a[j + 1] = a[j];
          j--;
        }
        a[j + 1] = x;
      }
      return;
    }
    int[] run = Arrays.copyOfRange(a, from, to);
    int[] tmp = new int[n];
    int[] out = IntSort.sort(run, n, tmp, (x, y) -> BamRecord.compareNames(d, first(b, x), d, first(b, y)));
    System.arraycopy(out, 0, a, from, n);
  }

  private void ensureScratch(int n) {
    if (kept.length < n) {
      int cap = Math.max(n, kept.length * 2);
      kept = new int[cap];
      scratch = new int[cap];
    }
    classifier.ensure(n);
  }

  static int first(Batch b, int t) {
    return b.r1()[t] >= 0 ? b.r1()[t] : b.r2()[t];
  }

  /** Sorts the kept templates of a group by library, then cell barcode; returns them in that order. */
  private int[] partition(Batch b, int k) {
    byte[] d = b.data();
    boolean allSame = true;
    for (int i = 1; i < k && allSame; i++) {
      allSame = samePartition(d, kept[0], kept[i]);
    }
    if (allSame) {
      return kept;
    }
    int[] sorted = IntSort.sort(kept, k, scratch, (x, y) -> classifier.comparePartition(d, x, y));
    if (sorted == scratch) {
      scratch = kept;
      kept = sorted;
    }
    return kept;
  }

  private boolean samePartition(byte[] d, int x, int y) {
    return classifier.comparePartition(d, x, y) == 0;
  }

  /** Assigns one library x cell partition {@code parts[s..e)}; returns its molecule count. */
  private int assignPartition(Batch b, int[] parts, int s, int e, long base, int[] molecule, boolean[] bStrand) {
    byte[] d = b.data();
    umis.clear();
    for (int i = s; i < e; i++) {
      int t = parts[i];
      int r1 = b.r1()[t];
      int r2 = b.r2()[t];
      boolean r1Reverse = r1 >= 0 && (BamRecord.flag(d, r1) & BamRecord.FLAG_REVERSE) != 0;
      boolean r2Reverse = r2 >= 0 && (BamRecord.flag(d, r2) & BamRecord.FLAG_REVERSE) != 0;
      umis.add(d, classifier.umiOff[t], classifier.umiLen[t], r1Reverse, r2Reverse, b.r1Earlier()[t]);
    }
    chargeFor(b, parts[s], e - s);
    try {
      assigner.assign(umis, ws, assignment);
    } catch (UmiAssignmentException ex) {
      int t = parts[s + ex.template()];
      throw new JobFailure(source + ": record " + b.recordNumber()[t] + " (read " + BamRecord.readName(d, first(b, t))
          + "): " + ex.getMessage());
    }
    for (int i = s; i < e; i++) {
      int t = parts[i];
      long id = base + assignment.molecule(i - s);
      molecule[t] = (int) id;
      bStrand[t] = assignment.bStrand(i - s);
    }
    return assignment.moleculeCount();
  }

  /**
   * Takes this processor's credits for assigning {@code n} templates. When its own share is too small (a
   * giant group), it borrows the rest from the batches account if that has the room now; it never waits
   * for it (a wait could deadlock on the batches that wait for this one), and gives it back after the batch.
   * Fails the job when neither has room.
   */
  private void chargeFor(Batch b, int t, int n) {
    int maxLen = 0;
    for (int i = 0; i < Math.min(umis.size(), 64); i++) {
      maxLen = Math.max(maxLen, umis.length(i));
    }
    long estimate = Workspace.estimateBytes(n, n, maxLen);
    long need = Math.max(ws.retainedBytes(), estimate) + otherRetainedBytes();
    if (need <= charged + borrowed) {
      return;
    }
    if (account.tryAcquire(need - charged - borrowed)) {
      charged = need - borrowed;
      return;
    }
    ws.shrinkTo(0);
    settleCharge();
    need = estimate + otherRetainedBytes();
    long more = need - charged - borrowed;
    long own = Math.min(more, account.capacity() - account.held()); // this account is ours alone
    if (own > 0 && account.tryAcquire(own)) {
      charged += own;
      more -= own;
    }
    if (more > 0 && batchAccount.tryAcquire(more)) {
      borrowed += more;
      more = 0;
    }
    if (more > 0) {
      byte[] d = b.data();
      PositionKey key = new PositionKey().set(d, b.r1()[t], d, b.r2()[t]);
      throw new JobFailure("the position group at " + locus(key) + " has " + n
          + " templates in one library and cell; assigning them needs " + (need >> 20) + " MiB, more than a worker's "
          + (account.capacity() >> 20) + " MiB share and what the budget has free; raise --memory or lower --threads");
    }
  }

  /** Everything this processor keeps between batches except the assigner's workspace. */
  private long otherRetainedBytes() {
    return umis.retainedBytes() + assignment.retainedBytes() + 8L * kept.length + classifier.retainedBytes()
        + 8L * sortKeys.length + encode.length
        + blockScratch.length;
  }

  /** Makes the charge equal to what is retained now (taking more only if the account has it). */
  private void settleCharge() {
    long retained = ws.retainedBytes() + otherRetainedBytes();
    if (retained < charged) {
      account.release(charged - retained);
      charged = retained;
    } else if (retained > charged && account.tryAcquire(retained - charged)) {
      charged = retained;
    }
  }

  private String locus(PositionKey k) {
    return k.unmapped() ? "unmapped" : header.referenceName(k.tid1()) + ":" + (k.pos1() + 1);
  }

  /**
   * Gives back the workspace after a group that grew it past half the share (always after one that had to
   * borrow), returns what was borrowed, and settles the charge.
   */
  private void trimWorkspace() {
    if (borrowed > 0 || ws.retainedBytes() > account.capacity() / 2) {
      ws.shrinkTo(0);
    }
    if (borrowed > 0) {
      batchAccount.release(borrowed);
      borrowed = 0;
    }
    settleCharge();
  }

  /** One template per family stays unmarked: the best MAPQ + base-quality score, ties to the smallest name. */
  private void markDuplicates(Batch b, int[] sorted, int s, int e, boolean[] duplicate) {
    byte[] d = b.data();
    int best = -1;
    long bestScore = Long.MIN_VALUE;
    for (int i = s; i < e; i++) {
      int t = sorted[i];
      long score = duplicateScore(d, b.r1()[t]) + duplicateScore(d, b.r2()[t]);
      if (score > bestScore) { // sorted by name within the family, so ties keep the smallest name
        bestScore = score;
        best = t;
      }
      duplicate[t] = true;
    }
    duplicate[best] = false;
  }

  /** fgbio's score of a record for duplicate marking: MAPQ plus the sum of base qualities (0 when absent). */
  static long duplicateScore(byte[] d, int rec) {
    return rec < 0 ? 0 : BamRecord.mapq(d, rec) + BamRecord.sumOfBaseQualities(d, rec);
  }

  /**
   * A giant group: assigns it out of core within the group's reserved credit plus whatever this processor's
   * own account has free (its workspace is given back first), reports its molecule count, then writes its
   * sorted runs while the writer numbers the batches before it.
   */
  private Behavior<Command> onProcessSpilled(ProcessSpilled p) {
    SpilledGroup g = p.group();
    ws.shrinkTo(0);
    settleCharge();
    long own = Math.max(0, account.capacity() - account.held());
    if (own > 0 && !account.tryAcquire(own)) {
      own = 0;
    }
    OutOfCoreGroup group = new OutOfCoreGroup(g, settings, classifier, assigner, g.credit() + own, spillFolder,
        g.locus());
    outOfCore.put(g.seq(), new OutOfCoreWork(group, g, p.grouper()));
    try {
      long molecules = group.assign();
      writer.tell(new Writer.Counted(g.seq(), molecules, getContext().getSelf()));
      group.writeRuns();
    } catch (JobFailure e) {
      return failOutOfCore(e.getMessage());
    } catch (java.io.IOException e) {
      return failOutOfCore(spillFolder.describe(e));
    } finally {
      // the merge works within the group's reserve alone, so later batches find this account free
      account.release(own);
    }
    return this;
  }

  private Behavior<Command> failOutOfCore(String reason) {
    job.tell(new GroupJob.StageFailed(reason));
    return Behaviors.stopped();
  }

  /** Merges a spilled group's runs into its output file and hands that to the writer. */
  private Behavior<Command> writeOutOfCore(OutOfCoreWork w, long base) {
    java.nio.file.Path output;
    try {
      output = w.group().merge(base, w.spilled().credit());
    } catch (java.io.IOException e) {
      return failOutOfCore(spillFolder.describe(e));
    }
    // everything in memory is garbage now; the output waits on disk
    long credit = keepOnly(w.spilled().credit(), 0);
    writer.tell(new Writer.Compressed(w.spilled().seq(), List.of(), output, credit, w.group().metrics()));
    w.grouper().tell(new Grouper.ProcessorDone(index));
    return this;
  }

  private Behavior<Command> onNumbered(Numbered n) {
    OutOfCoreWork work = outOfCore.remove(n.seq());
    if (work != null) {
      return writeOutOfCore(work, n.base());
    }
    Assigned a = pending.remove(n.seq());
    if (mode == OutputMode.RECORDS) {
      return deliverRecords(a, n.base());
    }
    if (a.keptCount() < splitTemplates || a.peers().size() < 2) {
      EncodedSlice all = encodeRange(a, n.base(), 0, a.keptCount());
      return finishCompressed(a, List.of(all));
    }
    // a giant batch: every worker encodes and compresses a slice; BGZF blocks concatenate in any split
    int slices = a.peers().size();
    SliceCollector collector = new SliceCollector(a, new EncodedSlice[slices]);
    collecting.put(a.batch().seq(), collector);
    for (int i = 0; i < slices; i++) {
      int from = (int) ((long) a.keptCount() * i / slices);
      int to = (int) ((long) a.keptCount() * (i + 1) / slices);
      a.peers().get(i).tell(new EncodeSlice(a, n.base(), i, from, to, getContext().getSelf()));
    }
    return this;
  }

  private Behavior<Command> onEncodeSlice(EncodeSlice e) {
    e.replyTo().tell(new SliceDone(e.assigned().batch().seq(), e.slice(),
        encodeRange(e.assigned(), e.base(), e.from(), e.to())));
    return this;
  }

  private Behavior<Command> onSliceDone(SliceDone d) {
    SliceCollector c = collecting.get(d.seq());
    c.slices()[d.slice()] = d.encoded();
    for (EncodedSlice slice : c.slices()) {
      if (slice == null) {
        return this;
      }
    }
    collecting.remove(d.seq());
    return finishCompressed(c.assigned(), List.of(c.slices()));
  }

  /** Sends the batch's compressed blocks, slices in order, keeping only their credit. */
  private Behavior<Command> finishCompressed(Assigned a, List<EncodedSlice> slices) {
    List<byte[]> blocks = new ArrayList<>();
    long compressedBytes = 0;
    long records = 0;
    for (EncodedSlice slice : slices) {
      blocks.addAll(slice.blocks());
      compressedBytes += slice.compressedBytes();
      records += slice.records();
    }
    Batch b = a.batch();
    // the batch's input is garbage from here on (every slice is encoded): keep only the compressed blocks' credit
    b.recycleData();
    long credit = keepOnly(b.credit(), Batch.compressedCredit(compressedBytes, blocks.size()));
    a.metrics().recordsOut = records;
    writer.tell(new Writer.Compressed(b.seq(), blocks, null, credit, a.metrics()));
    a.grouper().tell(new Grouper.ProcessorDone(index));
    return this;
  }

  /** Encodes templates {@code order[from..to)} with their ids and compresses them into BGZF blocks. */
  private EncodedSlice encodeRange(Assigned a, long base, int from, int to) {
    Batch b = a.batch();
    byte[] d = b.data();
    byte[] value = new byte[24];
    List<byte[]> blocks = new ArrayList<>();
    long compressedBytes = 0;
    int used = 0;
    long records = 0;
    long lastId = -1;
    boolean lastStrand = false;
    int vlen = 0;
    for (int i = from; i < to; i++) {
      int t = a.order()[i];
      long id = base + a.molecule()[t];
      if (id != lastId || a.bStrand()[t] != lastStrand) { // templates of one molecule are adjacent here
        vlen = formatId(id, paired, a.bStrand()[t], value);
        lastId = id;
        lastStrand = a.bStrand()[t];
      }
      for (int r = 0; r < 2; r++) {
        int rec = r == 0 ? b.r1()[t] : b.r2()[t];
        if (rec < 0) {
          continue;
        }
        int room = TagEditor.maxEditedSize(d, rec, vlen);
        if (used + room > encode.length) {
          compressedBytes += compressFull(blocks, used);
          used = keepTail(used);
          ensureEncodeRoom(used + room);
        }
        used += writeRecord(d, rec, value, vlen, a.duplicate(), t, encode, used);
        records++;
      }
    }
    compressedBytes += compressFull(blocks, used);
    used = keepTail(used);
    if (used > 0) {
      int len = deflater.deflate(encode, 0, used, blockScratch, 0);
      blocks.add(Arrays.copyOf(blockScratch, len));
      compressedBytes += len;
    }
    if (encode.length > ENCODE_BUFFER) {
      encode = new byte[ENCODE_BUFFER]; // a giant record grew it; do not keep that
    }
    return new EncodedSlice(blocks, compressedBytes, records);
  }

  /** Stream-stage output: the records with their ids, uncompressed, with template and group boundaries. */
  private Behavior<Command> deliverRecords(Assigned a, long base) {
    Batch b = a.batch();
    byte[] d = b.data();
    byte[] value = new byte[24];
    byte[] out = new byte[(int) Math.min(Integer.MAX_VALUE - 16, b.outputBound())];
    int[] recordStart = new int[b.records() + 1];
    int[] templateStart = new int[a.keptCount() + 1];
    int[] groupStart = new int[a.keptGroups() + 1];
    for (int g = 1; g <= a.keptGroups(); g++) {
      groupStart[g] = a.groupEnd()[g - 1];
    }
    int used = 0;
    int records = 0;
    for (int i = 0; i < a.keptCount(); i++) {
      int t = a.order()[i];
      templateStart[i] = records;
      int vlen = formatId(base + a.molecule()[t], paired, a.bStrand()[t], value);
      for (int r = 0; r < 2; r++) {
        int rec = r == 0 ? b.r1()[t] : b.r2()[t];
        if (rec < 0) {
          continue;
        }
        recordStart[records++] = used;
        used += writeRecord(d, rec, value, vlen, a.duplicate(), t, out, used);
      }
    }
    recordStart[records] = used;
    templateStart[a.keptCount()] = records;
    GroupedBatch grouped = new GroupedBatch(out, used, recordStart, records, templateStart, a.keptCount(), groupStart,
        a.keptGroups());
    b.recycleData(); // every record is copied into out
    long credit = keepOnly(b.credit(), grouped.bytes());
    a.metrics().recordsOut = records;
    writer.tell(new Writer.Delivered(b.seq(), grouped, credit, a.metrics()));
    a.grouper().tell(new Grouper.ProcessorDone(index));
    return this;
  }

  /**
   * Writes one output record: the input record with the molecule id tag set and, when marking duplicates,
   * the duplicate flag set or cleared. Returns the bytes written.
   */
  private int writeRecord(byte[] d, int rec, byte[] value, int vlen, boolean[] duplicate, int template, byte[] out,
                          int at) {
    return writeTagged(d, rec, assignTag, value, vlen, duplicate != null, duplicate != null && duplicate[template],
        out, at);
  }

  /**
   * Copies record {@code rec} of {@code src} to {@code out} at {@code at} with the molecule id tag set to
   * {@code value[0..vlen)} and, when marking duplicates, the duplicate flag set or cleared; returns the bytes
   * written. Shared by the in-memory and the out-of-core output.
   */
  static int writeTagged(byte[] src, int rec, byte[] assignTag, byte[] value, int vlen, boolean markDuplicates,
                         boolean duplicate, byte[] out, int at) {
    int n = TagEditor.copyWithStringTag(src, rec, (char) assignTag[0], (char) assignTag[1], value, vlen, out, at);
    if (markDuplicates) {
      int flag = BamRecord.flag(out, at);
      BamRecord.setFlag(out, at, duplicate ? flag | BamRecord.FLAG_DUPLICATE : flag & ~BamRecord.FLAG_DUPLICATE);
    }
    return n;
  }

  /** Gives back a batch's credit beyond {@code keep} (its input is garbage once encoded); returns what it keeps. */
  private long keepOnly(long credit, long keep) {
    if (keep < credit) {
      batchAccount.release(credit - keep);
      return keep;
    }
    return credit;
  }

  /** Compresses every whole block's worth of {@code encode[0..used)}; returns the compressed bytes added. */
  private long compressFull(List<byte[]> blocks, int used) {
    long total = 0;
    encodeStart = 0;
    while (used - encodeStart >= Bgzf.MAX_PAYLOAD) {
      int len = deflater.deflate(encode, encodeStart, Bgzf.MAX_PAYLOAD, blockScratch, 0);
      blocks.add(Arrays.copyOf(blockScratch, len));
      total += len;
      encodeStart += Bgzf.MAX_PAYLOAD;
    }
    return total;
  }

  /** Moves the bytes not yet compressed to the front of the encode buffer; returns how many there are. */
  private int keepTail(int used) {
    int tail = used - encodeStart;
    System.arraycopy(encode, encodeStart, encode, 0, tail);
    encodeStart = 0;
    return tail;
  }

  private void ensureEncodeRoom(int n) {
    if (encode.length < n) {
      encode = Arrays.copyOf(encode, Math.max(n, encode.length * 2));
    }
  }

  /** Writes the decimal id, plus /A or /B for the paired strategy; returns its length. */
  static int formatId(long id, boolean paired, boolean bStrand, byte[] out) {
    int len = 1;
    for (long p = 10; len < 19 && id >= p; p *= 10) {
      len++;
    }
    int at = len;
    if (id <= Integer.MAX_VALUE) { // int division: C1 does not turn division by 10 into a multiply
      int v = (int) id;
      do {
        int q = v / 10;
        out[--at] = (byte) ('0' + v - q * 10);
        v = q;
      } while (v > 0);
    } else {
      long v = id;
      do {
        long q = v / 10;
        out[--at] = (byte) ('0' + v - q * 10);
        v = q;
      } while (v > 0);
    }
    if (paired) {
      out[len++] = '/';
      out[len++] = (byte) (bStrand ? 'B' : 'A');
    }
    return len;
  }
}
