package io.umiflow.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.javadsl.ActorContext;
import io.umiflow.codec.BamHeader;
import java.util.ArrayList;
import java.util.List;

/**
 * What the file job and the stream stage share: the split of the budget into ledger accounts (see
 * {@link MemoryPlan}), and the grouper with its pool of processors. Each caller supplies its own input and
 * output ends.
 */
final class Pipeline {
  static final String WORKER_DISPATCHER = "umiflow.worker-dispatcher";
  static final String IO_DISPATCHER = "umiflow.io-dispatcher";

  /** The budget's accounts, and the plan they follow. */
  record Accounts(MemoryLedger ledger, MemoryPlan plan, MemoryLedger.Account reader,
                  List<MemoryLedger.Account> workers, MemoryLedger.Account flow) {}

  /** The grouper and the processors it feeds. */
  record Workers(ActorRef<Grouper.Command> grouper, List<ActorRef<Processor.Command>> processors) {}

  private Pipeline() {}

  /** Opens the accounts of {@code settings}' budget: reader, one per worker, and the flow account. */
  static Accounts accounts(GroupSettings settings) {
    MemoryPlan plan = MemoryPlan.of(settings.memoryBudget(), settings.threads(), settings.memoryTuning());
    MemoryLedger ledger = new MemoryLedger(plan.budget());
    MemoryLedger.Account reader = ledger.open("reader", plan.readerCapacity());
    List<MemoryLedger.Account> workers = new ArrayList<>();
    for (int i = 0; i < plan.workers(); i++) {
      workers.add(ledger.open("worker-" + i, plan.workerCapacity()));
    }
    MemoryLedger.Account flow = ledger.openFlow("flow", plan.flowCapacity(), plan.headReserve());
    return new Accounts(ledger, plan, reader, workers, flow);
  }

  /**
   * Spawns and watches the processors and the grouper that feeds them. Giant position groups are grouped out
   * of core through {@code spillFolder}.
   */
  static <T> Workers spawn(ActorContext<T> ctx, GroupSettings settings, BamHeader header, Accounts accounts,
                           PipelineStats stats, ActorRef<GroupJob.Command> job, ActorRef<Writer.Command> output,
                           Processor.OutputMode mode, SpillFolder spillFolder) {
    List<ActorRef<Processor.Command>> processors = new ArrayList<>();
    for (int i = 0; i < accounts.plan().workers(); i++) {
      ActorRef<Processor.Command> p = ctx.spawn(
          Processor.create(i, settings, header, accounts.plan(), accounts.workers().get(i), accounts.flow(), output,
              job, mode, Processor.SPLIT_TEMPLATES, spillFolder),
          "processor-" + i, DispatcherSelector.fromConfig(WORKER_DISPATCHER));
      ctx.watch(p);
      processors.add(p);
    }
    ActorRef<Grouper.Command> grouper = ctx.spawn(
        Grouper.create(settings, header, accounts.plan(), accounts.reader(), accounts.flow(), stats, job, output,
            processors, spillFolder, mode == Processor.OutputMode.RECORDS),
        "grouper", DispatcherSelector.fromConfig(WORKER_DISPATCHER));
    ctx.watch(grouper);
    return new Workers(grouper, processors);
  }
}
