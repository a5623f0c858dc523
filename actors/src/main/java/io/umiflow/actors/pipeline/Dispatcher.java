package io.umiflow.actors.pipeline;

import akka.actor.typed.ActorRef;
import io.umiflow.actors.batch.Batch;
import io.umiflow.actors.outofcore.SpilledGroup;
import java.util.List;

/**
 * The grouper's view of the worker pool: sends each batch to the worker with the fewest outstanding, and
 * says when enough are outstanding. Past a few batches per worker more in flight buy no speed, only
 * memory, so the grouper stops cutting (the budget remains the hard limit; this keeps a large budget from
 * being filled for nothing).
 */
final class Dispatcher {
  private final List<ActorRef<Processor.Command>> processors;
  private final int[] outstanding;
  private final int maxInFlight;
  private int inFlight;

  Dispatcher(List<ActorRef<Processor.Command>> processors, int maxInFlight) {
    this.processors = processors;
    this.outstanding = new int[processors.size()];
    this.maxInFlight = maxInFlight;
  }

  boolean busy() {
    return inFlight >= maxInFlight;
  }

  void send(Batch batch, ActorRef<Grouper.Command> grouper) {
    processors.get(take()).tell(new Processor.Process(batch, grouper, processors));
  }

  void send(SpilledGroup group, ActorRef<Grouper.Command> grouper) {
    processors.get(take()).tell(new Processor.ProcessSpilled(group, grouper));
  }

  /** Processor {@code index} finished one. */
  void done(int index) {
    outstanding[index]--;
    inFlight--;
  }

  private int take() {
    int best = 0;
    for (int i = 1; i < outstanding.length; i++) {
      if (outstanding[i] < outstanding[best]) {
        best = i;
      }
    }
    outstanding[best]++;
    inFlight++;
    return best;
  }
}
