package io.umiflow.actors.pipeline;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.batch.Batch;
import io.umiflow.actors.batch.JobFailure;
import io.umiflow.actors.memory.ByteArrayPool;
import io.umiflow.actors.memory.MemoryLedger;
import io.umiflow.actors.memory.MemoryPlan;
import io.umiflow.actors.outofcore.SpillFolder;
import io.umiflow.actors.outofcore.SpilledGroup;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.InputFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns inflated chunks, restored to input order, into batches of whole position groups for the processors
 * (the work is {@link OpenBatch}'s). A batch is cut once its closed groups reach the target size; the
 * still-open group moves to the next batch.
 *
 * <p>Credits (flow account, at the open batch's priority, see {@link MemoryLedger}): a chunk is parsed a
 * slice at a time. Before a slice, the grouper projects what the open batch would need as an item once the
 * slice is in ({@link MemoryPlan#batchNeed}); when that passes {@link MemoryPlan#itemLimit()}, it first
 * cuts the closed groups, or sends the open group to disk. Then it takes credits for the arrays the slice
 * may grow, parses, and the open batch gives back what its arrays do not use. A cut takes credits for the
 * new arrays the open group moves to and for the cut batch's output before anything is allocated; the cut
 * batch carries its credit to the writer, which returns it. Credits the open batch holds when its sequence
 * number changes are taken again at the new one before the old are released (no credits pass from an item
 * to a later one). Every request may wait; a Granted message resumes the loop where it stopped.
 *
 * <p>Giant groups: a group that would outgrow what one item may hold (or {@code --spill-threshold}) has its
 * templates streamed to a spill file. When it ends it goes to a processor as a {@link SpilledGroup} with a
 * reserve of the flow account for its out-of-core grouping, taken at its own priority (granted once the
 * batches before it are written; nothing after it is cut before that).
 */
final class Grouper extends AbstractBehavior<Grouper.Command> {
  sealed interface Command {}

  /**
   * Inflated bytes of chunk {@code seq}; {@code credit} (the array's length for a pooled array) is held in
   * the reader account and handed back with the array to {@code recycle}, or released when that is null.
   */
  record Chunk(long seq, byte[] data, int length, long credit, ByteArrayPool recycle) implements Command {
    /** A chunk whose array is not reused. */
    Chunk(long seq, byte[] data, int length, long credit) {
      this(seq, data, length, credit, null);
    }
  }

  /** The reader sent chunks {@code 0..chunks-1}. */
  record EndOfInput(long chunks) implements Command {}

  /** Credits asked for earlier have been granted. */
  enum Granted implements Command { INSTANCE }

  /** A processor finished a batch (for least-loaded dispatch). */
  record ProcessorDone(int processor) implements Command {}

  private final MemoryPlan plan;
  private final MemoryLedger.Account readerAccount;
  private final MemoryLedger.Account flow;
  private final ActorRef<PipelineEvent> job;
  private final ActorRef<Writer.Command> writer;
  private final Dispatcher processors;
  private final SpillFolder spillFolder;
  private final OpenBatch open;
  private final Map<Long, Chunk> pending = new HashMap<>();
  private long nextChunk;
  private long endAt = -1;
  private Chunk current;
  private int currentOffset;
  private boolean failed;
  private boolean inputDone;
  /** A request waits for credits; the Granted message resumes. */
  private boolean waiting;
  private boolean transferRequested;
  /** A spilled group that has ended, waiting for its reserve before dispatch. */
  private SpilledGroup spillToDispatch;
  private boolean spillReserveRequested;

  static Behavior<Command> create(GroupSettings settings, BamHeader header, MemoryPlan plan,
                                  MemoryLedger.Account readerAccount, MemoryLedger.Account flow, PipelineStats stats,
                                  ActorRef<PipelineEvent> job, ActorRef<Writer.Command> writer,
                                  List<ActorRef<Processor.Command>> processors, SpillFolder spillFolder,
                                  boolean recordsOut) {
    return Behaviors.setup(ctx -> new Grouper(ctx, settings, header, plan, readerAccount, flow, stats, job, writer,
        processors, spillFolder, recordsOut));
  }

  private Grouper(ActorContext<Command> ctx, GroupSettings settings, BamHeader header, MemoryPlan plan,
                  MemoryLedger.Account readerAccount, MemoryLedger.Account flow, PipelineStats stats,
                  ActorRef<PipelineEvent> job, ActorRef<Writer.Command> writer,
                  List<ActorRef<Processor.Command>> processors, SpillFolder spillFolder, boolean recordsOut) {
    super(ctx);
    this.plan = plan;
    this.readerAccount = readerAccount;
    this.flow = flow;
    this.job = job;
    this.writer = writer;
    this.processors = new Dispatcher(processors, plan.batchesInFlight());
    this.spillFolder = spillFolder;
    this.open = new OpenBatch(settings, header, plan, flow, stats, spillFolder, recordsOut);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Chunk.class, this::onChunk)
        .onMessage(EndOfInput.class, this::onEnd)
        .onMessageEquals(Granted.INSTANCE, this::onGranted)
        .onMessage(ProcessorDone.class, this::onProcessorDone)
        .onSignal(PostStop.class, s -> {
          flow.cancelWaiters();
          open.closeSpillQuietly();
          return this;
        })
        .build();
  }

  private Behavior<Command> onChunk(Chunk c) {
    pending.put(c.seq(), c);
    return drain();
  }

  private Behavior<Command> onEnd(EndOfInput e) {
    endAt = e.chunks();
    return drain();
  }

  private Behavior<Command> onGranted() {
    waiting = false;
    return drain();
  }

  private Behavior<Command> onProcessorDone(ProcessorDone d) {
    processors.done(d.processor());
    return drain();
  }

  /** Does what can be done now, in output order: a spilled group, a transfer, a cut, then the next slice. */
  private Behavior<Command> drain() {
    try {
      while (!failed && !waiting) {
        if (spillToDispatch == null) {
          spillToDispatch = open.takeEndedSpill();
        }
        if (spillToDispatch != null) {
          if (!dispatchSpilled()) {
            break;
          }
        } else if (open.untransferred() > 0) {
          if (!transfer()) {
            break;
          }
        } else if (open.cutWanted()) {
          if (!holdAtLeast(open.cutNeed())) {
            break;
          }
          Batch batch = open.cut();
          if (batch != null) {
            dispatch(batch);
          }
        } else if (inputDone) {
          if (holdAtLeast(open.lastBatchNeed())) {
            finishBatches();
          }
          break;
        } else if (processors.busy() || !nextSlice()) {
          break;
        }
      }
    } catch (InputFormatException e) {
      fail(e.getMessage(), 0);
    } catch (IOException e) {
      fail(spillFolder.describe(e), 0);
    } catch (UncheckedIOException e) {
      fail(spillFolder.describe(e.getCause()), 0);
    } catch (JobFailure e) {
      fail(e.getMessage(), e.neededBudget());
    }
    return this;
  }

  /**
   * Makes the open batch hold at least {@code need}, asking the flow account at its priority for the rest.
   * False when the request waits (the Granted message resumes; the bytes count as held from now on).
   */
  private boolean holdAtLeast(long need) {
    long more = need - open.held();
    if (more <= 0) {
      return true;
    }
    open.credited(more);
    return acquire(open.seq(), more);
  }

  /** Takes {@code bytes} from the flow account at {@code priority}; false when waiting (Granted resumes). */
  private boolean acquire(long priority, long bytes) {
    ActorRef<Command> self = getContext().getSelf();
    waiting = !flow.acquireOrWait(priority, bytes, () -> self.tell(Granted.INSTANCE));
    return !waiting;
  }

  /** Takes the open batch's credits again at its new sequence number, then releases the old ones. */
  private boolean transfer() {
    if (!transferRequested) {
      transferRequested = true;
      if (!acquire(open.seq(), open.untransferred())) {
        return false;
      }
    }
    transferRequested = false;
    open.transferred();
    return true;
  }

  /** Parses the next slice of input; false when there is none yet, or when it waits for credits. */
  private boolean nextSlice() throws InputFormatException, IOException {
    if (current == null) {
      Chunk c = pending.remove(nextChunk);
      if (c == null) {
        if (endAt >= 0 && nextChunk == endAt) {
          endAt = -1;
          open.finishInput();
          inputDone = true;
          return true;
        }
        return false;
      }
      nextChunk++;
      current = c;
      currentOffset = 0;
    }
    int len = Math.min(plan.sliceBytes(), current.length() - currentOffset);
    int maxRecords = open.sliceRecords(plan.sliceRecords());
    int carryBound = open.carryBound(current.data(), currentOffset, len);
    if (open.projectedNeed(len, maxRecords, carryBound) > plan.itemLimit() && open.makeRoom(carryBound)) {
      return true; // a cut or a spill comes first; the slice is tried again after it
    }
    if (!holdAtLeast(open.growNeed(len, maxRecords, carryBound))) {
      return false;
    }
    open.grow(len, maxRecords);
    currentOffset += open.feed(current.data(), currentOffset, len, maxRecords);
    if (currentOffset == current.length()) {
      if (current.recycle() != null) {
        current.recycle().give(current.data()); // every record it held has been copied out
      } else {
        readerAccount.release(current.credit());
      }
      current = null;
    }
    return true;
  }

  /**
   * Takes the spilled group's reserve at its own priority (granted once it is the head, when it needs more
   * than the batches behind the head may use) and dispatches it; false when waiting for the credit.
   */
  private boolean dispatchSpilled() {
    SpilledGroup g = spillToDispatch;
    if (!spillReserveRequested) {
      // the open batch's credits are taken again at its own number only after this group is written (the
      // transfer waits behind it), so the reserve leaves room for them once, not twice
      long reserve = plan.spillReserve(open.held());
      spillToDispatch = g = g.withCredit(reserve);
      spillReserveRequested = true;
      if (!acquire(g.seq(), reserve)) {
        return false;
      }
    }
    spillReserveRequested = false;
    spillToDispatch = null;
    processors.send(g, getContext().getSelf());
    return true;
  }

  /** Sends the last batch (any spilled group before it went first) and tells the writer how many there were. */
  private void finishBatches() {
    Batch last = open.lastBatch();
    if (last != null) {
      dispatch(last);
    }
    writer.tell(new Writer.EndOfBatches(open.seq()));
    inputDone = false;
  }

  private void fail(String reason, long neededBudget) {
    failed = true;
    job.tell(new PipelineEvent.Failed(reason, neededBudget));
  }

  private void dispatch(Batch batch) {
    processors.send(batch, getContext().getSelf());
  }
}
