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
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BamRecord;
import io.umiflow.codec.InputFormatException;
import io.umiflow.codec.PositionKey;
import io.umiflow.codec.RecordSplitter;
import java.io.IOException;
import java.util.Arrays;

/**
 * The batch the grouper is filling, and the flow credits it holds; no Akka types. Cuts records out of the
 * input (a slice at a time), assembles templates (runs of one read name) from their primary records,
 * computes each template's position key, checks that keys never go backwards, and closes position groups.
 * It cuts the closed groups as a {@link Batch}, and streams a group too large for memory to a
 * {@link SpillFile}, ending as a {@link SpilledGroup}.
 *
 * <p>Credits: every array is charged before it is allocated. The caller asks how much the next step needs
 * ({@link #growNeed}, {@link #cutNeed}, {@link #lastBatchNeed}), obtains it from the flow account at
 * {@link #seq()} (waiting if it must) and records it with {@link #credited}; the step then allocates and
 * gives back what it no longer uses. {@link #projectedNeed} is what the batch would need as an item, which
 * the caller keeps under the head reserve by cutting or spilling first ({@link #makeRoom}).
 *
 * <p>Over 300 lines because template assembly, the arrays it fills and their credits are one state; split,
 * each half would reach into the other's fields.
 */
final class OpenBatch {
  /** Group-start slots of the arrays the open group moves to at a cut. */
  private static final int NEXT_GROUP_CAPACITY = 16;
  /** Records a slice may always parse, growing the template and group arrays when fewer fit. */
  private static final int MIN_SLICE_RECORDS = 64;

  private final GroupSettings settings;
  private final MemoryPlan plan;
  private final MemoryLedger.Account flow;
  private final PipelineStats stats;
  private final BamHeader header;
  private final String source;
  private final boolean recordsOut;
  /** Arrays for batches' records: taken here, given back by the processor that encodes the batch. */
  private final ByteArrayPool batchBuffers;
  private final RecordSplitter splitter;
  private final SpillFolder spillFolder;
  /** Sequence number of the open batch: the next batch or spilled group to be sent. */
  private long seq;
  /** Flow credits held, including a request not yet granted. */
  private long held;
  /** Part of {@code held} taken under an earlier sequence number, to be taken again under {@link #seq}. */
  private long untransferred;
  /** The closed groups should be cut as a batch. */
  private boolean cutWanted;

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
  private final PositionOrder order;
  private long groupTemplates;
  /** Longest UMI of the open group, measured once it has {@link MemoryPlan#MEASURED_GROUP_TEMPLATES}. */
  private int openUmiLength;

  // a giant group streaming to disk
  private SpillFile.Appender spill;
  private long spillRecords;
  private String spillLocus;
  /** A spilled group that has ended, for the caller to take. */
  private SpilledGroup endedSpill;

  OpenBatch(GroupSettings settings, BamHeader header, MemoryPlan plan, MemoryLedger.Account flow, PipelineStats stats,
            SpillFolder spillFolder, boolean recordsOut) {
    this.settings = settings;
    this.header = header;
    this.plan = plan;
    this.flow = flow;
    this.stats = stats;
    this.spillFolder = spillFolder;
    this.recordsOut = recordsOut;
    this.batchBuffers = new ByteArrayPool(plan.batchArraySize(), flow);
    this.source = settings.source();
    this.splitter = new RecordSplitter(source);
    // a batch cut before any record held the ids' tag has none: its records get the tag without a search
    splitter.watchTag(settings.assignTag());
    this.order = new PositionOrder(header, source);
  }

  /** The sequence number of the open batch: the priority its credits are taken at. */
  long seq() {
    return seq;
  }

  /** Flow credits held (including a request not yet granted). */
  long held() {
    return held;
  }

  /** The caller has asked the flow account for {@code bytes} more at {@link #seq()}. */
  void credited(long bytes) {
    held += bytes;
  }

  /** Credits held under an earlier sequence number, to be taken again at {@link #seq()} (0 when none). */
  long untransferred() {
    return untransferred;
  }

  /** The caller holds the untransferred credits again at {@link #seq()}: the old ones go back. */
  void transferred() {
    flow.release(untransferred);
    untransferred = 0;
  }

