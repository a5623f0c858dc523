package io.umiflow.cluster;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import io.umiflow.actors.GroupJob;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.JobSummary;
import io.umiflow.assign.Strategy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;

/**
 * One sample of a cohort, as a sharded entity: runs the local grouping job ({@link GroupJob}) for its
 * {@link SampleWork} on the node sharding placed it on, once the node has a free slot, and reports to
 * whoever asked last. Asking again is harmless (the coordinator re-drives unfinished samples every few
 * seconds): a running or waiting sample only takes the new reply address, a finished one answers with
 * its result. If the node dies, the next {@link Run} starts the sample afresh on another node; the job
 * writes its output under a temporary name and renames it when complete, and a restarted sample first
 * deletes temporary outputs that a killed node left behind, so an output is never partial or doubled.
 */
public final class SampleEntity extends AbstractBehavior<SampleEntity.Command> {
  /** The sharding type of sample entities. */
  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "umiflow-sample");

  /** What the entity accepts. */
  public sealed interface Command {}

  /** Run this sample (if not running or done already) and report to {@code replyTo}. */
  public record Run(SampleWork work, ActorRef<SampleEvent> replyTo) implements Command, CborSerializable {}

  /** Local: this node has a slot for the sample. */
  enum SlotGranted implements Command { INSTANCE }

  /** Local: an event of the grouping job. */
  private record JobEvent(GroupJob.Event event) implements Command {}

  private enum Status { IDLE, WAITING, RUNNING, DONE, FAILED }

  private final String node;
  private final NodeSettings settings;
  private final ActorRef<NodeSlots.Command> slots;
  private final ActorRef<GroupJob.Event> jobEvents;
  private Status status = Status.IDLE;
  private SampleWork work;
  private ActorRef<SampleEvent> replyTo;
  private SampleEvent result;
  private ActorRef<GroupJob.Command> job;

  static Behavior<Command> create(NodeSettings settings, ActorRef<NodeSlots.Command> slots) {
    return Behaviors.setup(ctx -> new SampleEntity(ctx, settings, slots));
  }

  private SampleEntity(ActorContext<Command> ctx, NodeSettings settings, ActorRef<NodeSlots.Command> slots) {
    super(ctx);
    this.settings = settings;
    this.slots = slots;
    this.node = akka.cluster.typed.Cluster.get(ctx.getSystem()).selfMember().address().toString();
    this.jobEvents = ctx.messageAdapter(GroupJob.Event.class, JobEvent::new);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Run.class, this::onRun)
        .onMessageEquals(SlotGranted.INSTANCE, this::onSlot)
        .onMessage(JobEvent.class, e -> onJobEvent(e.event()))
        .onSignal(Terminated.class, t -> onJobStopped())
        .onSignal(PostStop.class, s -> {
          slots.tell(new NodeSlots.Release(getContext().getSelf()));
          return this;
        })
        .build();
  }

  private Behavior<Command> onRun(Run r) {
    boolean same = r.work().equals(work);
    replyTo = r.replyTo();
    if (same && (status == Status.WAITING || status == Status.RUNNING)) {
      return this;
    }
    if (same && (status == Status.DONE || status == Status.FAILED)) {
      replyTo.tell(result);
      return this;
    }
    if (status == Status.WAITING || status == Status.RUNNING) {
      replyTo.tell(new SampleEvent.Failed(r.work().sampleId(), node,
          "sample id already running with other paths or options"));
      return this;
    }
    work = r.work();
    status = Status.WAITING;
    slots.tell(new NodeSlots.Acquire(getContext().getSelf()));
    return this;
  }

  private Behavior<Command> onSlot() {
    if (status != Status.WAITING) {
      slots.tell(new NodeSlots.Release(getContext().getSelf()));
      return this;
    }
    String refused = settings.allowedPaths().refusal(work);
    if (refused != null) {
      return finish(new SampleEvent.Failed(work.sampleId(), node, "refused: " + refused));
    }
    GroupSettings groupSettings;
    try {
      groupSettings = SampleOptions.apply(GroupSettings.builder()
          .wording(GroupSettings.Wording.CLI)
          .input(work.input())
          .output(work.output())
          .strategy(Strategy.ADJACENCY)
          .threads(settings.threads())
          .memoryBudget(settings.budgetPerSample())
          .progressMillis(settings.progressMillis())
          .commandLine(SampleOptions.commandLine(work)), work.options()).build();
    } catch (IllegalArgumentException e) {
      return finish(new SampleEvent.Failed(work.sampleId(), node, e.getMessage()));
    }
    for (String out : new String[] {groupSettings.output(), groupSettings.familySizeHistogram(),
        groupSettings.groupingMetrics(), groupSettings.groupSizeHistogram()}) {
      if (out != null) {
        removeStaleTemporaryOutputs(Paths.get(out).toAbsolutePath());
      }
    }
    job = getContext().spawn(GroupJob.create(), "job");
    getContext().watch(job);
    job.tell(new GroupJob.Start(groupSettings, jobEvents));
    status = Status.RUNNING;
    replyTo.tell(new SampleEvent.Started(work.sampleId(), node));
    return this;
  }

  private Behavior<Command> onJobEvent(GroupJob.Event e) {
    if (status != Status.RUNNING) {
      return this;
    }
    if (e instanceof GroupJob.Progress p) {
      replyTo.tell(new SampleEvent.Progress(work.sampleId(), node, p.recordsRead(), p.recordsPerSecond(),
          p.inputBytesRead(), p.inputBytes()));
    } else if (e instanceof GroupJob.Completed c) {
      JobSummary s = c.summary();
      return finish(new SampleEvent.Completed(work.sampleId(), node, s.recordsRead(), s.recordsWritten(), s.molecules(),
          s.wallMillis()));
    } else if (e instanceof GroupJob.Failed f) {
      return finish(new SampleEvent.Failed(work.sampleId(), node, f.reason()));
    }
    return this;
  }

  private Behavior<Command> onJobStopped() {
    job = null;
    if (status == Status.RUNNING) {
      return finish(new SampleEvent.Failed(work.sampleId(), node, "the grouping job stopped without a result"));
    }
    return this;
  }

  private Behavior<Command> finish(SampleEvent outcome) {
    status = outcome instanceof SampleEvent.Completed ? Status.DONE : Status.FAILED;
    result = outcome;
    slots.tell(new NodeSlots.Release(getContext().getSelf()));
    replyTo.tell(outcome);
    return this;
  }

  /**
   * Deletes {@code .NAME.*.umiflow-tmp} beside an output (the BAM or a metrics file): what the job's writer
   * leaves when the process
   * running it is killed. Sharding runs one entity per sample, so no live job writes these.
   */
  static void removeStaleTemporaryOutputs(Path output) {
    Path dir = output.getParent();
    String prefix = "." + output.getFileName() + ".";
    if (dir == null || !Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> files = Files.list(dir)) {
      files.filter(p -> {
        String n = p.getFileName().toString();
        return n.startsWith(prefix) && n.endsWith(io.umiflow.actors.pipeline.OutputSet.SUFFIX);
      }).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // the job's own temporary file gets another name; a leftover only wastes space
        }
      });
    } catch (IOException ignored) {
      // the job reports an unusable folder itself
    }
  }
}
