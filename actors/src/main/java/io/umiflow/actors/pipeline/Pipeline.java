package io.umiflow.actors.pipeline;

import akka.actor.typed.ActorRef;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.javadsl.ActorContext;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.GroupStage;
import io.umiflow.actors.JobSummary;
import io.umiflow.actors.batch.BatchMetrics;
import io.umiflow.actors.memory.ByteArrayPool;
import io.umiflow.actors.memory.MemoryLedger;
import io.umiflow.actors.memory.MemoryPlan;
import io.umiflow.actors.outofcore.SpillFolder;
import io.umiflow.codec.BamHeader;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * How the file job and the stream stage run the pipeline, without knowing its actors: the split of the
 * budget into accounts ({@link MemoryPlan}), then the actors each needs, spawned and watched as children of
 * the caller. Each caller supplies its own input and output ends:
 *
 * <pre>
 *   file job:     Reader -&gt; Inflater x threads -&gt; Grouper -&gt; Processor x workers -&gt; Writer
 *   stream stage: host pushes ----------------&gt; Grouper -&gt; Processor x workers -&gt; StageOutput -&gt; host
 * </pre>
 *
 * Stages report to the caller with {@link PipelineEvent}s. See {@code docs/architecture.md}.
 */
public final class Pipeline {
  /** CPU work: inflating, grouping, assigning, compressing. */
  public static final String WORKER_DISPATCHER = "umiflow.worker-dispatcher";
  /** Blocking file I/O of the reader and the writer. */
  public static final String IO_DISPATCHER = "umiflow.io-dispatcher";

  /** The budget's accounts, and the plan they follow. */
  public record Accounts(MemoryLedger ledger, MemoryPlan plan, MemoryLedger.Account reader,
                         List<MemoryLedger.Account> workers, MemoryLedger.Account flow) {}

  private Pipeline() {}

  /** Opens the accounts of {@code settings}' budget: reader, one per worker, and the flow account. */
  public static Accounts accounts(GroupSettings settings) {
    MemoryPlan plan = MemoryPlan.of(settings.memoryBudget(), settings.threads(), settings.memoryTuning());
    MemoryLedger ledger = new MemoryLedger(plan.budget());
    MemoryLedger.Account reader = ledger.open("reader", plan.readerCapacity());
    List<MemoryLedger.Account> workers = new ArrayList<>();
    for (int i = 0; i < plan.workers(); i++) {
      workers.add(ledger.open("worker-" + i, plan.workerCapacity()));
    }
    MemoryLedger.Account flow = ledger.openFlow("flow", plan.flowCapacity(), plan.headReserve());
    return new Accounts(ledger, plan, reader, workers, flow);
  }

  /** The file job's reader, once started: it reads the header at once and reports {@link PipelineEvent.HeaderRead}. */
  public static final class FileInput {
    private final ActorRef<Reader.Command> reader;

    private FileInput(ActorRef<Reader.Command> reader) {
      this.reader = reader;
    }
  }

  /** Spawns the file job's reader, which reads the header and reports it; see {@link #startFile}. */
  public static <T> FileInput spawnReader(ActorContext<T> ctx, GroupSettings settings, Accounts accounts,
                                          PipelineStats stats, ActorRef<PipelineEvent> events) {
    ActorRef<Reader.Command> reader = ctx.spawn(Reader.create(settings, accounts.reader(), accounts.flow(), stats, events), "reader",
        DispatcherSelector.fromConfig(IO_DISPATCHER));
    ctx.watch(reader);
    return new FileInput(reader);
  }

  /**
   * Starts the rest of the file job once the header is read: the writer (to {@code hostOutput}, or to
   * {@code settings.output()} when that is null, with {@code outputHeader}), the workers, the grouper and one
   * inflater per thread; then lets the reader go on.
   */
  public static <T> void startFile(ActorContext<T> ctx, GroupSettings settings, PipelineEvent.HeaderRead header,
                                   BamHeader outputHeader, OutputStream hostOutput, Accounts accounts,
                                   PipelineStats stats, ActorRef<PipelineEvent> events, SpillFolder spillFolder,
                                   FileInput input) {
    ActorRef<Writer.Command> writer = ctx.spawn(
        Writer.create(settings, hostOutput, outputHeader, accounts.flow(), stats, events), "writer",
        DispatcherSelector.fromConfig(IO_DISPATCHER));
    ctx.watch(writer);
    ActorRef<Grouper.Command> grouper = spawnWorkers(ctx, settings, header.header(), accounts, stats, events, writer,
        Processor.OutputMode.BGZF, spillFolder);
    List<ActorRef<Inflater.Command>> inflaters = new ArrayList<>();
    ByteArrayPool chunkBuffers = new ByteArrayPool(ByteArrayPool.CHUNK_SIZE, accounts.reader());
    String source = settings.source();
    for (int i = 0; i < settings.threads(); i++) {
      ActorRef<Inflater.Command> inflater = ctx.spawn(
          Inflater.create(settings.deflateBackend(), accounts.reader(), grouper, events, source, chunkBuffers),
          "inflater-" + i, DispatcherSelector.fromConfig(WORKER_DISPATCHER));
      ctx.watch(inflater);
      inflaters.add(inflater);
    }
    grouper.tell(new Grouper.Chunk(0, header.leftover(), header.leftover().length, header.credit()));
    input.reader.tell(new Reader.Continue(inflaters, grouper, chunkBuffers, spillFolder));
  }

