package io.umiflow.cluster;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;

/**
 * How many samples one node runs at once. Each grouping job is sized to the node's whole memory budget and
 * thread count, so by default one runs at a time and the others wait here in arrival order; a node never
 * exceeds its {@code --memory} however many samples sharding places on it. A holder that stops is
 * forgotten (its slot freed, or its place in the queue dropped).
 */
final class NodeSlots {
  sealed interface Command {}

  /** Ask for a slot; {@code entity} receives {@link SampleEntity.SlotGranted} when it has one. */
  record Acquire(ActorRef<SampleEntity.Command> entity) implements Command {}

  /** Give a slot back (or leave the queue). */
  record Release(ActorRef<SampleEntity.Command> entity) implements Command {}

  private NodeSlots() {}

  static Behavior<Command> create(int slots) {
    return Behaviors.setup(ctx -> {
      Set<ActorRef<SampleEntity.Command>> holders = new HashSet<>();
      ArrayDeque<ActorRef<SampleEntity.Command>> queue = new ArrayDeque<>();
      Runnable grant = () -> {
        while (holders.size() < slots && !queue.isEmpty()) {
          ActorRef<SampleEntity.Command> next = queue.poll();
          holders.add(next);
          next.tell(SampleEntity.SlotGranted.INSTANCE);
        }
      };
      return Behaviors.receive(Command.class)
          .onMessage(Acquire.class, a -> {
            if (!holders.contains(a.entity()) && !queue.contains(a.entity())) {
              ctx.watchWith(a.entity(), new Release(a.entity()));
              queue.add(a.entity());
              grant.run();
            }
            return Behaviors.same();
          })
          .onMessage(Release.class, r -> {
            if (holders.remove(r.entity()) | queue.remove(r.entity())) {
              ctx.unwatch(r.entity());
            }
            grant.run();
            return Behaviors.same();
          })
          .build();
    });
  }
}
