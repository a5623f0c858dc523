package io.umiflow.actors;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.ChildFailed;
import akka.actor.typed.PostStop;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.umiflow.actors.outofcore.SpillFolder;
import io.umiflow.actors.pipeline.Pipeline;
import io.umiflow.actors.pipeline.PipelineEvent;
import io.umiflow.actors.pipeline.PipelineStats;
import io.umiflow.codec.BamHeader;

/**
 * UMI grouping as a stage between other stages of a host application, without files. The host's
 * producer pushes raw BAM records (in template-coordinate order) and the host's consumer receives the
 * records back, grouped: per position group, the kept templates in output order with their molecule ids
 * set, exactly as {@code umiflow group} would write them.
 *
 * <p>Both directions use byte credits. The stage sends the producer {@link Grant}s; the producer sends
 * {@link Push}es of at most the bytes granted (a push may end in the middle of a record). The consumer
 * sends {@link Request}s; the stage delivers {@link Molecules} only while the consumer's requested bytes
 * are positive. A slow consumer therefore holds the stage at its budget: undelivered batches keep their
 * credits, the grouper stops, and no more grants go out.
 *
 * <p>Protocol: {@link Start} once; then {@link Push}... {@link EndOfInput} from the producer and
 * {@link Request}s from the consumer; the consumer finally gets {@link Completed} or {@link Failed} and the
 * producer {@link Stopped}, after which the stage stops. {@link Cancel}, or stopping the stage, ends it at
 * any time. A failure never throws into the host: it arrives as {@link Failed}.
 *
 * <p>Memory: the stage works within {@code settings.memoryBudget()} like the file job. A position group too
 * large for memory is grouped out of core through temporary files in {@code settings.tmpDir()} (the JVM's
 * temporary folder by default), removed when the stage stops; it is still delivered as one
 * {@link Molecules} message, so the largest group's records must fit in about half the budget.
 */
public final class GroupStage extends AbstractBehavior<GroupStage.Command> {
  /** Messages the stage accepts. */
  public sealed interface Command {}

  /**
   * Starts the stage. {@code settings.input()} and {@code output()} are not used (set them to {@code -}).
   *
   * @param header   the header of the records that will be pushed (for reference names and read groups)
   * @param producer receives {@link Grant}s and finally {@link Stopped}
   * @param consumer receives {@link Molecules}, then {@link Completed} or {@link Failed}
   */
  public record Start(GroupSettings settings, BamHeader header, ActorRef<ProducerEvent> producer,
                      ActorRef<ConsumerEvent> consumer) implements Command {}

  /** From the producer: raw BAM records {@code records[0..length)}, at most the bytes granted so far. */
  public record Push(byte[] records, int length) implements Command {}

  /** From the producer: no more records. */
  public enum EndOfInput implements Command { INSTANCE }

  /**
   * From the producer: its own source broke (a file it reads, a connection). Ends the stage as {@link Cancel}
   * does, but the consumer receives {@link Failed} with {@code "input failed: " + reason}.
   */
  public record ProducerFailed(String reason) implements Command {}

  /**
   * From the consumer: it can take {@code bytes} more of grouped records, counted in {@link GroupedBatch#bytes()}
   * (the batch's arrays, not only its records). Requests add up. The stage sends a batch while the sum of
   * requests minus what it delivered is positive, so a delivery may exceed the outstanding demand by at most
   * one batch (see {@link #maxBatchBytes}).
   */
  public record Request(long bytes) implements Command {}

  /** Ends the stage now; the consumer receives {@link Failed} with reason "cancelled". */
  public enum Cancel implements Command { INSTANCE }

  /**
   * Asks for the stage's memory accounting, answered with {@link Stats} (for monitoring) until the stage
   * stops. Once it has stopped (after {@link Completed}, {@link Failed} or {@link Cancel}) the request goes to
   * dead letters, as any message to a stopped actor does: the final numbers are in {@link Completed#summary()},
   * so ask with a timeout.
   */
  public record GetStats(ActorRef<Stats> replyTo) implements Command {}

  /**
   * The stage's memory accounting now.
   *
   * @param accountedBytes bytes held in the ledger now
   * @param peakBytes      the most bytes ever held at once
   * @param budgetBytes    the budget
   * @param recordsRead    records pushed and parsed so far
   */
  public record Stats(long accountedBytes, long peakBytes, long budgetBytes, long recordsRead) {}