  /** True when the closed groups should be cut before anything else. */
  boolean cutWanted() {
    return cutWanted;
  }

  /** A spilled group that has ended, taken once (null when none). */
  SpilledGroup takeEndedSpill() {
    SpilledGroup g = endedSpill;
    endedSpill = null;
    return g;
  }

  /** The carry buffer's largest length while feeding {@code b[off..off+len)}. */
  int carryBound(byte[] b, int off, int len) {
    return splitter.carryCapacityBound(b, off, len);
  }

  /**
   * Parses {@code b[off..off+len)}, at most {@code maxRecords} records, into the arrays grown for it by
   * {@link #grow}; returns the bytes consumed. Then gives back the credits the arrays do not use, and decides
   * whether the open group goes to disk ({@code --spill-threshold}) or the closed groups are to be cut.
   */
  int feed(byte[] b, int off, int len, int maxRecords) throws InputFormatException, IOException {
    int consumed = splitter.feed(b, off, len, maxRecords, this::onRecord);
    trueUp();
    if (spill == null && endedSpill == null && settings.spillThreshold() > 0
        && openGroupBytes() > settings.spillThreshold()) {
      startSpill();
    }
    if (closedBytes() >= plan.batchTarget()) {
      cutWanted = true;
    }
    return consumed;
  }

  /**
   * Records the next slice may parse, at most {@code limit}: as many as the template and group arrays hold
   * now, or, when fewer than {@link #MIN_SLICE_RECORDS} fit, as many as growing them by half makes room for.
   * Growing them for {@code limit} records at every slice instead (a bound for the smallest records, about
   * 30,000 a slice at 1 GiB, 150,000 at 4 GiB) gave each batch arrays several times the templates it holds:
   * allocated, zeroed and promoted per batch, and charged to the flow account.
   */
  int sliceRecords(int limit) {
    int room = Math.min(r1.length - templates, groupStart.length - groups) - 2;
    if (room < MIN_SLICE_RECORDS) {
      room = Math.max(MIN_SLICE_RECORDS, r1.length / 2);
    }
    return Math.min(limit, room);
  }

  /**
   * Credits the open batch must hold before {@link #grow} for a slice of {@code len} bytes and at most
   * {@code maxRecords} records: the arrays grown so that parsing it never allocates, old and new copies both,
   * and the splitter's carry buffer grown likewise to {@code carryBound}.
   */
  long growNeed(int len, int maxRecords, int carryBound) {
    Capacities c = capacities(len, maxRecords);
    long grown = (c.data != data.length ? batchBuffers.charge(c.data) : 0)
        + (c.templates != r1.length ? 17L * c.templates : 0) + (c.groups != groupStart.length ? 4L * c.groups : 0);
    long carryGrowth = carryBound > splitter.carryCapacity() ? carryBound : 0;
    return arraysCredit() + grown + carryGrowth;
  }

  private record Capacities(int data, int templates, int groups) {}

  private Capacities capacities(int len, int maxRecords) {
    int needData = dataLen + len + splitter.carriedBytes();
    // a template (and group) completes per record at most, plus the one being assembled at the end of input
    int needTemplates = templates + maxRecords + 1;
    int needGroups = groups + maxRecords + 2;
    return new Capacities(data.length >= needData ? data.length : grownCapacity(data.length, needData),
        r1.length >= needTemplates ? r1.length : grownCapacity(r1.length, needTemplates),
        groupStart.length >= needGroups ? groupStart.length : grownCapacity(groupStart.length, needGroups));
  }

  /** Grows the arrays for the slice {@link #growNeed} was asked about (its credits held), giving back the old. */
  void grow(int len, int maxRecords) {
    Capacities c = capacities(len, maxRecords);
    if (c.data != data.length) {
      byte[] old = data;
      data = batchBuffers.take(c.data);
      System.arraycopy(old, 0, data, 0, dataLen);
      held -= old.length;
      batchBuffers.give(old); // its credit goes with it (or is released); no batch refers to the array being filled
    }
    if (c.templates != r1.length) {
      long old = 17L * r1.length;
      r1 = Arrays.copyOf(r1, c.templates);
      r2 = Arrays.copyOf(r2, c.templates);
      early = Arrays.copyOf(early, c.templates);
      recNo = Arrays.copyOf(recNo, c.templates);
      release(old);
    }
    if (c.groups != groupStart.length) {
      long old = 4L * groupStart.length;
      groupStart = Arrays.copyOf(groupStart, c.groups);
      release(old);
    }
  }

