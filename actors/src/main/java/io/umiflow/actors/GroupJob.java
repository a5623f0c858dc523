package io.umiflow.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.ChildFailed;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.PostStop;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import io.umiflow.actors.memory.MemoryLedger;
import io.umiflow.actors.outofcore.SpillFolder;
import io.umiflow.actors.pipeline.Pipeline;
import io.umiflow.actors.pipeline.PipelineEvent;
import io.umiflow.actors.pipeline.PipelineStats;
import io.umiflow.codec.BamHeader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One grouping job as a Behavior: spawn it (from the CLI, or inside any host's ActorSystem), send it
 * {@link Start}, and it answers on {@code replyTo} with {@link Started}, periodic {@link Progress}, and
 * finally {@link Completed} or {@link Failed}, after which it stops. Stopping it early (or sending
 * {@link Cancel}) stops the whole pipeline and removes temporary files.
 *
 * <p>The pipeline: a {@code Reader} (I/O dispatcher) feeds compressed blocks to {@code Inflater}s, a
 * {@code Grouper} restores order and cuts batches of whole position groups, a pool of {@code Processor}s
 * assigns molecules and compresses output, and a {@code Writer} (I/O dispatcher) numbers molecules and
 * writes batches in order. All byte-holding steps take credits from one {@link MemoryLedger} of
 * {@link GroupSettings#memoryBudget()} bytes.
 *
 * <p>Dispatchers come from {@code umiflow.worker-dispatcher} and {@code umiflow.io-dispatcher} in the
 * host's config ({@code reference.conf} has defaults).
 */
public final class GroupJob extends AbstractBehavior<GroupJob.Command> {
  /** Messages the job accepts. */
  public sealed interface Command {}

  /**
   * Runs a job; events go to {@code replyTo}. Only the first Start is honoured.
   *
   * @param output where to write the BAM instead of {@code settings.output()}, or null; the job flushes
   *               but does not close it. For hosts that stream the output elsewhere.
   */
  public record Start(GroupSettings settings, ActorRef<Event> replyTo, java.io.OutputStream output)
      implements Command {
    /** Runs a job writing to {@code settings.output()}. */
    public Start(GroupSettings settings, ActorRef<Event> replyTo) {
      this(settings, replyTo, null);
    }
  }

  /** Stops the job; the host receives {@link Failed} with reason "cancelled". */
  public enum Cancel implements Command { INSTANCE }

  /** What the pipeline's stages report. */
  private record FromPipeline(PipelineEvent event) implements Command {}

  enum Tick implements Command { INSTANCE }

  /** What the job tells its host. */
  public sealed interface Event {}

  /**
   * The header was read and the pipeline is running. {@code sorting} is null, or says that (and why) the job
   * sorts its input into template-coordinate order first (see {@link GroupSettings.SortMode}).
   */
  public record Started(String input, String output, long budgetBytes, int threads, String deflateBackend,
                        String sorting) implements Event {}

  /**
   * Progress so far.
   *
   * @param recordsRead     input records read
   * @param recordsWritten  output records written
   * @param recordsPerSecond input records per second since the start
   * @param locus           the last position group closed
   * @param accountedBytes  bytes held in the ledger now
   * @param budgetBytes     the ledger's budget
   * @param largestGroup    templates in the largest position group so far
   * @param inputBytesRead  bytes of the input read, as stored (compressed); when the input is sorted first,
   *                        its progress in those units instead: reading and sorting make the first half of
   *                        {@code inputBytes}, grouping the sorted records the second
   * @param inputBytes      the input's size in bytes, or -1 when unknown (standard input, a pipe)
   * @param elapsedMillis   time since the job started
   */
  public record Progress(long recordsRead, long recordsWritten, double recordsPerSecond, String locus,
                         long accountedBytes, long budgetBytes, long largestGroup, long inputBytesRead,
                         long inputBytes, long elapsedMillis) implements Event {
    /** The fraction of the input read, 0..1, or -1 when its size is unknown. */
    public double fractionRead() {
      return inputBytes > 0 ? Math.min(1.0, inputBytesRead / (double) inputBytes) : -1;
    }
  }

  /** The output and metrics are complete under their final names. */
  public record Completed(JobSummary summary) implements Event {}

  /**
   * The job failed; {@code reason} is one line naming the file, record and cause. {@code neededBudget} is,
   * when a larger memory budget would have avoided the failure (the distinct UMIs of one giant position group
   * did not fit even out of core), the smallest such budget in bytes; else 0.
   */
  public record Failed(String reason, long neededBudget) implements Event {
    /** A failure more memory would not avoid. */
    public Failed(String reason) {
      this(reason, 0);
    }
  }


  private final TimerScheduler<Command> timers;
  private final java.util.function.Consumer<MemoryLedger> ledgerListener;
  private GroupSettings settings;
  private ActorRef<Event> replyTo;
  private Pipeline.Accounts accounts;
  private MemoryLedger ledger;
  private final PipelineStats stats = new PipelineStats();
  private Pipeline.FileInput input;
  private ActorRef<PipelineEvent> events;
  private java.io.OutputStream hostOutput;
  private BamHeader header;
  private long startNanos;
  /** The input's size, for progress; -1 when unknown. */
  private long inputBytes = -1;
  private boolean finished;
  private SpillFolder spillFolder;

  /** The job's behavior, ready for one {@link Start}. */
  public static Behavior<Command> create() {
    return create(ledger -> { });
  }

  /** The job's behavior, handing its ledger to {@code ledgerListener} when it starts (tests watch the ledger). */
  static Behavior<Command> create(java.util.function.Consumer<MemoryLedger> ledgerListener) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new GroupJob(ctx, timers, ledgerListener)));
  }

  private GroupJob(ActorContext<Command> ctx, TimerScheduler<Command> timers,
                   java.util.function.Consumer<MemoryLedger> ledgerListener) {
    super(ctx);
    this.timers = timers;
    this.ledgerListener = ledgerListener;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Start.class, this::onStart)
        .onMessageEquals(Cancel.INSTANCE, () -> fail("cancelled", 0))
        .onMessage(FromPipeline.class, this::onPipeline)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onSignal(ChildFailed.class, f -> fail("internal error in " + f.getRef().path().name() + ": " + f.cause(), 0))
        .onSignal(Terminated.class, t -> this)
        .onSignal(PostStop.class, s -> {
          if (spillFolder != null) {
            spillFolder.deleteAll(); // the children have stopped: nothing writes there any more
          }
          return this;
        })
        .build();
  }

  private Behavior<Command> onStart(Start s) {
    if (settings != null) {
      return this;
    }
    settings = s.settings();
    replyTo = s.replyTo();
    hostOutput = s.output();
    startNanos = System.nanoTime();
    inputBytes = inputSize(settings);
    accounts = Pipeline.accounts(settings);
    ledger = accounts.ledger();
    ledgerListener.accept(ledger);
    events = getContext().messageAdapter(PipelineEvent.class, FromPipeline::new);
    input = Pipeline.spawnReader(getContext(), settings, accounts, stats, events);
    return this;
  }

  /** The size of a regular input file; -1 for standard input, pipes and anything whose size is not known. */
  private static long inputSize(GroupSettings s) {
    if (s.inputIsStdin()) {
      return -1;
    }
    try {
      java.nio.file.Path p = java.nio.file.Paths.get(s.input());
      return java.nio.file.Files.isRegularFile(p) ? java.nio.file.Files.size(p) : -1;
    } catch (java.io.IOException | RuntimeException e) {
      return -1;
    }
  }

  private Behavior<Command> onPipeline(FromPipeline f) {
    if (f.event() instanceof PipelineEvent.HeaderRead h) {
      return onHeader(h);
    }
    if (f.event() instanceof PipelineEvent.Failed failed) {
      return fail(failed.reason(), failed.neededBudget());
    }
    return onFinished((PipelineEvent.Finished) f.event());
  }

  private Behavior<Command> onHeader(PipelineEvent.HeaderRead h) {
    if (finished) {
      return this;
    }
    String problem = h.header().templateCoordinateProblem();
    if (problem != null) {
      return fail(source() + ": " + problem + "; sort it first with: samtools sort --template-coordinate -o sorted.bam "
          + (settings.inputIsStdin() ? "input.bam" : settings.input()) + ", or let umiflow sort it ("
          + settings.option("--sort") + " auto)", 0);
    }
    header = h.header();
    SpillFolder.removeStale(settings.spillFolder()); // what killed runs left in the folder this one uses
    spillFolder = new SpillFolder(settings.spillFolder(), settings.option("--tmp-dir"));
    BamHeader out = h.header().withProgram("umiflow", Version.VERSION, settings.commandLine());
    Pipeline.startFile(getContext(), settings, h, out, hostOutput, accounts, stats, events, spillFolder, input);
    replyTo.tell(new Started(settings.input(), settings.output(), ledger.budget(), settings.threads(),
        settings.deflateBackend().name(), h.sorting()));
    if (settings.progressMillis() > 0) {
      timers.startTimerAtFixedRate(Tick.INSTANCE, Duration.ofMillis(settings.progressMillis()));
    }
    return this;
  }

  private String source() {
    return settings.source();
  }

  private Behavior<Command> onTick() {
    replyTo.tell(progress());
    return this;
  }

  private Progress progress() {
    long elapsedNanos = System.nanoTime() - startNanos;
    double seconds = Math.max(1e-3, elapsedNanos / 1e9);
    long read = stats.recordsRead();
    return new Progress(read, stats.recordsWritten(), read / seconds, header == null ? "" : stats.locus(header),
        ledger.used(), ledger.budget(), stats.largestGroup(),
        stats.sortedRecords() != 0 && inputBytes > 0 ? Math.round(stats.fractionDone(inputBytes) * inputBytes)
            : stats.inputBytesRead(), inputBytes,
        elapsedNanos / 1_000_000);
  }

  private Behavior<Command> onFinished(PipelineEvent.Finished f) {
    if (finished) {
      return this;
    }
    finished = true;
    replyTo.tell(new Completed(Pipeline.summary(stats, f.totals(), ledger, startNanos)));
    return Behaviors.stopped();
  }

  private Behavior<Command> fail(String reason, long neededBudget) {
    if (finished) {
      return this;
    }
    finished = true;
    if (replyTo != null) {
      replyTo.tell(new Failed(reason, neededBudget));
    }
    return Behaviors.stopped();
  }
}
