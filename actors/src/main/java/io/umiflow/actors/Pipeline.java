package io.umiflow.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.javadsl.ActorContext;
import io.umiflow.codec.BamHeader;
import java.util.ArrayList;
import java.util.List;

/**
 * What the file job and the stream stage share: the split of the budget into ledger accounts, and the
 * grouper with its pool of processors. Each caller supplies its own input and output ends.
 */
final class Pipeline {
  static final String WORKER_DISPATCHER = "umiflow.worker-dispatcher";
  static final String IO_DISPATCHER = "umiflow.io-dispatcher";

  /** The budget's accounts. */
  record Accounts(MemoryLedger ledger, MemoryLedger.Account reader, List<MemoryLedger.Account> processors,
                  MemoryLedger.Account batches) {}

  /** The grouper and the processors it feeds. */
  record Workers(ActorRef<Grouper.Command> grouper, List<ActorRef<Processor.Command>> processors) {}

  private Pipeline() {}

  /**
   * Splits the budget: the reader (or pushed chunks) 10% within [3 chunks, 64 MiB]; processors 20% in equal
   * shares (they hold only UMI structures, about 100 bytes per template being assigned); batches the rest,
   * since they hold the reads themselves.
   */
  static Accounts accounts(long budget, int threads) {
    MemoryLedger ledger = new MemoryLedger(budget);
    long readerShare = Math.max(3 * Reader.CHUNK_RESERVE, Math.min(budget / 10, 64L << 20));
    long processorShare = (long) (budget * 0.20) / threads;
    MemoryLedger.Account reader = ledger.open("reader", readerShare);
    List<MemoryLedger.Account> processors = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      processors.add(ledger.open("processor-" + i, processorShare));
    }
    MemoryLedger.Account batches = ledger.open("batches", budget - readerShare - processorShare * threads);
    return new Accounts(ledger, reader, processors, batches);
  }

  /**
   * Spawns and watches the processors and the grouper that feeds them. With a {@code spillFolder}, giant
   * position groups are grouped out of core through it; without one (the stream stage, whose consumer takes
   * each group as one message) they must fit in the budget.
   */
  static <T> Workers spawn(ActorContext<T> ctx, GroupSettings settings, BamHeader header, Accounts accounts,
                           PipelineStats stats, ActorRef<GroupJob.Command> job, ActorRef<Writer.Command> output,
                           Processor.OutputMode mode, SpillFolder spillFolder) {
    List<ActorRef<Processor.Command>> processors = new ArrayList<>();
    for (int i = 0; i < settings.threads(); i++) {
      ActorRef<Processor.Command> p = ctx.spawn(
          Processor.create(i, settings, header, accounts.processors().get(i), accounts.batches(), output, job, mode,
              Processor.SPLIT_TEMPLATES, spillFolder),
          "processor-" + i, DispatcherSelector.fromConfig(WORKER_DISPATCHER));
      ctx.watch(p);
      processors.add(p);
    }
    long target = Math.max(64L << 10, Math.min(4L << 20,
        accounts.batches().capacity() / (12L * (settings.threads() + 1))));
    ActorRef<Grouper.Command> grouper = ctx.spawn(
        Grouper.create(settings, header, accounts.reader(), accounts.batches(), stats, job, output, processors, target,
            spillFolder, accounts.processors().get(0).capacity()),
        "grouper", DispatcherSelector.fromConfig(WORKER_DISPATCHER));
    ctx.watch(grouper);
    return new Workers(grouper, processors);
  }
}
