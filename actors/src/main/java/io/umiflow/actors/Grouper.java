package io.umiflow.actors;

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
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns inflated chunks, restored to input order, into batches of whole position groups. Cuts records,
 * assembles templates (runs of one read name), keeps their primary records, computes each template's
 * position key and checks that keys never go backwards. A batch is cut at a chunk end once its closed
 * groups reach the target size; the still-open group moves to the next batch.
 *
 * <p>Credits: before parsing a chunk it takes from the batches account enough for the worst case the
 * chunk can add to the open batch (arrays pre-grown so that parsing never allocates), then gives back
 * all but the batch's exact need. Each batch carries its exact credit to the writer, which returns it.
 * A group that can never fit the account fails the job with a clear message.
 *
 * <p>Giant groups: once the open position group holds more record bytes than the spill threshold, or more
 * templates than a worker could assign in memory, the batch so far is sent, and the group's templates stream to a {@link SpillFile} instead of memory. When the
 * group ends it goes to a processor as a {@link SpilledGroup}, with a share of the batches account reserved
 * for its out-of-core grouping (waited for like any batch credit, so never a deadlock: every batch before it
 * returns its credit without depending on it).
 */
final class Grouper extends AbstractBehavior<Grouper.Command> {
  sealed interface Command {}

  /** Inflated bytes of chunk {@code seq}; {@code credit} is held in the reader account. */
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

  private static final int MIN_RECORD = 4 + BamRecord.FIXED_SIZE + 1;

  private final GroupSettings settings;
  private final MemoryLedger.Account readerAccount;
  private final MemoryLedger.Account batchAccount;
  private final PipelineStats stats;
  private final ActorRef<GroupJob.Command> job;
  private final ActorRef<Writer.Command> writer;
  private final List<ActorRef<Processor.Command>> processors;
  private final int[] outstanding;
  private final BamHeader header;
  private final String source;
  private final long targetBytes;
  /** Arrays for batches' records: taken here, given back by the processor that encodes the batch. */
  private final ByteArrayPool batchBuffers;
  private final RecordSplitter splitter;
  private final Map<Long, Chunk> pending = new HashMap<>();
  private long nextChunk;
  private long endAt = -1;
  private boolean waitingForCredit;
  private boolean failed;
  private long batchesSent;

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
  private long held;

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

  // giant groups
  private final SpillFolder spillFolder;
  private final long spillThreshold;
  private final long spillTemplates;
  /**
   * Upper bound of what assigning one template in memory costs a processor (its workspace estimate with
   * every UMI distinct, plus the per-template arrays around it).
   */
  static final int ASSIGN_BYTES_PER_TEMPLATE = 256;
  private SpillFile.Appender spill;
  private long spillRecords;
  private String spillLocus;
  /** A closed spilled group waiting for its reserved credit before dispatch. */
  private SpilledGroup spillToDispatch;

  static Behavior<Command> create(GroupSettings settings, BamHeader header, MemoryLedger.Account readerAccount,
                                  MemoryLedger.Account batchAccount, PipelineStats stats,
                                  ActorRef<GroupJob.Command> job, ActorRef<Writer.Command> writer,
                                  List<ActorRef<Processor.Command>> processors, long targetBytes,
                                  SpillFolder spillFolder, long processorShare) {
    return Behaviors.setup(ctx -> new Grouper(ctx, settings, header, readerAccount, batchAccount, stats, job, writer,
        processors, targetBytes, spillFolder, processorShare));
  }

  private Grouper(ActorContext<Command> ctx, GroupSettings settings, BamHeader header,
                  MemoryLedger.Account readerAccount, MemoryLedger.Account batchAccount, PipelineStats stats,
                  ActorRef<GroupJob.Command> job, ActorRef<Writer.Command> writer,
                  List<ActorRef<Processor.Command>> processors, long targetBytes, SpillFolder spillFolder,
                  long processorShare) {
    super(ctx);
    this.spillFolder = spillFolder;
    // In memory, a group of B record bytes holds about 2.3-2.8 B of batch credit (arrays grown ahead, the
    // worst-case compressed output), so a third of the account keeps it under the capacity; and assigning
    // it must fit a worker's share plus what it may borrow, about an eighth of the account.
    this.spillThreshold = settings.spillThreshold() > 0 ? settings.spillThreshold() : batchAccount.capacity() / 3;
    this.spillTemplates = (processorShare + batchAccount.capacity() / 8) / ASSIGN_BYTES_PER_TEMPLATE;
    this.settings = settings;
    this.header = header;
    this.readerAccount = readerAccount;
    this.batchAccount = batchAccount;
    this.stats = stats;
    this.job = job;
    this.writer = writer;
    this.processors = processors;
    this.outstanding = new int[processors.size()];
    this.targetBytes = targetBytes;
    this.batchBuffers = new ByteArrayPool((int) (targetBytes + Reader.CHUNK_RESERVE / 2));
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
          batchAccount.cancelWaiters();
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
    waitingForCredit = false;
    if (spillToDispatch != null) { // its reserved credit was granted
      SpilledGroup g = spillToDispatch;
      spillToDispatch = null;
      dispatchSpilled(g);
      if (endPending) {
        endPending = false;
        finishBatches();
        return this;
      }
    }
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
    return total >= 3 * outstanding.length + 2;
  }

