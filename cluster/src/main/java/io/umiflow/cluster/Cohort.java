package io.umiflow.cluster;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.sharding.typed.ShardingEnvelope;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Drives a cohort to its end: sends every sample to its sharded entity, and every {@code redrive} sends the
 * unfinished ones again. A sample whose node left or died is thereby restarted on another node, and one
 * whose message was lost is asked again; entities ignore repeats. Reports each event, then the outcome of
 * every sample (completed or failed) once all have one, and stops.
 */
public final class Cohort {
  /** What the cohort tells its listener. */
  public sealed interface Report {}

  /** An event of one sample. */
  public record SampleReport(SampleEvent event) implements Report {}

  /** Every sample has an outcome, in manifest order. */
  public record Finished(Map<String, SampleEvent> outcomes) implements Report {
    /** True when every sample completed. */
    public boolean allCompleted() {
      return outcomes.values().stream().allMatch(e -> e instanceof SampleEvent.Completed);
    }
  }

  sealed interface Command {}

  private record Event(SampleEvent event) implements Command {}

  private enum Redrive implements Command { INSTANCE }

  private Cohort() {}

  /** The coordinator of {@code samples}, sending through the sharding region or proxy {@code region}. */
  public static Behavior<?> create(List<SampleWork> samples, ActorRef<ShardingEnvelope<SampleEntity.Command>> region,
                                   ActorRef<Report> listener, Duration redrive) {
    return Behaviors.<Command>setup(ctx -> Behaviors.withTimers(timers -> {
      ActorRef<Command> self = ctx.getSelf();
      // a plain child actor, addressable from every node, relays the entities' events
      ActorRef<SampleEvent> inbox = ctx.spawn(Behaviors.receive(SampleEvent.class)
          .onAnyMessage(e -> {
            self.tell(new Event(e));
            return Behaviors.same();
          }).build(), "inbox");
      Map<String, SampleEvent> outcomes = new LinkedHashMap<>();
      samples.forEach(s -> outcomes.put(s.sampleId(), null));
      Runnable sendUnfinished = () -> {
        for (SampleWork s : samples) {
          if (outcomes.get(s.sampleId()) == null) {
            region.tell(new ShardingEnvelope<>(s.sampleId(), new SampleEntity.Run(s, inbox)));
          }
        }
      };
      sendUnfinished.run();
      timers.startTimerWithFixedDelay(Redrive.INSTANCE, redrive);
      return Behaviors.receive(Command.class)
          .onMessageEquals(Redrive.INSTANCE, () -> {
            sendUnfinished.run();
            return Behaviors.same();
          })
          .onMessage(Event.class, e -> {
            SampleEvent event = e.event();
            if (!outcomes.containsKey(event.sampleId()) || outcomes.get(event.sampleId()) != null) {
              return Behaviors.same(); // not ours, or a repeat of a known outcome
            }
            listener.tell(new SampleReport(event));
            if (event instanceof SampleEvent.Completed || event instanceof SampleEvent.Failed) {
              outcomes.put(event.sampleId(), event);
              if (!outcomes.containsValue(null)) {
                listener.tell(new Finished(java.util.Collections.unmodifiableMap(new LinkedHashMap<>(outcomes))));
                return Behaviors.stopped();
              }
            }
            return Behaviors.same();
          })
          .build();
    }));
  }
}
