package io.umiflow.actors.pipeline;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.GroupedBatch;
import io.umiflow.actors.batch.Batch;
import io.umiflow.actors.batch.BatchAssigner;
import io.umiflow.actors.batch.JobFailure;
import io.umiflow.actors.memory.MemoryLedger;
import io.umiflow.actors.memory.MemoryPlan;
import io.umiflow.actors.outofcore.OutOfCoreGroup;
import io.umiflow.actors.outofcore.SpillFolder;
import io.umiflow.actors.outofcore.SpilledGroup;
import io.umiflow.codec.BamHeader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One worker of the pool. For each batch, in the order they arrive: covers the scratch assigning it needs
 * ({@link WorkerCredits}), has its {@link BatchAssigner} filter, partition, assign and order it, then tells
 * the writer how many molecules the batch has. When the writer answers with the batch's first molecule id
 * (known once all earlier batches are counted), its {@link BatchEncoder} writes the records with their ids
 * and compresses them into BGZF blocks, in parallel with the other workers; a giant batch is encoded in
 * slices by all of them.
 *
 * <p>Memory: a batch's scratch beyond the worker's keep is taken from the flow account at the batch's
 * priority <em>before</em> it is allocated: first the bound the grouper sized the batch with, then more
 * when a group's UMIs turn out longer. When the credits are not there the worker waits for them (Granted
 * resumes it) while it goes on encoding the batches it has already assigned, which is what gives memory
 * back; the batch at the head of the output order is always granted (see {@link MemoryLedger}).
 *
 * <p>About 300 lines of protocol and handlers: seven messages, the in-order queue, giant batches encoded in
 * slices by all workers, spilled groups; the work itself is in the classes named above.
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
  record EncodeSlice(Batch batch, BatchAssigner.Result assigned, long base, int slice, int from, int to,
                     ActorRef<Command> replyTo) implements Command {}

  /** A slice of a giant batch, encoded and compressed. */
  record SliceDone(long seq, int slice, BatchEncoder.Blocks encoded) implements Command {}

  /** Credits asked for the batch being assigned have been granted. */
  enum Granted implements Command { INSTANCE }

  /** What a processor hands downstream: BGZF blocks for a file, or records with boundaries for a stream stage. */
  enum OutputMode { BGZF, RECORDS }

  /** A batch whose molecules are assigned, waiting for its first molecule id. */
  private record Assigned(Process work, BatchAssigner.Result result) {
    Batch batch() {
      return work.batch();
    }
  }

  /** The slices of a giant batch, filled in as its peers answer. */
  private record SliceCollector(Assigned assigned, BatchEncoder.Blocks[] slices) {}

  /** A spilled group between its sorted runs and its output. */
  private record OutOfCoreWork(OutOfCoreGroup group, SpilledGroup spilled, ActorRef<Grouper.Command> grouper) {}

  private final int index;
  private final GroupSettings settings;
  private final WorkerCredits credits;
  private final ActorRef<Writer.Command> writer;
  private final ActorRef<PipelineEvent> job;
  private final BatchAssigner assigner;
  private final BatchEncoder encoder;
  private final OutputMode mode;
  private final int splitTemplates;
  private final SpillFolder spillFolder;
  private final Map<Long, Assigned> pending = new HashMap<>();
  private final Map<Long, SliceCollector> collecting = new HashMap<>();
  private final Map<Long, OutOfCoreWork> outOfCore = new HashMap<>();
  private final long workerKeep;

  // the batch being assigned, and the ones waiting behind it
  private final ArrayDeque<Command> queue = new ArrayDeque<>();
  private Process current;
  private boolean started;
  private boolean waiting;

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
    this.credits = new WorkerCredits(plan, own, flow); // the kit: the encoder's buffers made below
    this.workerKeep = plan.workerKeep();
    this.spillFolder = spillFolder;
    this.mode = mode;
    this.splitTemplates = splitTemplates;
    this.index = index;
    this.settings = settings;
    this.writer = writer;
    this.job = job;
    this.assigner = new BatchAssigner(settings, header);
    this.encoder = new BatchEncoder(settings, assigner.paired());
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
          started = false;
        }
        if (assignCurrent()) {
          current = null;
        }
      }
    } catch (JobFailure e) {
      job.tell(new PipelineEvent.Failed(e.getMessage(), e.neededBudget()));
      return Behaviors.stopped();
    }
    return this;
  }

  /** Takes the current batch as far as its credits allow; true when it is assigned and counted. */
  private boolean assignCurrent() {
    Batch b = current.batch();
    if (!started) {
      started = true;
      // the bound the grouper sized the batch with, covered before anything is allocated
      if (!cover(assigner.start(b), b.seq())) {
        return false;
      }
    }
    long more;
    while ((more = assigner.assignWithin(credits.covered())) > 0) {
      if (!cover(more, b.seq())) {
        return false; // a group's UMIs are longer than the grouper assumed: more credit first
      }
    }
    Assigned a = new Assigned(current, assigner.result());
    pending.put(b.seq(), a);
    // the scratch credits go back before anyone hears of the batch; scratch grown past the keep goes too
    if (assigner.retainedBytes() > workerKeep) {
      assigner.release();
    }
    credits.finish(assigner.retainedBytes());
    writer.tell(new Writer.Counted(b.seq(), a.result().metrics().molecules, getContext().getSelf()));
    return true;
  }

  /** Covers {@code need} bytes of scratch; false when waiting for credits (Granted resumes). */
  private boolean cover(long need, long priority) {
    ActorRef<Command> self = getContext().getSelf();
    waiting = !credits.cover(need, assigner.retainedBytes(), priority, () -> self.tell(Granted.INSTANCE));
    return !waiting;
  }

  /**
   * A giant group: assigns it out of core within the group's reserve (its scratch given back first so the
   * heap holds only the reserve), reports its molecule count, then writes its sorted runs while the writer
   * numbers the batches before it. False when it failed (the job is told).
   */
  private boolean processSpilled(ProcessSpilled p) {
    SpilledGroup g = p.group();
    assigner.release();
    credits.settleOwn(assigner.retainedBytes());
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
    } catch (IOException e) {
      job.tell(new PipelineEvent.Failed(spillFolder.describe(e)));
    }
    return false;
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
        long credit = credits.keepOnly(g.credit(), grouped.bytes());
        writer.tell(new Writer.Delivered(g.seq(), grouped, credit, w.group().metrics()));
      } else {
        Path output = w.group().merge(base, g.credit());
        // everything in memory is garbage now; the output waits on disk
        long credit = credits.keepOnly(g.credit(), 0);
        writer.tell(new Writer.Compressed(g.seq(), List.of(), output, credit, w.group().metrics()));
      }
    } catch (IOException e) {
      job.tell(new PipelineEvent.Failed(spillFolder.describe(e)));
      return Behaviors.stopped();
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
    List<ActorRef<Command>> peers = a.work().peers();
    int kept = a.result().keptCount();
    if (kept < splitTemplates || peers.size() < 2) {
      return finishCompressed(a, encoder.compress(a.batch(), a.result(), n.base(), 0, kept));
    }
    // a giant batch: every worker encodes and compresses a slice; BGZF blocks concatenate in any split
    int slices = peers.size();
    collecting.put(a.batch().seq(), new SliceCollector(a, new BatchEncoder.Blocks[slices]));
    for (int i = 0; i < slices; i++) {
      int from = (int) ((long) kept * i / slices);
      int to = (int) ((long) kept * (i + 1) / slices);
      peers.get(i).tell(new EncodeSlice(a.batch(), a.result(), n.base(), i, from, to, getContext().getSelf()));
    }
    return this;
  }

  private Behavior<Command> onEncodeSlice(EncodeSlice e) {
    e.replyTo().tell(new SliceDone(e.batch().seq(), e.slice(),
        encoder.compress(e.batch(), e.assigned(), e.base(), e.from(), e.to())));
    return this;
  }

  private Behavior<Command> onSliceDone(SliceDone d) {
    SliceCollector c = collecting.get(d.seq());
    c.slices()[d.slice()] = d.encoded();
    for (BatchEncoder.Blocks slice : c.slices()) {
      if (slice == null) {
        return this;
      }
    }
    collecting.remove(d.seq());
    return finishCompressed(c.assigned(), BatchEncoder.Blocks.concat(List.of(c.slices())));
  }

  /** Sends the batch's compressed blocks, keeping only their credit. */
  private Behavior<Command> finishCompressed(Assigned a, BatchEncoder.Blocks out) {
    Batch b = a.batch();
    // the batch's input is garbage from here on (every slice is encoded): keep only the compressed blocks' credit
    long handed = b.recycleData();
    long credit = credits.keepOnly(b.credit() - handed,
        Batch.compressedCredit(out.compressedBytes(), out.blocks().size()));
    a.result().metrics().recordsOut = out.records();
    writer.tell(new Writer.Compressed(b.seq(), out.blocks(), null, credit, a.result().metrics()));
    a.work().grouper().tell(new Grouper.ProcessorDone(index));
    return this;
  }

  /** Stream-stage output: the records with their ids, uncompressed, keeping only their credit. */
  private Behavior<Command> deliverRecords(Assigned a, long base) {
    Batch b = a.batch();
    GroupedBatch grouped = encoder.records(b, a.result(), base);
    long handed = b.recycleData(); // every record is copied into the message
    long credit = credits.keepOnly(b.credit() - handed, grouped.bytes());
    a.result().metrics().recordsOut = grouped.recordCount();
    writer.tell(new Writer.Delivered(b.seq(), grouped, credit, a.result().metrics()));
    a.work().grouper().tell(new Grouper.ProcessorDone(index));
    return this;
  }
}