  /** The stream stage's ends: pushes in, demand out. */
  public static final class StageEnds {
    private final ActorRef<Grouper.Command> grouper;
    private final ActorRef<Writer.Command> output;
    private long chunks;

    private StageEnds(ActorRef<Grouper.Command> grouper, ActorRef<Writer.Command> output) {
      this.grouper = grouper;
      this.output = output;
    }

    /** Raw BAM records {@code records[0..length)}, charged {@code length} bytes of the reader account. */
    public void push(byte[] records, int length) {
      grouper.tell(new Grouper.Chunk(chunks++, records, length, length));
    }

    /** No more records. */
    public void endOfInput() {
      grouper.tell(new Grouper.EndOfInput(chunks));
    }

    /** The consumer can take {@code bytes} more. */
    public void demand(long bytes) {
      output.tell(new Writer.Demand(bytes));
    }
  }

  /** Starts the stream stage's pipeline: its output end, the workers and the grouper. */
  public static <T> StageEnds startStage(ActorContext<T> ctx, GroupSettings settings, BamHeader header,
                                         ActorRef<GroupStage.ConsumerEvent> consumer, Accounts accounts,
                                         PipelineStats stats, ActorRef<PipelineEvent> events,
                                         SpillFolder spillFolder) {
    ActorRef<Writer.Command> output = ctx.spawn(StageOutput.create(consumer, accounts.flow(), stats, events),
        "output");
    ctx.watch(output);
    ActorRef<Grouper.Command> grouper = spawnWorkers(ctx, settings, header, accounts, stats, events, output,
        Processor.OutputMode.RECORDS, spillFolder);
    return new StageEnds(grouper, output);
  }

  /** Spawns and watches the processors and the grouper that feeds them; returns the grouper. */
  private static <T> ActorRef<Grouper.Command> spawnWorkers(ActorContext<T> ctx, GroupSettings settings,
                                                            BamHeader header, Accounts accounts, PipelineStats stats,
                                                            ActorRef<PipelineEvent> events,
                                                            ActorRef<Writer.Command> output, Processor.OutputMode mode,
                                                            SpillFolder spillFolder) {
    List<ActorRef<Processor.Command>> processors = new ArrayList<>();
    for (int i = 0; i < accounts.plan().workers(); i++) {
      ActorRef<Processor.Command> p = ctx.spawn(
          Processor.create(i, settings, header, accounts.plan(), accounts.workers().get(i), accounts.flow(), output,
              events, mode, MemoryPlan.SPLIT_TEMPLATES, spillFolder),
          "processor-" + i, DispatcherSelector.fromConfig(WORKER_DISPATCHER));
      ctx.watch(p);
      processors.add(p);
    }
    ActorRef<Grouper.Command> grouper = ctx.spawn(
        Grouper.create(settings, header, accounts.plan(), accounts.reader(), accounts.flow(), stats, events, output,
            processors, spillFolder, mode == Processor.OutputMode.RECORDS),
        "grouper", DispatcherSelector.fromConfig(WORKER_DISPATCHER));
    ctx.watch(grouper);
    return grouper;
  }

  /** The run's summary from its counters, its metrics and its ledger. */
  public static JobSummary summary(PipelineStats stats, BatchMetrics m, MemoryLedger ledger, long startNanos) {
    List<JobSummary.AccountPeak> peaks = new ArrayList<>();
    for (MemoryLedger.Account a : ledger.accounts()) {
      peaks.add(new JobSummary.AccountPeak(a.name(), a.peakHeld(), a.capacity()));
    }
    return new JobSummary(stats.recordsRead(), m.recordsOut, stats.templates(), stats.positionGroups(),
        stats.largestGroup(), m.molecules, m.families, m.accepted, m.discardedNonPf, m.discardedPoorAlignment,
        m.discardedNsInUmi, m.discardedUmisTooShort,
        (System.nanoTime() - startNanos) / 1_000_000, ledger.peak(), ledger.budget(), peaks, peakHeap(),
        stats.spilledGroups());
  }

  /** Sum of the heap pools' peak use since the JVM started (an upper bound of the peak total heap use). */
  private static long peakHeap() {
    long sum = 0;
    for (java.lang.management.MemoryPoolMXBean pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == java.lang.management.MemoryType.HEAP && pool.getPeakUsage() != null) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum;
  }
}