  private record FromPipeline(PipelineEvent event) implements Command {}

  record CreditReady(long bytes) implements Command {}

  /** What the producer receives. */
  public sealed interface ProducerEvent {}

  /** The producer may push {@code bytes} more. */
  public record Grant(long bytes) implements ProducerEvent {}

  /** The stage has ended (completed, failed or cancelled); push nothing more. */
  public record Stopped(String reason) implements ProducerEvent {}

  /** What the consumer receives. */
  public sealed interface ConsumerEvent {}

  /** The next position groups, in output order. */
  public record Molecules(GroupedBatch batch) implements ConsumerEvent {}

  /** All records were grouped and delivered. */
  public record Completed(JobSummary summary) implements ConsumerEvent {}

  /**
   * The stage failed; {@code reason} names the record and the cause. {@code neededBudget} as in
   * {@link GroupJob.Failed}.
   */
  public record Failed(String reason, long neededBudget) implements ConsumerEvent {
    /** A failure more memory would not avoid. */
    public Failed(String reason) {
      this(reason, 0);
    }
  }

  /** Bytes granted to the producer at a time. */
  static final long GRANT = 1L << 20;

  /** What messages call the stage's input unless {@code settings.sourceName()} says otherwise. */
  public static final String SOURCE_NAME = "stream input";

  /**
   * The most one {@link Molecules} delivery can hold, in {@link GroupedBatch#bytes()}, with these settings:
   * a batch of position groups, or a position group grouped out of core, is bounded by the item limit of
   * the budget's plan (about 45% of the budget at the default split). It bounds how far a delivery overshoots
   * a request, and what a consumer must be ready to hold at once.
   */
  public static long maxBatchBytes(GroupSettings settings) {
    return io.umiflow.actors.memory.MemoryPlan.of(settings.memoryBudget(), settings.threads(),
        settings.memoryTuning()).itemLimit();
  }

  private final PipelineStats stats = new PipelineStats();
  private GroupSettings settings;
  private Pipeline.Accounts accounts;
  private ActorRef<ProducerEvent> producer;
  private ActorRef<ConsumerEvent> consumer;
  /** Where pushes and demand go, once started. */
  private Pipeline.StageEnds ends;
  private long granted;
  /** Grants kept outstanding: enough that the producer does not idle on a grant's round trip. */
  private long grantAhead;
  private long pendingGrant;
  private boolean inputEnded;
  private boolean finished;
  private long startNanos;
  private long demandBeforeStart;
  private SpillFolder spillFolder;

  /** The stage's behavior, ready for one {@link Start}. */
  public static Behavior<Command> create() {
    return Behaviors.setup(GroupStage::new);
  }

