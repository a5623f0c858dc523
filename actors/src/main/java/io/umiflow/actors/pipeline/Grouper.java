package io.umiflow.actors.pipeline;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.batch.Batch;
import io.umiflow.actors.batch.JobFailure;
import io.umiflow.actors.memory.ByteArrayPool;
import io.umiflow.actors.memory.MemoryLedger;
import io.umiflow.actors.memory.MemoryPlan;
import io.umiflow.actors.outofcore.SpillFile;
import io.umiflow.actors.outofcore.SpillFolder;
import io.umiflow.actors.outofcore.SpilledGroup;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BamRecord;
import io.umiflow.codec.InputFormatException;
import io.umiflow.codec.PositionKey;
import io.umiflow.codec.RecordSplitter;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns inflated chunks, restored to input order, into batches of whole position groups. Cuts records,
 * assembles templates (runs of one read name), keeps their primary records, computes each template's
 * position key and checks that keys never go backwards. A batch is cut once its closed groups reach the
 * target size; the still-open group moves to the next batch.
 *
 * <p>Credits (flow account, at the open batch's priority, see {@link MemoryLedger}): a chunk is parsed a
 * slice at a time. Before a slice, the grouper projects what the open batch would need as an item once the
 * slice is in ({@link MemoryPlan#batchNeed}); when that passes {@link MemoryPlan#itemLimit()}, it first
 * cuts the closed groups, or sends the open group to disk. Then it takes credits for the arrays the slice
 * may grow (old and new copies both), parses, and gives back what the arrays do not use. A cut takes
 * credits for the new arrays the open group moves to, and for the cut batch's output, before anything is
 * allocated; the cut batch carries its credit to the writer, which returns it. Credits the open batch holds
 * when its sequence number changes are taken again at the new one before they are released (no credits
 * pass from an item to a later one).
 *
 * <p>Giant groups: a group that would outgrow what one item may hold (or {@code --spill-threshold}) has its
 * templates streamed to a {@link SpillFile}. When it ends it goes to a processor as a {@link SpilledGroup}
 * with a reserve of the flow account for its out-of-core grouping, taken at its own priority (it is granted
 * once the batches before it are written, and nothing after it is cut before that).
 */
public final class Grouper extends AbstractBehavior<Grouper.Command> {
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

  private final GroupSettings settings;
  private final MemoryPlan plan;
  private final MemoryLedger.Account readerAccount;
  private final MemoryLedger.Account flow;
  private final PipelineStats stats;
  private final ActorRef<PipelineEvent> job;
  private final ActorRef<Writer.Command> writer;
  private final List<ActorRef<Processor.Command>> processors;
  private final int[] outstanding;
  private final BamHeader header;
  private final String source;
  private final boolean recordsOut;
  /** Arrays for batches' records: taken here, given back by the processor that encodes the batch. */
  private final ByteArrayPool batchBuffers;
  private final RecordSplitter splitter;
  private final Map<Long, Chunk> pending = new HashMap<>();
  private long nextChunk;
  private long endAt = -1;
  private Chunk current;
  private int currentOffset;
  private boolean failed;
  private boolean inputDone;
  /** Sequence number of the open batch: the next batch or spilled group to be sent. */
  private long openSeq;

  // credits
  /** Flow credits the open batch holds, including a request not yet granted. */
  private long held;
  /** A request waits for credits; the Granted message resumes. */
  private boolean waiting;
  /** Part of {@code held} taken under an earlier sequence number, to be taken again under {@link #openSeq}. */
  private long untransferred;
  private boolean transferRequested;
  /** The closed groups are to be cut as a batch, once the credits for it are granted. */
  private boolean cutPending;

  // the open batch
  private byte[] data = new byte[0];
  private int dataLen;
  private int[] r1 = new int[0];
  private int[] r2 = new int[0];
  private boolean[] early = new boolean[0];
  private long[] recNo = new long[0];
  private int templates;
  private int[] groupStart = new int[1];
  private int groups;
  private int records;
  private int maxRecord;
  /** Templates of the largest closed group of the open batch, and the UMI length bound of large groups. */
  private long closedMaxGroup;
  private int closedUmiBound;

  // the template being assembled
  private final byte[] name = new byte[256 + 40];
  private boolean inTemplate;
  private int tplR1 = -1;
  private int tplR2 = -1;
  private long tplFirstRecord;
  private final PositionKey key = new PositionKey();
  private final PositionKey previous = new PositionKey();
  private boolean havePrevious;
  private long groupTemplates;
  /** Longest UMI of the open group, measured once it has {@link MemoryPlan#MEASURED_GROUP_TEMPLATES}. */
  private int openUmiLength;

  // giant groups
  private final SpillFolder spillFolder;
  private SpillFile.Appender spill;
  private long spillRecords;
  private String spillLocus;
  /** A closed spilled group waiting for its reserve before dispatch. */
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
    this.spillFolder = spillFolder;
    this.settings = settings;
    this.plan = plan;
    this.header = header;
    this.readerAccount = readerAccount;
    this.flow = flow;
    this.stats = stats;
    this.job = job;
    this.writer = writer;
    this.processors = processors;
    this.recordsOut = recordsOut;
    this.outstanding = new int[processors.size()];
    this.batchBuffers = new ByteArrayPool(plan.batchArraySize(), flow);
    this.source = settings.inputIsStdin() ? "standard input" : settings.input();
    this.splitter = new RecordSplitter(source);
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
          closeSpillQuietly();
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
    outstanding[d.processor()]--;
    return drain();
  }

  /**
   * Batches at the processors. Past a few per worker more batches in flight buy no speed, only memory,
   * so the grouper waits (the budget remains the hard limit; this keeps a large budget from being filled
   * for nothing).
   */
  private boolean processorsBusy() {
    int total = 0;
    for (int o : outstanding) {
      total += o;
    }
    return total >= plan.batchesInFlight();
  }

  /** Does what can be done now, in output order: a spilled group, a transfer, a cut, then the next slice. */
  private Behavior<Command> drain() {
    try {
      while (!failed && !waiting) {
        if (spillToDispatch != null) {
          if (!dispatchSpilled()) {
            break;
          }
        } else if (untransferred > 0) {
          if (!transfer()) {
            break;
          }
        } else if (cutPending) {
          if (!cut()) {
            break;
          }
        } else if (inputDone) {
          if (finishBatches()) {
            inputDone = false;
          }
          break;
        } else if (processorsBusy() || !nextSlice()) {
          break;
        }
      }
    } catch (InputFormatException e) {
      fail(e.getMessage());
    } catch (IOException e) {
      fail(spillFolder.describe(e));
    } catch (SpillFailure e) {
      fail(spillFolder.describe((IOException) e.getCause()));
    } catch (JobFailure e) {
      failed = true;
      job.tell(new PipelineEvent.Failed(e.getMessage(), e.neededBudget()));
    }
    return this;
  }

  /**
   * Makes {@code held} at least {@code need}, asking the flow account at {@code priority} for the rest.
   * False when the request waits (the Granted message resumes).
   */
  private boolean holdAtLeast(long need, long priority) {
    if (need <= held) {
      return true;
    }
    long more = need - held;
    held += more;
    ActorRef<Command> self = getContext().getSelf();
    if (flow.acquireOrWait(priority, more, () -> self.tell(Granted.INSTANCE))) {
      return true;
    }
    waiting = true;
    return false;
  }

  /** Gives back all credits beyond what the open batch's arrays (and the splitter's carry) use. */
  private void trueUp() {
    long exact = arraysCredit();
    if (held > exact) {
      flow.release(held - exact);
      held = exact;
    }
  }

  /** Credits of the open batch's arrays as they are now, and the splitter's carry buffer. */
  private long arraysCredit() {
    return arraysCredit(data.length, r1.length, groupStart.length) + splitter.carryCapacity();
  }

  private static long arraysCredit(long dataCapacity, long templateCapacity, long groupCapacity) {
    return dataCapacity + 17 * templateCapacity + 4 * groupCapacity;
  }

  /** The sequence number moves on: the open batch's credits are taken again under the new one. */
  private void nextSeq() {
    openSeq++;
    untransferred = held;
  }

  /** Takes the open batch's credits again at its new sequence number, then releases the old ones. */
  private boolean transfer() {
    if (!transferRequested) {
      transferRequested = true;
      ActorRef<Command> self = getContext().getSelf();
      if (!flow.acquireOrWait(openSeq, untransferred, () -> self.tell(Granted.INSTANCE))) {
        waiting = true;
        return false;
      }
    }
    transferRequested = false;
    flow.release(untransferred);
    untransferred = 0;
    return true;
  }

  /** Parses the next slice of input; false when there is none yet, or when it waits for credits. */
  private boolean nextSlice() throws InputFormatException, IOException {
    if (current == null) {
      Chunk c = pending.remove(nextChunk);
      if (c == null) {
        if (endAt >= 0 && nextChunk == endAt) {
          endAt = -1;
          finishInput();
          return true;
        }
        return false;
      }
      nextChunk++;
      current = c;
      currentOffset = 0;
    }
    int len = Math.min(plan.sliceBytes(), current.length() - currentOffset);
    int maxRecords = plan.sliceRecords();
    int carryBound = splitter.carryCapacityBound(current.data(), currentOffset, len);
    if (projectedNeed(len, maxRecords, carryBound) > plan.itemLimit() && makeRoom(carryBound)) {
      return true; // a cut or a spill comes first; the slice is tried again after it
    }
    if (!reserveFor(len, maxRecords, carryBound)) {
      return false;
    }
    currentOffset += splitter.feed(current.data(), currentOffset, len, maxRecords, this::onRecord);
    if (currentOffset == current.length()) {
      if (current.recycle() != null) {
        current.recycle().give(current.data()); // every record it held has been copied out
      } else {
        readerAccount.release(current.credit());
      }
      current = null;
    }
    trueUp();
    if (spill == null && spillToDispatch == null && spillFolder != null && settings.spillThreshold() > 0
        && openGroupBytes() > settings.spillThreshold()) {
      startSpill();
    }
    if (!cutPending && closedBytes() >= plan.batchTarget()) {
      cutPending = true;
    }
    return true;
  }

  /**
   * What the open batch would need as an item once a slice of {@code len} bytes and at most
   * {@code maxRecords} records is in: every template of the slice joining the open group, at the UMI length
   * bound of the groups; the splitter's carry at {@code carryBound}.
   */
  private long projectedNeed(int len, int maxRecords, int carryBound) {
    long openGroup = openGroupTemplates() + maxRecords;
    long largest = Math.max(closedMaxGroup, openGroup);
    int umi = umiBound(largest, Math.max(closedUmiBound, openGroup >= MemoryPlan.MEASURED_GROUP_TEMPLATES
        ? Math.max(openUmiLength, 1) : 0));
    return plan.batchNeed(dataLen + len + splitter.carriedBytes(), templates + maxRecords, records + maxRecords,
        largest, umi, maxRecord, recordsOut) + 2L * Math.max(splitter.carryCapacity(), carryBound);
  }

  /** The UMI length to assume for a batch whose largest group has {@code largest} templates. */
  private static int umiBound(long largest, int measured) {
    return largest >= MemoryPlan.MEASURED_GROUP_TEMPLATES && measured > 0 ? measured : MemoryPlan.ASSUMED_UMI_LENGTH;
  }

  /**
   * The next slice would make the open batch too large for one item: cuts the closed groups, or sends the
   * open group to disk. False when neither is possible (the open batch holds no complete template).
   */
  private boolean makeRoom(int carryBound) throws IOException {
    if (groups > 1 || (spill != null && groups > 0)) {
      cutPending = true;
      return true;
    }
    if (groups == 1 && spill == null) {
      startSpill();
      return true;
    }
    long one = projectedNeed(0, 1, carryBound);
    if (templates == 0 && one > plan.itemLimit()) {
      long budget = MemoryPlan.smallestBudget(one, settings.threads(), settings.memoryTuning(), MemoryPlan::itemLimit);
      throw new JobFailure(source + ": record " + (splitter.records() + 1) + " is " + (carryBound >> 20)
          + " MiB, more than a memory budget of " + (plan.budget() >> 20) + " MiB can hold; one of "
          + (budget >> 20) + " MiB would", budget);
    }
    return false;
  }

  /**
   * Takes the credits a slice of {@code len} bytes and at most {@code maxRecords} records may need (the arrays
   * grown so that parsing it never allocates, old and new copies both, and the splitter's carry buffer grown
   * likewise to {@code carryBound}), then grows the arrays and gives back the old copies' credits. False when
   * waiting for credits.
   */
  private boolean reserveFor(int len, int maxRecords, int carryBound) {
    int needData = dataLen + len + splitter.carriedBytes();
    // a template (and group) completes per record at most, plus the one being assembled at the end of input
    int needTemplates = templates + maxRecords + 1;
    int needGroups = groups + maxRecords + 2;
    int dataCap = data.length >= needData ? data.length : grow(data.length, needData);
    int tplCap = r1.length >= needTemplates ? r1.length : grow(r1.length, needTemplates);
    int groupCap = groupStart.length >= needGroups ? groupStart.length : grow(groupStart.length, needGroups);
    long grown = (dataCap != data.length ? batchBuffers.charge(dataCap) : 0)
        + (tplCap != r1.length ? 17L * tplCap : 0) + (groupCap != groupStart.length ? 4L * groupCap : 0);
    long carryGrowth = carryBound > splitter.carryCapacity() ? carryBound : 0;
    if (!holdAtLeast(arraysCredit() + grown + carryGrowth, openSeq)) {
      return false;
    }
    if (dataCap != data.length) {
      byte[] old = data;
      data = batchBuffers.take(dataCap);
      System.arraycopy(old, 0, data, 0, dataLen);
      held -= old.length;
      batchBuffers.give(old); // its credit goes with it (or is released); no batch refers to the array being filled
    }
    if (tplCap != r1.length) {
      long old = 17L * r1.length;
      r1 = Arrays.copyOf(r1, tplCap);
      r2 = Arrays.copyOf(r2, tplCap);
      early = Arrays.copyOf(early, tplCap);
      recNo = Arrays.copyOf(recNo, tplCap);
      release(old);
    }
    if (groupCap != groupStart.length) {
      long old = 4L * groupStart.length;
      groupStart = Arrays.copyOf(groupStart, groupCap);
      release(old);
    }
    return true;
  }

  private void release(long bytes) {
    held -= bytes;
    flow.release(bytes);
  }

  private static int grow(int cap, int need) {
    long g = Math.max(need, Math.min((long) cap + (cap >> 1), (long) need + (64 << 20)));
    return (int) Math.min(Integer.MAX_VALUE - 16, g);
  }

  /** Record bytes of the open (last) group, complete templates only. */
  private long openGroupBytes() {
    if (spill != null || groups == 0 || templates == groupStart[groups - 1]) {
      return 0;
    }
    return completeTemplatesEnd() - templateStart(groupStart[groups - 1]);
  }

  /** Complete templates of the open (last) group held in memory. */
  private long openGroupTemplates() {
    return spill != null || groups == 0 ? 0 : templates - groupStart[groups - 1];
  }

  /** End of the last complete template's records in {@code data}. */
  private int completeTemplatesEnd() {
    return inTemplate && (tplR1 >= 0 || tplR2 >= 0) ? startOf(tplR1, tplR2) : dataLen;
  }

  /** Where a template whose records lie at {@code a} and {@code b} (-1 when absent) starts in {@code data}. */
  private static int startOf(int a, int b) {
    return a < 0 ? b : (b < 0 ? a : Math.min(a, b));
  }

  /**
   * The open group has outgrown memory: moves its complete templates to a new spill file and drops them from
   * the open batch, which keeps the closed groups before it (cut next) and the template being assembled.
   */
  private void startSpill() throws IOException {
    int openFirst = groupStart[groups - 1];
    spill = new SpillFile.Appender(spillFolder.newFile("group"), settings.deflateBackend());
    spillLocus = locus();
    spillRecords = 0;
    for (int t = openFirst; t < templates; t++) {
      spillRecords += (r1[t] >= 0 ? 1 : 0) + (r2[t] >= 0 ? 1 : 0);
      spill.append(data, r1[t], r2[t], early[t], recNo[t], -1, false, 0);
    }
    int from = completeTemplatesEnd();
    int to = templateStart(openFirst);
    System.arraycopy(data, from, data, to, dataLen - from);
    dataLen -= from - to;
    if (tplR1 >= 0) {
      tplR1 -= from - to;
    }
    if (tplR2 >= 0) {
      tplR2 -= from - to;
    }
    records -= (int) spillRecords;
    templates = openFirst;
    groups--; // the open group now lives in the spill file
    if (groups > 0) {
      cutPending = true;
    } else {
      shrinkData();
    }
  }

  /**
   * After a spill left the open batch with at most the template being assembled: moves it back to a pooled
   * array, so the array the giant group grew does not stay charged beside the group's reserve.
   */
  private void shrinkData() {
    if (data.length <= batchBuffers.size() || dataLen > batchBuffers.size()) {
      return;
    }
    long fresh = batchBuffers.charge(batchBuffers.size());
    held += fresh;
    if (!flow.tryAcquire(openSeq, fresh)) {
      held -= fresh; // no room for the swap now: keep the large array, it is charged
      return;
    }
    byte[] small = batchBuffers.take(batchBuffers.size());
    System.arraycopy(data, 0, small, 0, dataLen);
    release(data.length);
    data = small;
  }

  /** Appends the template just finished (the last in {@code data}) to the spill file and drops it from memory. */
  private void spillTemplate(boolean r1Earlier) {
    try {
      spill.append(data, tplR1, tplR2, r1Earlier, tplFirstRecord, -1, false, 0);
    } catch (IOException e) {
      throw new SpillFailure(e);
    }
    int n = (tplR1 >= 0 ? 1 : 0) + (tplR2 >= 0 ? 1 : 0);
    spillRecords += n;
    records -= n;
    dataLen = startOf(tplR1, tplR2);
    groupTemplates++;
    stats.templates.incrementAndGet();
  }

  /** An I/O failure on the spill file, carried out of the record callback. */
  private static final class SpillFailure extends RuntimeException {
    SpillFailure(IOException cause) {
      super(cause);
    }
  }

  /** The spilled group has ended: closes its file; it is dispatched once its reserve is granted. */
  private void closeSpill() {
    try {
      spill.close();
    } catch (IOException e) {
      throw new SpillFailure(e);
    }
    stats.spilledGroups.incrementAndGet();
    spillToDispatch = new SpilledGroup(openSeq, spill.path(), spill.templates(), spillRecords, spill.recordBytes(),
        spillLocus, 0);
    spill = null;
    nextSeq();
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
      long reserve = plan.spillReserve(held);
      spillToDispatch = g = g.withCredit(reserve);
      spillReserveRequested = true;
      ActorRef<Command> self = getContext().getSelf();
      if (!flow.acquireOrWait(g.seq(), reserve, () -> self.tell(Granted.INSTANCE))) {
        waiting = true;
        return false;
      }
    }
    spillReserveRequested = false;
    spillToDispatch = null;
    int best = leastLoaded();
    outstanding[best]++;
    processors.get(best).tell(new Processor.ProcessSpilled(g, getContext().getSelf()));
    return true;
  }

  private void closeSpillQuietly() {
    if (spill != null) {
      try {
        spill.close();
      } catch (IOException ignored) {
        // the job is stopping; its spill folder is deleted next
      }
      spill = null;
    }
  }

  private void fail(String reason) {
    failed = true;
    job.tell(new PipelineEvent.Failed(reason));
  }

  private void onRecord(byte[] b, int off, int len, long number) throws InputFormatException {
    stats.recordsRead.incrementAndGet();
    if (inTemplate && !sameName(b, off)) {
      finishTemplate();
    }
    if (!inTemplate) {
      int n = BamRecord.readNameLength(b, off);
      System.arraycopy(b, off + 36, name, 0, n);
      inTemplate = true;
      tplR1 = -1;
      tplR2 = -1;
      tplFirstRecord = number;
    }
    int flag = BamRecord.flag(b, off);
    if ((flag & (BamRecord.FLAG_SECONDARY | BamRecord.FLAG_SUPPLEMENTARY)) != 0) {
      return;
    }
    int refId = BamRecord.refId(b, off);
    if (refId < -1 || refId >= header.references().size()) {
      throw new InputFormatException(source + ": record " + number + " (read " + BamRecord.readName(b, off)
          + ") refers to reference " + refId + ", but the header lists " + header.references().size());
    }
    boolean isR2 = (flag & BamRecord.FLAG_PAIRED) != 0 && (flag & BamRecord.FLAG_READ2) != 0
        && (flag & BamRecord.FLAG_READ1) == 0;
    if ((isR2 ? tplR2 : tplR1) >= 0) {
      throw new InputFormatException(source + ": record " + number + " is a second primary "
          + (isR2 ? "R2" : "R1") + " for read " + BamRecord.readName(b, off)
          + " (duplicate records, or the file is not grouped by read name within a position)");
    }
    System.arraycopy(b, off, data, dataLen, len);
    if (isR2) {
      tplR2 = dataLen;
    } else {
      tplR1 = dataLen;
    }
    dataLen += len;
    records++;
    maxRecord = Math.max(maxRecord, len);
  }

  private boolean sameName(byte[] b, int off) {
    int n = BamRecord.readNameLength(b, off);
    return Arrays.equals(name, 0, n, b, off + 36, off + 36 + n) && name[n - 1] == 0;
  }

  private void finishTemplate() throws InputFormatException {
    inTemplate = false;
    if (tplR1 < 0 && tplR2 < 0) {
      return; // only secondary or supplementary records: not a template
    }
    key.set(data, tplR1, data, tplR2);
    boolean r1Earlier = key.r1IsLowerOf(data, tplR1, data, tplR2);
    if (!havePrevious) {
      openGroup();
      havePrevious = true;
    } else {
      int c = previous.compareTo(key);
      if (c > 0) {
        int at = tplR1 >= 0 ? tplR1 : tplR2;
        throw new InputFormatException(source + ": record " + tplFirstRecord + " (read "
            + BamRecord.readName(data, at) + ") is out of template-coordinate order: " + describe(key)
            + " comes after " + describe(previous)
            + "; sort the input with samtools sort --template-coordinate");
      }
      if (c < 0) {
        closeGroup();
        if (spill != null) {
          closeSpill();
        }
        openGroup();
      } else if (spill != null) {
        spillTemplate(r1Earlier);
        return;
      }
    }
    previous.copyFrom(key);
    r1[templates] = tplR1;
    r2[templates] = tplR2;
    early[templates] = r1Earlier;
    recNo[templates] = tplFirstRecord;
    templates++;
    groupTemplates++;
    stats.templates.incrementAndGet();
    measureUmi();
  }

  private void openGroup() {
    groupStart[groups++] = templates;
    groupTemplates = 0;
    openUmiLength = 0;
  }

  /**
   * Measures the UMI lengths of a large open group (its assignment's memory grows with them), from the moment
   * it reaches {@link MemoryPlan#MEASURED_GROUP_TEMPLATES} templates; small groups are assumed at
   * {@link MemoryPlan#ASSUMED_UMI_LENGTH}.
   */
  private void measureUmi() {
    int open = templates - groupStart[groups - 1];
    if (open < MemoryPlan.MEASURED_GROUP_TEMPLATES) {
      return;
    }
    for (int t = open == MemoryPlan.MEASURED_GROUP_TEMPLATES ? groupStart[groups - 1] : templates - 1; t < templates; t++) {
      openUmiLength = Math.max(openUmiLength, umiLength(r1[t]));
      if (r2[t] >= 0) {
        openUmiLength = Math.max(openUmiLength, umiLength(r2[t]));
      }
    }
  }

  private int umiLength(int rec) {
    if (rec < 0) {
      return 0;
    }
    int tag = BamRecord.findTag(data, rec, settings.rawTag().charAt(0), settings.rawTag().charAt(1));
    return tag < 0 ? 0 : Math.max(0, BamRecord.stringLength(data, tag, rec + BamRecord.totalSize(data, rec)));
  }

  private void closeGroup() {
    stats.positionGroups.incrementAndGet();
    stats.noteGroupSize(groupTemplates);
    stats.noteLocus(previous.tid1(), previous.pos1());
    if (spill == null) {
      closedMaxGroup = Math.max(closedMaxGroup, groupTemplates);
      if (groupTemplates >= MemoryPlan.MEASURED_GROUP_TEMPLATES) {
        closedUmiBound = Math.max(closedUmiBound, openUmiLength);
      }
    }
    groupTemplates = 0;
  }

  private String describe(PositionKey k) {
    if (k.unmapped()) {
      return "unmapped";
    }
    return end(k.tid1(), k.pos1(), k.neg1()) + " " + end(k.tid2(), k.pos2(), k.neg2());
  }

  private String end(int tid, int pos, boolean neg) {
    return tid == PositionKey.UNKNOWN ? "*" : header.referenceName(tid) + ":" + (pos + 1) + (neg ? "-" : "+");
  }

  private String locus() {
    return havePrevious ? describe(previous) : "the start";
  }

  private int templateStart(int t) {
    return startOf(r1[t], r2[t]);
  }

  /** Bytes of the groups already closed (all but the last, still open one). */
  private int closedBytes() {
    int closed = spill != null ? groups : groups - 1;
    if (closed <= 0) {
      return 0;
    }
    return closed == groups ? completeTemplatesEnd() : templateStart(groupStart[closed]);
  }

  /**
   * Sends the closed groups as one batch. The open group and any partial template move to new arrays, whose
   * credits (and the batch's output credit) are taken first; false when waiting for them.
   */
  private boolean cut() {
    int closed = spill != null ? groups : groups - 1;
    if (closed <= 0) {
      cutPending = false;
      return true;
    }
    int keepFirst = closed == groups ? templates : groupStart[closed];
    int cutAt = closed == groups ? completeTemplatesEnd() : templateStart(keepFirst);
    int tailTemplates = templates - keepFirst;
    int tailBytes = dataLen - cutAt;
    int batchRecords = 0;
    for (int t = 0; t < keepFirst; t++) {
      batchRecords += (r1[t] >= 0 ? 1 : 0) + (r2[t] >= 0 ? 1 : 0);
    }
    int nextDataCap = Math.max(tailBytes + plan.sliceBytes(), plan.batchArraySize());
    int nextTplCap = Math.max(16, tailTemplates * 2);
    int nextGroupCap = 16;
    long tailCredit = batchBuffers.charge(nextDataCap) + arraysCredit(0, nextTplCap, nextGroupCap);
    long batchCredit = arraysCredit(data.length, r1.length, closed + 1)
        + MemoryPlan.outputBytes(cutAt, batchRecords, recordsOut) + MemoryPlan.assignedBytes(keepFirst, closed)
        + plan.encodeBytes(keepFirst, maxRecord, recordsOut);
    // at the peak: the old arrays, the batch's group bounds and output, and the new arrays, all at once
    if (!holdAtLeast(arraysCredit() + batchCredit - arraysCredit(data.length, r1.length, 0) + tailCredit, openSeq)) {
      return false;
    }
    cutPending = false;
    int[] groupBounds = Arrays.copyOf(groupStart, closed + 1);
    groupBounds[closed] = keepFirst; // sentinel: end of the last closed group
    Batch batch = new Batch(openSeq, data, cutAt, keepFirst, r1, r2, early, recNo, closed, groupBounds, batchRecords,
        batchCredit, batchBuffers, closedMaxGroup, umiBound(closedMaxGroup, closedUmiBound), maxRecord);

    byte[] nextData = batchBuffers.take(nextDataCap);
    System.arraycopy(data, cutAt, nextData, 0, tailBytes);
    int[] nr1 = new int[nextTplCap];
    int[] nr2 = new int[nextTplCap];
    boolean[] nearly = new boolean[nextTplCap];
    long[] nrec = new long[nextTplCap];
    for (int t = 0; t < tailTemplates; t++) {
      nr1[t] = r1[keepFirst + t] < 0 ? -1 : r1[keepFirst + t] - cutAt;
      nr2[t] = r2[keepFirst + t] < 0 ? -1 : r2[keepFirst + t] - cutAt;
      nearly[t] = early[keepFirst + t];
      nrec[t] = recNo[keepFirst + t];
    }
    if (inTemplate) {
      tplR1 = tplR1 < 0 ? -1 : tplR1 - cutAt;
      tplR2 = tplR2 < 0 ? -1 : tplR2 - cutAt;
    }
    long oldGroupArray = 4L * groupStart.length;
    data = nextData;
    dataLen = tailBytes;
    r1 = nr1;
    r2 = nr2;
    early = nearly;
    recNo = nrec;
    templates = tailTemplates;
    int[] nextGroups = new int[nextGroupCap];
    int openGroups = groups - closed;
    if (openGroups > 0) {
      nextGroups[0] = 0;
    }
    groupStart = nextGroups;
    groups = openGroups;
    records -= batchRecords;
    maxRecord = inTemplate ? Math.max(recordSize(tplR1), recordSize(tplR2)) : 0;
    for (int t = 0; t < templates; t++) {
      maxRecord = Math.max(maxRecord, Math.max(recordSize(r1[t]), recordSize(r2[t])));
    }
    closedMaxGroup = 0;
    closedUmiBound = 0;
    // the batch's credit goes with it; the old group array is garbage; the rest is the new arrays' (and carry's)
    held -= batchCredit;
    release(oldGroupArray);
    trueUp();
    dispatch(batch);
    nextSeq();
    return true;
  }

  private int recordSize(int rec) {
    return rec < 0 ? 0 : BamRecord.totalSize(data, rec);
  }

  private int leastLoaded() {
    int best = 0;
    for (int i = 1; i < outstanding.length; i++) {
      if (outstanding[i] < outstanding[best]) {
        best = i;
      }
    }
    return best;
  }

  private void dispatch(Batch batch) {
    int best = leastLoaded();
    outstanding[best]++;
    processors.get(best).tell(new Processor.Process(batch, getContext().getSelf(), processors));
  }

  /** The input has ended: finishes the last template and group; what is left is sent by the drain loop. */
  private void finishInput() throws InputFormatException {
    splitter.finish();
    if (inTemplate) {
      finishTemplate();
    }
    if (havePrevious) {
      closeGroup();
    }
    if (spill != null) {
      closeSpill();
    }
    inputDone = true;
  }

  /**
   * Sends the last batch (after any spilled group before it, which the drain loop dispatches first) and
   * tells the writer how many there were; false when waiting for the last batch's output credit.
   */
  private boolean finishBatches() {
    if (templates > 0) {
      int[] bounds = Arrays.copyOf(groupStart, groups + 1);
      bounds[groups] = templates;
      long credit = arraysCredit(data.length, r1.length, groupStart.length)
          + MemoryPlan.outputBytes(dataLen, records, recordsOut) + MemoryPlan.assignedBytes(templates, groups)
          + plan.encodeBytes(templates, maxRecord, recordsOut);
      if (!holdAtLeast(credit + splitter.carryCapacity(), openSeq)) {
        return false;
      }
      held -= credit;
      dispatch(new Batch(openSeq, data, dataLen, templates, r1, r2, early, recNo, groups, bounds, records, credit,
          batchBuffers, closedMaxGroup, umiBound(closedMaxGroup, closedUmiBound), maxRecord));
      openSeq++;
      templates = 0;
    }
    if (held > 0) {
      flow.release(held);
      held = 0;
    }
    writer.tell(new Writer.EndOfBatches(openSeq));
    return true;
  }
}
