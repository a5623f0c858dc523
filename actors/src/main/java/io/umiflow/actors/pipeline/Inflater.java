package io.umiflow.actors.pipeline;
import io.umiflow.actors.memory.ByteArrayPool;
import io.umiflow.actors.memory.MemoryLedger;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.umiflow.codec.BlockInflater;
import io.umiflow.codec.CompressedBlock;
import io.umiflow.codec.DeflateBackend;
import io.umiflow.codec.InputFormatException;
import java.util.List;

/**
 * Inflates chunks of BGZF blocks on a worker thread, so decompression runs in parallel with everything
 * else. Hands the compressed bytes' credits back as soon as they are garbage; the array a chunk is inflated
 * into keeps its credit (taken by the reader) until the grouper gives both back to the pool.
 */
final class Inflater extends AbstractBehavior<Inflater.Command> {
  sealed interface Command {}

  /** A chunk of consecutive compressed blocks, number {@code seq} in input order. */
  record InflateChunk(long seq, List<CompressedBlock> blocks, long compressedBytes, long inflatedBytes)
      implements Command {}

  private final BlockInflater inflater;
  private final MemoryLedger.Account account;
  private final ActorRef<Grouper.Command> grouper;
  private final ActorRef<PipelineEvent> job;
  private final String source;
  private final ByteArrayPool buffers;

  static Behavior<Command> create(DeflateBackend backend, MemoryLedger.Account account,
                                  ActorRef<Grouper.Command> grouper, ActorRef<PipelineEvent> job, String source,
                                  ByteArrayPool buffers) {
    return Behaviors.setup(ctx -> new Inflater(ctx, backend, account, grouper, job, source, buffers));
  }

  private Inflater(ActorContext<Command> ctx, DeflateBackend backend, MemoryLedger.Account account,
                   ActorRef<Grouper.Command> grouper, ActorRef<PipelineEvent> job, String source,
                   ByteArrayPool buffers) {
    super(ctx);
    this.buffers = buffers;
    this.inflater = new BlockInflater(backend);
    this.account = account;
    this.grouper = grouper;
    this.job = job;
    this.source = source;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder().onMessage(InflateChunk.class, this::onInflate).build();
  }

  private Behavior<Command> onInflate(InflateChunk c) {
    byte[] out = buffers.take((int) c.inflatedBytes());
    int p = 0;
    try {
      for (CompressedBlock b : c.blocks()) {
        p += inflater.inflate(b, out, p, source);
      }
    } catch (InputFormatException e) {
      job.tell(new PipelineEvent.Failed(e.getMessage()));
      return Behaviors.stopped();
    }
    account.release(c.compressedBytes());
    // the array's credit travels with it; the grouper hands both back to the pool
    grouper.tell(new Grouper.Chunk(c.seq(), out, p, buffers.charge((int) c.inflatedBytes()), buffers));
    return this;
  }
}