  private GroupStage(ActorContext<Command> ctx) {
    super(ctx);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Start.class, this::onStart)
        .onMessage(Push.class, this::onPush)
        .onMessageEquals(EndOfInput.INSTANCE, this::onEndOfInput)
        .onMessage(Request.class, this::onRequest)
        .onMessageEquals(Cancel.INSTANCE, () -> fail("cancelled"))
        .onMessage(ProducerFailed.class, f -> fail("input failed: " + f.reason()))
        .onMessage(FromPipeline.class, this::onPipeline)
        .onMessage(CreditReady.class, this::onCreditReady)
        .onMessage(GetStats.class, g -> {
          g.replyTo().tell(accounts == null ? new Stats(0, 0, 0, 0) : new Stats(accounts.ledger().used(),
              accounts.ledger().peak(), accounts.ledger().budget(), stats.recordsRead()));
          return this;
        })
        .onSignal(ChildFailed.class, f -> fail("internal error in " + f.getRef().path().name() + ": " + f.cause()))
        .onSignal(Terminated.class, t -> this)
        .onSignal(PostStop.class, s -> onStop())
        .build();
  }

  private Behavior<Command> onStart(Start s) {
    if (settings != null) {
      return this;
    }
    settings = s.settings().sourceName() != null ? s.settings()
        : s.settings().toBuilder().sourceName(SOURCE_NAME).build();
    producer = s.producer();
    consumer = s.consumer();
    startNanos = System.nanoTime();
    String problem = s.header().templateCoordinateProblem();
    if (problem != null) {
      return fail(settings.source() + ": " + problem + "; records must arrive in template-coordinate order "
          + "(samtools sort --template-coordinate) and the header must say so");
    }
    accounts = Pipeline.accounts(settings);
    ActorRef<PipelineEvent> events = getContext().messageAdapter(PipelineEvent.class, FromPipeline::new);
    spillFolder = new SpillFolder(settings.spillFolder(), settings.option("--tmp-dir"));
    ends = Pipeline.startStage(getContext(), settings, s.header(), consumer, accounts, stats, events, spillFolder);
    if (demandBeforeStart > 0) {
      ends.demand(demandBeforeStart);
    }
    // a quarter of the reader account ahead (1 to 8 MiB): pushes stay charged to it until parsed, and a
    // producer that waits for each grant's round trip leaves the grouper idle on a busy machine
    grantAhead = Math.max(GRANT, Math.min(8 * GRANT, accounts.plan().readerCapacity() / 4));
    grantMore();
    return this;
  }

  /**
   * Asks the reader account for the next grant while less than {@link #grantAhead} is outstanding; the ledger
   * calls back when it has the bytes.
   */
  private void grantMore() {
    if (finished || inputEnded || pendingGrant > 0 || granted >= grantAhead) {
      return;
    }
    ActorRef<Command> self = getContext().getSelf();
    pendingGrant = GRANT;
    if (accounts.reader().acquireOrWait(GRANT, () -> self.tell(new CreditReady(GRANT)))) {
      onCreditReady(new CreditReady(GRANT));
    }
  }

  private Behavior<Command> onCreditReady(CreditReady c) {
    pendingGrant = 0;
    if (finished || inputEnded) {
      accounts.reader().release(c.bytes());
      return this;
    }
    granted += c.bytes();
    producer.tell(new Grant(c.bytes()));
    grantMore();
    return this;
  }

  private Behavior<Command> onPush(Push p) {
    if (finished || settings == null) {
      return this;
    }
    if (p.length() < 0 || p.length() > granted || p.length() > p.records().length) {
      return fail("the producer pushed " + p.length() + " bytes with " + granted + " granted");
    }
    granted -= p.length();
    // the push's bytes stay charged to the reader account until the grouper has parsed them
    ends.push(p.records(), p.length());
    grantMore();
    return this;
  }

  private Behavior<Command> onEndOfInput() {
    if (finished || inputEnded || settings == null) {
      return this;
    }
    inputEnded = true;
    if (granted > 0) {
      accounts.reader().release(granted);
      granted = 0;
    }
    ends.endOfInput();
    return this;
  }

  private Behavior<Command> onRequest(Request r) {
    if (finished || r.bytes() <= 0) {
      return this;
    }
    if (ends == null) {
      demandBeforeStart += r.bytes(); // a consumer may ask before the host has sent Start
    } else {
      ends.demand(r.bytes());
    }
    return this;
  }

  private Behavior<Command> onPipeline(FromPipeline f) {
    if (f.event() instanceof PipelineEvent.Failed failed) {
      return fail(failed.reason(), failed.neededBudget());
    }
    if (f.event() instanceof PipelineEvent.Finished done && !finished) {
      finished = true;
      consumer.tell(new Completed(Pipeline.summary(stats, done.totals(), accounts.ledger(), startNanos)));
      producer.tell(new Stopped("completed"));
      return Behaviors.stopped();
    }
    return this;
  }

  private Behavior<Command> fail(String reason) {
    return fail(reason, 0);
  }

  private Behavior<Command> fail(String reason, long neededBudget) {
    if (finished) {
      return this;
    }
    finished = true;
    if (consumer != null) {
      consumer.tell(new Failed(reason, neededBudget));
      producer.tell(new Stopped(reason));
    }
    return Behaviors.stopped();
  }

  private Behavior<Command> onStop() {
    if (accounts != null) {
      accounts.reader().cancelWaiters();
    }
    if (spillFolder != null) {
      spillFolder.deleteAll(); // the children have stopped: nothing writes there any more
    }
    return this;
  }
}
