package io.umiflow.actors.pipeline;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.GroupedBatch;
import io.umiflow.actors.batch.Batch;
import io.umiflow.actors.batch.BatchAssigner;
import io.umiflow.actors.batch.BatchMetrics;
import io.umiflow.actors.batch.JobFailure;
import io.umiflow.actors.memory.MemoryLedger;
import io.umiflow.actors.memory.MemoryPlan;
import io.umiflow.actors.outofcore.OutOfCoreGroup;
import io.umiflow.actors.outofcore.SpillFolder;
import io.umiflow.actors.outofcore.SpilledGroup;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BamRecord;
import io.umiflow.codec.Bgzf;
import io.umiflow.codec.BlockDeflater;
import io.umiflow.codec.TagEditor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One worker of the pool. For each batch, in the order they arrive: takes the memory credits assigning it
 * needs, has a {@link BatchAssigner} filter, partition and assign it, then tells the writer how many
 * molecules the batch has. When the writer answers with the batch's first molecule id (known once all
 * earlier batches are counted), it writes the records with their ids and compresses them into BGZF blocks,
 * in parallel with the other workers.
 *
 * <p>Memory: the worker's own account holds its encode buffers and the scratch it keeps between batches
 * (at most {@link MemoryPlan#workerKeep()}). A batch that needs more scratch takes it from the flow account
 * at the batch's priority <em>before</em> allocating: first the bound the grouper sized the batch with, then
 * the exact need once the batch is classified. When the credits are not there the worker waits for them
 * (a message resumes it) while it goes on encoding the batches it has already assigned, which is what gives
 * memory back; the batch at the head of the output order is always granted (see {@link MemoryLedger}).
 * After the batch the scratch is given back when it grew past the keep, and so are the credits.
 */
public final class Processor extends AbstractBehavior<Processor.Command> {
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

  /** Credits asked for the batch being assigned have been granted. */
  enum Granted implements Command { INSTANCE }

  private record SliceCollector(Assigned assigned, EncodedSlice[] slices) {}


  /** What a processor hands downstream: BGZF blocks for a file, or records with boundaries for a stream stage. */
  enum OutputMode { BGZF, RECORDS }

  private final int index;
  private final GroupSettings settings;
  private final MemoryPlan plan;
  private final MemoryLedger.Account flow;
  /** The worker's own account: its kit and the scratch it keeps, charged as they are. */
  private final MemoryLedger.Account own;
  private long ownHeld;
  private final ActorRef<Writer.Command> writer;
  private final ActorRef<PipelineEvent> job;
  private final BatchAssigner assigner;
  private final boolean paired;
  /** Output records are encoded here and compressed a BGZF block at a time, so no batch-sized copy exists. */
  private static final int ENCODE_BUFFER = 2 * Bgzf.MAX_PAYLOAD;
  private byte[] encode = new byte[ENCODE_BUFFER];
  private int encodeStart;
  private final byte[] blockScratch = new byte[Bgzf.MAX_BLOCK_SIZE];
  private final BlockDeflater deflater;
  private final byte[] assignTag;
  private final OutputMode mode;
  private final Map<Long, Assigned> pending = new HashMap<>();
  private final Map<Long, SliceCollector> collecting = new HashMap<>();
  private final int splitTemplates;
  private final SpillFolder spillFolder;
  private final Map<Long, OutOfCoreWork> outOfCore = new HashMap<>();

  // the batch being assigned, and the ones waiting behind it
  private final ArrayDeque<Command> queue = new ArrayDeque<>();
  private Process current;
  private int stage;
  /** Flow credits held for the batch being assigned (including a request not yet granted). */
  private long workHeld;
  private boolean waiting;

  /** A spilled group between its sorted runs and its output. */
  private record OutOfCoreWork(OutOfCoreGroup group, SpilledGroup spilled, ActorRef<Grouper.Command> grouper) {}

  /**
   * A batch whose molecules are assigned, waiting for its first molecule id. {@code order} lists kept
   * templates in output order; {@code groupEnd[g]} is where the g-th group with kept templates ends in it.
   */
  record Assigned(Batch batch, ActorRef<Grouper.Command> grouper, List<ActorRef<Command>> peers, int[] order,
                  int keptCount, int[] groupEnd, int keptGroups, int[] molecule, boolean[] bStrand,
                  boolean[] duplicate, BatchMetrics metrics) {}

  static Behavior<Command> create(int index, GroupSettings settings, BamHeader header, MemoryPlan plan,
                                  MemoryLedger.Account own, MemoryLedger.Account flow, ActorRef<Writer.Command> writer,
                                  ActorRef<PipelineEvent> job, OutputMode mode, int splitTemplates,
                                  SpillFolder spillFolder) {
    return Behaviors.setup(ctx -> new Processor(ctx, index, settings, header, plan, own, flow, writer, job, mode,
        splitTemplates, spillFolder));
  }

  private Processor(ActorContext<Command> ctx, int index, GroupSettings settings, BamHeader header, MemoryPlan plan,
                    MemoryLedger.Account own, MemoryLedger.Account flow, ActorRef<Writer.Command> writer,
                    ActorRef<PipelineEvent> job, OutputMode mode, int splitTemplates, SpillFolder spillFolder) {
    super(ctx);
    this.own = own;
    settleOwn(MemoryPlan.WORKER_KIT_BYTES); // the encode and deflate buffers made below
    this.spillFolder = spillFolder;
    this.mode = mode;
    this.splitTemplates = splitTemplates;
    this.plan = plan;
    this.flow = flow;
    this.index = index;
    this.settings = settings;
    this.writer = writer;
    this.job = job;
    this.assigner = new BatchAssigner(settings, header);
    this.paired = assigner.paired();
    this.deflater = new BlockDeflater(settings.compressionLevel(), settings.deflateBackend());
    this.assignTag = settings.assignTag().getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Process.class, this::enqueue)
        .onMessage(ProcessSpilled.class, this::enqueue)
        .onMessageEquals(Granted.INSTANCE, this::onGranted)
        .onMessage(Numbered.class, this::onNumbered)
        .onMessage(EncodeSlice.class, this::onEncodeSlice)
        .onMessage(SliceDone.class, this::onSliceDone)
        .build();
  }

  private Behavior<Command> enqueue(Command c) {
    queue.add(c);
    return work();
  }

  private Behavior<Command> onGranted() {
    waiting = false;
    return work();
  }

  /** Works through the queue in order until it is empty or the current batch waits for credits. */
  private Behavior<Command> work() {
    try {
      while (!waiting) {
        if (current == null) {
          Command next = queue.poll();
          if (next == null) {
            break;
          }
          if (next instanceof ProcessSpilled s) {
            if (!processSpilled(s)) {
              return Behaviors.stopped();
            }
            continue;
          }
          current = (Process) next;
          stage = 0;
        }
        if (advance()) {
          current = null;
        }
      }
    } catch (JobFailure e) {
      job.tell(new PipelineEvent.Failed(e.getMessage(), e.neededBudget()));
      return Behaviors.stopped();
    }
    return this;
  }

  /** Takes the current batch as far as its credits allow; true when it is assigned. */
  private boolean advance() {
    Batch b = current.batch();
    if (stage == 0) {
      // the bound the grouper sized the batch with, taken before anything is allocated
      long bound = assigner.start(b);
      stage = 1;
      if (!ensureCredit(bound, b.seq())) {
        return false;
      }
    }
    long more;
    while ((more = assigner.assignWithin(covered())) > 0) {
      if (!ensureCredit(more, b.seq())) {
        return false; // a group's UMIs are longer than the grouper assumed: more credit first
      }
    }
    BatchAssigner.Result r = assigner.result();
    Assigned a = new Assigned(b, current.grouper(), current.peers(), r.order(), r.keptCount(), r.groupEnd(),
        r.keptGroups(), r.molecule(), r.bStrand(), r.duplicate(), r.metrics());
    pending.put(b.seq(), a);
    finishWork(); // the scratch credits go back before anyone hears of the batch
    writer.tell(new Writer.Counted(b.seq(), a.metrics().molecules, getContext().getSelf()));
    return true;
  }

  /** The scratch the current batch may use now: the flow credits taken for it, or the worker's keep. */
  private long covered() {
    return Math.max(workHeld, plan.workerKeep());
  }

  /**
   * Makes sure {@code need} bytes of scratch (counted from empty) are covered before they are allocated: by
   * the worker's own account when they are within its keep (beside the scratch it keeps, which new arrays
   * may replace while the old ones are still alive), else by flow credits taken at {@code priority}. False
   * when the request waits (the Granted message resumes).
   */
  private boolean ensureCredit(long need, long priority) {
    if (need <= plan.workerKeep()) {
      settleOwn(MemoryPlan.WORKER_KIT_BYTES + assigner.retainedBytes() + need);
      return true;
    }
    if (need <= workHeld) {
      return true;
    }
    long more = need - workHeld;
    workHeld = need;
    ActorRef<Command> self = getContext().getSelf();
    if (flow.acquireOrWait(priority, more, () -> self.tell(Granted.INSTANCE))) {
      return true;
    }
    waiting = true;
    return false;
  }

  /** After a batch: gives back scratch grown past the keep, and the credits taken for it. */
  private void finishWork() {
    if (assigner.retainedBytes() > plan.workerKeep()) {
      assigner.release();
    }
    settleOwn(MemoryPlan.WORKER_KIT_BYTES + assigner.retainedBytes());
    if (workHeld > 0) {
      flow.release(workHeld);
      workHeld = 0;
    }
  }

  /** Makes the own account hold {@code bytes} (at most its capacity: the kit and twice the keep). */
  private void settleOwn(long bytes) {
    long target = Math.min(bytes, own.capacity());
    if (target > ownHeld) {
      if (!own.tryAcquire(target - ownHeld)) {
        throw new IllegalStateException(own.name() + " is shared"); // it is this worker's alone
      }
    } else if (target < ownHeld) {
      own.release(ownHeld - target);
    }
    ownHeld = target;
  }

  /**
   * A giant group: assigns it out of core within the group's reserve (its scratch given back first so the
   * heap holds only the reserve), reports its molecule count, then writes its sorted runs while the writer
   * numbers the batches before it. False when it failed (the job is told).
   */
  private boolean processSpilled(ProcessSpilled p) {
    SpilledGroup g = p.group();
    assigner.release();
    settleOwn(MemoryPlan.WORKER_KIT_BYTES + assigner.retainedBytes());
    OutOfCoreGroup group = new OutOfCoreGroup(g, settings, assigner.classifier(), assigner.assigner(), g.credit(),
        spillFolder, g.locus());
    outOfCore.put(g.seq(), new OutOfCoreWork(group, g, p.grouper()));
    try {
      long molecules = group.assign();
      writer.tell(new Writer.Counted(g.seq(), molecules, getContext().getSelf()));
      group.writeRuns();
      return true;
    } catch (JobFailure e) {
      job.tell(new PipelineEvent.Failed(e.getMessage(), e.neededBudget()));
    } catch (java.io.IOException e) {
      job.tell(new PipelineEvent.Failed(spillFolder.describe(e)));
    }
    return false;
  }

  private Behavior<Command> failOutOfCore(String reason) {
    job.tell(new PipelineEvent.Failed(reason));
    return Behaviors.stopped();
  }

  /**
   * Merges a spilled group's runs into its output file and hands that to the writer; for a stream stage, into
   * one message of records, which keeps its credit until delivered.
   */
  private Behavior<Command> writeOutOfCore(OutOfCoreWork w, long base) {
    SpilledGroup g = w.spilled();
    try {
      if (mode == OutputMode.RECORDS) {
        GroupedBatch grouped = w.group().mergeToRecords(base, g.credit());
        long credit = keepOnly(g.credit(), grouped.bytes());
        writer.tell(new Writer.Delivered(g.seq(), grouped, credit, w.group().metrics()));
      } else {
        java.nio.file.Path output = w.group().merge(base, g.credit());
        // everything in memory is garbage now; the output waits on disk
        long credit = keepOnly(g.credit(), 0);
        writer.tell(new Writer.Compressed(g.seq(), List.of(), output, credit, w.group().metrics()));
      }
    } catch (java.io.IOException e) {
      return failOutOfCore(spillFolder.describe(e));
    } catch (JobFailure e) {
      job.tell(new PipelineEvent.Failed(e.getMessage(), e.neededBudget()));
      return Behaviors.stopped();
    }
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
    long handed = b.recycleData();
    long credit = keepOnly(b.credit() - handed, Batch.compressedCredit(compressedBytes, blocks.size()));
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
    long handed = b.recycleData(); // every record is copied into out
    long credit = keepOnly(b.credit() - handed, grouped.bytes());
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
  public static int writeTagged(byte[] src, int rec, byte[] assignTag, byte[] value, int vlen, boolean markDuplicates,
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
      flow.release(credit - keep);
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
  public static int formatId(long id, boolean paired, boolean bStrand, byte[] out) {
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