  /** Gives back all credits beyond what the open batch's arrays (and the splitter's carry) use. */
  void trueUp() {
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
    seq++;
    untransferred = held;
  }

  /**
   * What the open batch would need as an item once a slice of {@code len} bytes and at most
   * {@code maxRecords} records is in: every template of the slice joining the open group, at the UMI length
   * bound of the groups; the splitter's carry at {@code carryBound}.
   */
  long projectedNeed(int len, int maxRecords, int carryBound) {
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
  boolean makeRoom(int carryBound) throws IOException {
    if (groups > 1 || (spill != null && groups > 0)) {
      cutWanted = true;
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

  private void release(long bytes) {
    held -= bytes;
    flow.release(bytes);
  }

  private static int grownCapacity(int cap, int need) {
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
    spillLocus = order.locus();
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
      cutWanted = true;
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
    if (!flow.tryAcquire(seq, fresh)) {
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
      throw new java.io.UncheckedIOException(e);
    }
    int n = (tplR1 >= 0 ? 1 : 0) + (tplR2 >= 0 ? 1 : 0);
    spillRecords += n;
    records -= n;
    dataLen = startOf(tplR1, tplR2);
    groupTemplates++;
    stats.templates.incrementAndGet();
  }


  /** The spilled group has ended: closes its file; it is dispatched once its reserve is granted. */
  private void closeSpill() {
    try {
      spill.close();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    stats.spilledGroups.incrementAndGet();
    endedSpill = new SpilledGroup(seq, spill.path(), spill.templates(), spillRecords, spill.recordBytes(),
        spillLocus, 0);
    spill = null;
    nextSeq();
  }

  void closeSpillQuietly() {
    if (spill != null) {
      try {
        spill.close();
      } catch (IOException ignored) {
        // the job is stopping; its spill folder is deleted next
      }
      spill = null;
    }
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
    switch (order.next(key, tplFirstRecord, data, tplR1 >= 0 ? tplR1 : tplR2)) {
      case FIRST -> openGroup();
      case NEW_GROUP -> {
        closeGroup(order.closed());
        if (spill != null) {
          closeSpill();
        }
        openGroup();
      }
      case SAME_GROUP -> {
        if (spill != null) {
          spillTemplate(r1Earlier);
          return;
        }
      }
    }
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

  private void closeGroup(PositionKey closed) {
    stats.positionGroups.incrementAndGet();
    stats.noteGroupSize(groupTemplates);
    stats.noteLocus(closed.tid1(), closed.pos1());
    if (spill == null) {
      closedMaxGroup = Math.max(closedMaxGroup, groupTemplates);
      if (groupTemplates >= MemoryPlan.MEASURED_GROUP_TEMPLATES) {
        closedUmiBound = Math.max(closedUmiBound, openUmiLength);
      }
    }
    groupTemplates = 0;
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

  /** The shape of the next cut: the closed groups as a batch, the rest moved to new arrays. */
  private record CutPlan(int closed, int keepFirst, int cutAt, int tailTemplates, int tailBytes, int batchRecords,
                         int nextDataCap, int nextTplCap, int nextGroupCap, long batchCredit, long need) {}

  private CutPlan cutPlan() {
    int closed = spill != null ? groups : groups - 1;
    if (closed <= 0) {
      return null;
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
    // the next batch will hold about as many templates and groups as this one (within a bound, so that a
    // batch of a few large groups does not size the next for a giant one): its arrays rarely grow
    int hint = plan.batchArraySize() / 128;
    int nextTplCap = Math.max(16, Math.max(tailTemplates * 2, tailTemplates + Math.min(keepFirst, hint)));
    int nextGroupCap = Math.max(NEXT_GROUP_CAPACITY, Math.min(closed + 2, hint));
    long tailCredit = batchBuffers.charge(nextDataCap) + arraysCredit(0, nextTplCap, nextGroupCap);
    long batchCredit = arraysCredit(data.length, r1.length, closed + 1)
        + MemoryPlan.outputBytes(cutAt, batchRecords, recordsOut) + MemoryPlan.assignedBytes(keepFirst, closed)
        + plan.encodeBytes(keepFirst, maxRecord, recordsOut);
    // at the peak: the old arrays, the batch's group bounds and output, and the new arrays, all at once
    long need = arraysCredit() + batchCredit - arraysCredit(data.length, r1.length, 0) + tailCredit;
    return new CutPlan(closed, keepFirst, cutAt, tailTemplates, tailBytes, batchRecords, nextDataCap, nextTplCap,
        nextGroupCap, batchCredit, need);
  }

  /** Credits to hold before {@link #cut()}; 0 when there is nothing to cut. */
  long cutNeed() {
    CutPlan p = cutPlan();
    if (p == null) {
      cutWanted = false;
      return 0;
    }
    return p.need();
  }

  /**
   * Cuts the closed groups as one batch, which carries its credit; the open group and any partial template
   * move to new arrays (the credits {@link #cutNeed} asked for held). Null when there was nothing to cut.
   */
  Batch cut() {
    CutPlan p = cutPlan();
    cutWanted = false;
    if (p == null) {
      return null;
    }
    int closed = p.closed();
    int keepFirst = p.keepFirst();
    int cutAt = p.cutAt();
    int tailTemplates = p.tailTemplates();
    int tailBytes = p.tailBytes();
    int batchRecords = p.batchRecords();
    int nextDataCap = p.nextDataCap();
    int nextTplCap = p.nextTplCap();
    int nextGroupCap = p.nextGroupCap();
    long batchCredit = p.batchCredit();
    int[] groupBounds = Arrays.copyOf(groupStart, closed + 1);
    groupBounds[closed] = keepFirst; // sentinel: end of the last closed group
    Batch batch = new Batch(seq, data, cutAt, keepFirst, r1, r2, early, recNo, closed, groupBounds, batchRecords,
        batchCredit, batchBuffers, closedMaxGroup, umiBound(closedMaxGroup, closedUmiBound), maxRecord,
        splitter.watchedTagSeen());

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
    nextSeq();
    return batch;
  }

  private int recordSize(int rec) {
    return rec < 0 ? 0 : BamRecord.totalSize(data, rec);
  }

  /** The input has ended: finishes the last template and group (and a group streaming to disk). */
  void finishInput() throws InputFormatException {
    splitter.finish();
    if (inTemplate) {
      finishTemplate();
    }
    if (order.started()) {
      closeGroup(order.current());
    }
    if (spill != null) {
      closeSpill();
    }
  }

  /** Credits the last batch needs (arrays, output, results) before {@link #lastBatch()}; 0 when it is empty. */
  long lastBatchNeed() {
    return templates == 0 ? 0 : lastBatchCredit() + splitter.carryCapacity();
  }

  private long lastBatchCredit() {
    return arraysCredit(data.length, r1.length, groupStart.length)
        + MemoryPlan.outputBytes(dataLen, records, recordsOut) + MemoryPlan.assignedBytes(templates, groups)
        + plan.encodeBytes(templates, maxRecord, recordsOut);
  }

  /**
   * The last batch, carrying its credit (null when the input ended on a group boundary); gives back every
   * other credit. The open batch is done after this; {@link #seq()} is then the number of items sent.
   */
  Batch lastBatch() {
    Batch last = null;
    if (templates > 0) {
      int[] bounds = Arrays.copyOf(groupStart, groups + 1);
      bounds[groups] = templates;
      long credit = lastBatchCredit();
      held -= credit;
      last = new Batch(seq, data, dataLen, templates, r1, r2, early, recNo, groups, bounds, records, credit,
          batchBuffers, closedMaxGroup, umiBound(closedMaxGroup, closedUmiBound), maxRecord,
          splitter.watchedTagSeen());
      seq++;
      templates = 0;
    }
    if (held > 0) {
      flow.release(held);
      held = 0;
    }
    return last;
  }
}
