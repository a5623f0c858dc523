package io.umiflow.actors.pipeline;
import io.umiflow.actors.GroupStage;
import io.umiflow.actors.batch.BatchMetrics;
import io.umiflow.actors.memory.MemoryLedger;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import java.util.HashMap;
import java.util.Map;

/**
 * The stream stage's output end: numbers molecules like the file writer, and delivers batches of grouped
 * records to the host's consumer in input order, only while the consumer has demand. A batch keeps its
 * credit until delivered, so a slow consumer holds the stage at its budget and, through the grouper,
 * stops the grants to the producer.
 */
final class StageOutput extends AbstractBehavior<Writer.Command> {
  private final ActorRef<GroupStage.ConsumerEvent> consumer;
  private final MemoryLedger.Account flow;
  private final PipelineStats stats;
  private final ActorRef<PipelineEvent> job;
  private final MoleculeNumbering numbering = new MoleculeNumbering();
  private final Map<Long, Writer.Delivered> ready = new HashMap<>();
  private final BatchMetrics totals = new BatchMetrics();
  private long nextToDeliver;
  private long demand;
  private long endAt = -1;
  private boolean done;

  static Behavior<Writer.Command> create(ActorRef<GroupStage.ConsumerEvent> consumer, MemoryLedger.Account flow,
                                         PipelineStats stats, ActorRef<PipelineEvent> job) {
    return Behaviors.setup(ctx -> new StageOutput(ctx, consumer, flow, stats, job));
  }

  private StageOutput(ActorContext<Writer.Command> ctx, ActorRef<GroupStage.ConsumerEvent> consumer,
                      MemoryLedger.Account flow, PipelineStats stats, ActorRef<PipelineEvent> job) {
    super(ctx);
    this.consumer = consumer;
    this.flow = flow;
    this.stats = stats;
    this.job = job;
  }

  @Override
  public Receive<Writer.Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Writer.Counted.class, c -> {
          numbering.counted(c);
          return this;
        })
        .onMessage(Writer.Delivered.class, d -> {
          ready.put(d.seq(), d);
          return drain();
        })
        .onMessage(Writer.Demand.class, d -> {
          demand += d.bytes();
          return drain();
        })
        .onMessage(Writer.EndOfBatches.class, e -> {
          endAt = e.batches();
          return drain();
        })
        .onMessage(Writer.Compressed.class, c -> {
          job.tell(new PipelineEvent.Failed("internal error: the stream stage received compressed output"));
          return this;
        })
        .build();
  }

  private Behavior<Writer.Command> drain() {
    Writer.Delivered next;
    while (!done && demand > 0 && (next = ready.remove(nextToDeliver)) != null) {
      consumer.tell(new GroupStage.Molecules(next.batch()));
      demand -= next.batch().bytes();
      flow.release(next.credit());
      totals.add(next.metrics());
      stats.recordsWritten.addAndGet(next.metrics().recordsOut);
      nextToDeliver++;
      flow.advanceHead(nextToDeliver);
    }
    if (!done && endAt >= 0 && nextToDeliver == endAt) {
      done = true;
      job.tell(new PipelineEvent.Finished(totals));
    }
    return this;
  }
}
