package io.umiflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import io.umiflow.actors.GroupJob;
import io.umiflow.actors.GroupSettings;
import io.umiflow.assign.Strategy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The command line's root actor and the --memory arithmetic, apart from a whole run. */
class GroupCommandTest {
  private static final ActorTestKit KIT = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    KIT.shutdownTestKit();
  }

  private static int runRoot(Behavior<GroupJob.Command> job, ByteArrayOutputStream err) throws Exception {
    CompletableFuture<Integer> status = new CompletableFuture<>();
    CompletableFuture<GroupSettings> started = new CompletableFuture<>();
    PrintStream out = new PrintStream(err, true, StandardCharsets.UTF_8);
    KIT.spawn(GroupCommand.root(job, started, e -> { }, status, out));
    started.complete(GroupSettings.builder().input("in.bam").output("out.bam").strategy(Strategy.ADJACENCY)
        .threads(1).build());
    return status.get(20, TimeUnit.SECONDS); // before the fix: never completed, the command hung
  }

  @Test
  void jobThatThrows_endsTheRunWithStatus1AndOneLine() throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = runRoot(Behaviors.receive(GroupJob.Command.class).onAnyMessage(m -> {
      throw new IllegalStateException("boom");
    }).build(), err);
    assertEquals(1, code);
    String text = err.toString(StandardCharsets.UTF_8);
    assertTrue(text.startsWith("umiflow group: internal error") && text.contains("boom"), text);
    assertEquals(1, text.strip().lines().count(), text);
  }

  @Test
  void jobThatStopsWithoutAWord_endsTheRunWithStatus1() throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(1, runRoot(Behaviors.receive(GroupJob.Command.class).onAnyMessage(m -> Behaviors.stopped()).build(),
        err));
  }

  /** What the launcher does with --memory M: the heap, then the ledger's share of what the JVM reports. */
  private static long budgetOf(String memory) {
    long m = MemorySize.parse(memory) >> 20;
    long heap = m - 128 - m * 12 / 100;
    return MemorySize.ledgerBudget((long) (heap * 0.98) << 20);
  }

  @Test
  void ceilingFor_givesAMemoryWhoseBudgetIsAtLeastTheOneAsked() {
    for (long mib = 16; mib <= 20_000; mib = mib * 5 / 4 + 1) {
      long budget = mib << 20;
      String memory = MemorySize.ceilingFor(budget);
      assertTrue(budgetOf(memory) >= budget, memory + " for " + mib + " MiB");
      assertTrue(MemorySize.parse(memory) >= MemorySize.MINIMUM);
      if (mib > 64) {
        assertTrue(budgetOf(memory) < budget * 1.3 + (64L << 20), memory + " is far more than " + mib + " MiB needs");
      }
    }
  }
}