  private Behavior<Command> drain() {
    try {
      while (!failed && !waitingForCredit && !processorsBusy()) {
        if (spillToDispatch != null && !reserveForSpilled()) {
          break;
        }
        Chunk c = pending.get(nextChunk);
        if (c == null) {
          if (endAt >= 0 && nextChunk == endAt) {
            finishInput();
            endAt = -1;
          }
          break;
        }
        if (!reserveFor(c.length())) {
          break;
        }
        pending.remove(nextChunk);
        nextChunk++;
        splitter.feed(c.data(), 0, c.length(), this::onRecord);
        if (c.recycle() != null) {
          c.recycle().give(c.data()); // every record it held has been copied out
        }
        readerAccount.release(c.credit());
        trueUp();
        if (spillToDispatch != null) {
          continue; // nothing is cut before the spilled group has its reserve (see reserveForSpilled)
        }
        if (spill == null && spillFolder != null
            && (openGroupBytes() > spillThreshold || openGroupTemplates() > spillTemplates)) {
          startSpill();
        }
        if (closedBytes() >= targetBytes) {
          emitClosedGroups();
        }
      }
    } catch (InputFormatException e) {
      fail(e.getMessage());
    } catch (java.io.IOException e) {
      fail(spillFolder.describe(e));
    } catch (SpillFailure e) {
      fail(spillFolder.describe((java.io.IOException) e.getCause()));
    }
    return this;
  }

  /** Record bytes of the open (last) group, complete templates only. */
  private long openGroupBytes() {
    if (groups == 0 || templates == groupStart[groups - 1]) {
      return 0;
    }
    return completeTemplatesEnd() - templateStart(groupStart[groups - 1]);
  }

