package io.umiflow.example;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.GroupStage;
import io.umiflow.codec.BamHeader;
import java.time.Duration;

/**
 * The consumer example of docs/embedding.md: a host actor with its own protocol (here a progress timer)
 * receives the stage's {@link GroupStage.ConsumerEvent}s through a message adapter, and starts the stage
 * itself, since {@code Start} takes the adapter as the consumer.
 */
public final class HostConsumerExample {
  private HostConsumerExample() {}

  /** The host actor's own messages. */
  public sealed interface Command {}

  /** A stage event, wrapped by the message adapter. */
  private record FromStage(GroupStage.ConsumerEvent event) implements Command {}

  /** The host's own timer. */
  private enum Report implements Command { INSTANCE }

  /** What the host reports when the stage ends: templates received, and the failure or null. */
  public record Result(long templates, long records, String failure) {}

  /** Starts {@code stage} with {@code producer}, consumes its output with {@code window} bytes of demand open. */
  public static Behavior<Command> create(ActorRef<GroupStage.Command> stage, GroupSettings settings, BamHeader header,
                                         ActorRef<GroupStage.ProducerEvent> producer, long window,
                                         ActorRef<Result> done) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ActorRef<GroupStage.ConsumerEvent> events = ctx.messageAdapter(GroupStage.ConsumerEvent.class, FromStage::new);
      stage.tell(new GroupStage.Start(settings, header, producer, events));
      stage.tell(new GroupStage.Request(window)); // demand in GroupedBatch.bytes(); a delivery may overshoot by one batch
      timers.startTimerAtFixedRate(Report.INSTANCE, Duration.ofSeconds(5));
      long[] templates = {0};
      long[] records = {0};
      return Behaviors.receive(Command.class)
          .onMessageEquals(Report.INSTANCE, () -> {
            ctx.getLog().info("{} templates grouped so far", templates[0]);
            return Behaviors.same();
          })
          .onMessage(FromStage.class, f -> {
            if (f.event() instanceof GroupStage.Molecules m) {
              templates[0] += m.batch().templateCount();
              records[0] += m.batch().recordCount();
              stage.tell(new GroupStage.Request(m.batch().bytes())); // replace what was taken
              return Behaviors.same();
            }
            String failure = f.event() instanceof GroupStage.Failed failed ? failed.reason() : null;
            done.tell(new Result(templates[0], records[0], failure)); // Completed or Failed: the stage has ended
            return Behaviors.stopped();
          })
          .build();
    }));
  }
}