  /** Complete templates of the open (last) group. */
  private long openGroupTemplates() {
    return groups == 0 ? 0 : templates - groupStart[groups - 1];
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
   * The open group has outgrown memory: sends the closed groups before it as a batch, moves its templates to
   * a new spill file and keeps only the template being assembled.
   */
  private void startSpill() throws java.io.IOException {
    if (groups > 1) {
      emitClosedGroups();
    }
    spill = new SpillFile.Appender(spillFolder.newFile("group"), settings.deflateBackend());
    spillLocus = locus();
    spillRecords = 0;
    for (int t = 0; t < templates; t++) {
      spillRecords += (r1[t] >= 0 ? 1 : 0) + (r2[t] >= 0 ? 1 : 0);
      spill.append(data, r1[t], r2[t], early[t], recNo[t], -1, false, 0);
    }
    int from = completeTemplatesEnd();
    System.arraycopy(data, from, data, 0, dataLen - from);
    dataLen -= from;
    if (tplR1 >= 0) {
      tplR1 -= from;
    }
    if (tplR2 >= 0) {
      tplR2 -= from;
    }
    records -= (int) spillRecords;
    templates = 0;
    groups = 0; // the open group now lives in the spill file
    trueUp();
  }

  /** Appends the template just finished (the last in {@code data}) to the spill file and drops it from memory. */
  private void spillTemplate(boolean r1Earlier) throws InputFormatException {
    try {
      spill.append(data, tplR1, tplR2, r1Earlier, tplFirstRecord, -1, false, 0);
    } catch (java.io.IOException e) {
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
    SpillFailure(java.io.IOException cause) {
      super(cause);
    }
  }

  /** The spilled group has ended: closes its file; it is dispatched once its reserve is granted. */
  private void closeSpill() {
    try {
      spill.close();
    } catch (java.io.IOException e) {
      throw new SpillFailure(e);
    }
    stats.spilledGroups.incrementAndGet();
    spillToDispatch = new SpilledGroup(batchesSent++, spill.path(), spill.templates(), spillRecords, spillLocus, 0);
    spill = null;
  }

  /**
   * Takes the spilled group's reserve (three quarters of the batches account, less what the open batch
   * holds) and dispatches it; false when waiting for the credit.
   */
  private boolean reserveForSpilled() {
    long reserve = Math.max(0, Math.min(batchAccount.capacity() * 3 / 4, batchAccount.capacity() - held));
    SpilledGroup g = spillToDispatch;
    spillToDispatch = new SpilledGroup(g.seq(), g.file(), g.templates(), g.records(), g.locus(), reserve);
    ActorRef<Command> self = getContext().getSelf();
    if (!batchAccount.acquireOrWait(reserve, () -> self.tell(Granted.INSTANCE))) {
      waitingForCredit = true;
      return false;
    }
    g = spillToDispatch;
    spillToDispatch = null;
    dispatchSpilled(g);
    return true;
  }

  private void dispatchSpilled(SpilledGroup g) {
    int best = leastLoaded();
    outstanding[best]++;
    processors.get(best).tell(new Processor.ProcessSpilled(g, getContext().getSelf()));
  }

  private void closeSpillQuietly() {
    if (spill != null) {
      try {
        spill.close();
      } catch (java.io.IOException ignored) {
        // the job is stopping; its spill folder is deleted next
      }
      spill = null;
    }
  }

  private void fail(String reason) {
    failed = true;
    job.tell(new GroupJob.StageFailed(reason));
  }

  /**
   * Grows the open batch's arrays so a chunk of {@code chunkLength} bytes (plus any record carried over
   * from the previous chunk) fits without another allocation, after taking the credits that needs. False
   * when waiting for credits.
   */
  private boolean reserveFor(int chunkLength) {
    int len = chunkLength + splitter.carriedBytes(); // a record begun in the previous chunk completes in this one
    int maxNewTemplates = len / MIN_RECORD + 2;
    int needData = dataLen + len;
    int needTemplates = templates + maxNewTemplates;
    int needGroups = groups + maxNewTemplates + 1;
    int dataCap = data.length >= needData ? data.length : grow(data.length, needData);
    int tplCap = r1.length >= needTemplates ? r1.length : grow(r1.length, needTemplates);
    int groupCap = groupStart.length >= needGroups ? groupStart.length : grow(groupStart.length, needGroups);
    long need = Batch.creditFor(dataCap, tplCap, records + maxNewTemplates * 2, needData) + 4L * groupCap;
    if (need > held) {
      long more = need - held;
      if (need > batchAccount.capacity()) {
        fail("the position group at " + locus() + " needs more memory than the budget allows ("
            + (need >> 20) + " MiB of " + (batchAccount.capacity() >> 20)
            + " MiB for groups in flight); raise --memory");
        return false;
      }
      ActorRef<Command> self = getContext().getSelf();
      held += more;
      if (!batchAccount.acquireOrWait(more, () -> self.tell(Granted.INSTANCE))) {
        waitingForCredit = true;
        return false;
      }
    }
    if (dataCap != data.length) {
      byte[] old = data;
      data = Arrays.copyOf(data, dataCap);
      batchBuffers.give(old); // no batch refers to the array being filled
    }
    if (tplCap != r1.length) {
      r1 = Arrays.copyOf(r1, tplCap);
      r2 = Arrays.copyOf(r2, tplCap);
      early = Arrays.copyOf(early, tplCap);
      recNo = Arrays.copyOf(recNo, tplCap);
    }
    if (groupCap != groupStart.length) {
      groupStart = Arrays.copyOf(groupStart, groupCap);
    }
    return true;
  }

  private static int grow(int cap, int need) {
    long g = Math.max(need, Math.min((long) cap + (cap >> 1), (long) need + (64 << 20)));
    return (int) Math.min(Integer.MAX_VALUE - 16, g);
  }

  /** Gives back all credits beyond what the open batch needs exactly. */
  private void trueUp() {
    long exact = exactCredit();
    if (held > exact) {
      batchAccount.release(held - exact);
      held = exact;
    }
  }

  private long exactCredit() {
    return Batch.creditFor(data.length, r1.length, records, dataLen) + 4L * groupStart.length;
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
      groupStart[groups++] = templates;
      havePrevious = true;
      groupTemplates = 0;
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
        groupStart[groups++] = templates;
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
  }

  private void closeGroup() {
    stats.positionGroups.incrementAndGet();
    stats.noteGroupSize(groupTemplates);
    groupTemplates = 0;
    stats.noteLocus(previous.tid1(), previous.pos1());
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
    if (groups <= 1) {
      return 0;
    }
    return templateStart(groupStart[groups - 1]);
  }

  /** Sends the closed groups as one batch; the open group and any partial template move to a fresh one. */
  private void emitClosedGroups() {
    int openFirst = groupStart[groups - 1];
    int cut = templateStart(openFirst);
    int tailTemplates = templates - openFirst;
    int tailRecords = 0;
    for (int t = openFirst; t < templates; t++) {
      tailRecords += (r1[t] >= 0 ? 1 : 0) + (r2[t] >= 0 ? 1 : 0);
    }
    if (inTemplate) {
      tailRecords += (tplR1 >= 0 ? 1 : 0) + (tplR2 >= 0 ? 1 : 0);
    }
    int tailBytes = dataLen - cut;

    int[] groupBounds = Arrays.copyOf(groupStart, groups);
    groupBounds[groups - 1] = openFirst; // sentinel: end of the last closed group
    int batchRecords = records - tailRecords;
    long credit = Batch.creditFor(data.length, r1.length, batchRecords, cut) + 4L * groupBounds.length;
    Batch batch = new Batch(batchesSent++, data, cut, openFirst, r1, r2, early, recNo, groups - 1, groupBounds,
        batchRecords, credit, batchBuffers);

    // the open group starts the next batch
    // sized for a whole batch plus one chunk, so filling it never copies it again
    byte[] nextData = batchBuffers.take((int) Math.max(tailBytes + Reader.CHUNK_RESERVE / 2,
        targetBytes + Reader.CHUNK_RESERVE / 2));
    System.arraycopy(data, cut, nextData, 0, tailBytes);
    int tplCap = Math.max(16, tailTemplates * 2);
    int[] nr1 = new int[tplCap];
    int[] nr2 = new int[tplCap];
    boolean[] nearly = new boolean[tplCap];
    long[] nrec = new long[tplCap];
    for (int t = 0; t < tailTemplates; t++) {
      nr1[t] = r1[openFirst + t] < 0 ? -1 : r1[openFirst + t] - cut;
      nr2[t] = r2[openFirst + t] < 0 ? -1 : r2[openFirst + t] - cut;
      nearly[t] = early[openFirst + t];
      nrec[t] = recNo[openFirst + t];
    }
    if (inTemplate) {
      tplR1 = tplR1 < 0 ? -1 : tplR1 - cut;
      tplR2 = tplR2 < 0 ? -1 : tplR2 - cut;
    }
    data = nextData;
    dataLen = tailBytes;
    r1 = nr1;
    r2 = nr2;
    early = nearly;
    recNo = nrec;
    templates = tailTemplates;
    groupStart = new int[16];
    groupStart[0] = 0;
    groups = 1;
    records = tailRecords;
    // The open batch's own credit is its exact need; the emitted batch's credit moves with it. Any shortfall
    // (the fresh arrays are allocated before the old ones are freed) is taken without waiting: it is bounded
    // by the open group's size, which the account already held a moment ago.
    long nextExact = exactCredit();
    long remaining = held - credit;
    if (remaining >= nextExact) {
      batchAccount.release(remaining - nextExact);
    } else if (!batchAccount.tryAcquire(nextExact - remaining)) {
      nextExact = remaining; // accounted again, exactly, before the next chunk is parsed
    }
    held = nextExact;
    dispatch(batch);
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

  private void finishInput() throws InputFormatException {
    splitter.finish();
    if (inTemplate) {
      finishTemplate();
    }
    if (spill != null) {
      closeGroup();
      closeSpill();
      if (!reserveForSpilled()) {
        endPending = true; // finished once the spilled group is dispatched
        return;
      }
    }
    finishBatches();
  }

  /** Input ended while the last spilled group waited for its credit. */
  private boolean endPending;

  private void finishBatches() {
    if (templates > 0) {
      closeGroup();
      int[] bounds = Arrays.copyOf(groupStart, groups + 1);
      bounds[groups] = templates;
      long credit = held;
      held = 0;
      dispatch(new Batch(batchesSent++, data, dataLen, templates, r1, r2, early, recNo, groups, bounds, records,
          credit, batchBuffers));
    } else if (held > 0) {
      batchAccount.release(held);
      held = 0;
    }
    writer.tell(new Writer.EndOfBatches(batchesSent));
  }
}
