package io.umiflow.actors.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.umiflow.actors.memory.MemoryLedger;
import io.umiflow.actors.memory.MemoryPlan;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A worker's two accounts: scratch within the keep on its own, beyond it from the flow account, given back. */
class WorkerCreditsTest {
  private static final long KEEP = 1L << 20;

  private final MemoryLedger ledger = new MemoryLedger(256L << 20);
  private final MemoryLedger.Account own = ledger.open("worker-0", MemoryPlan.WORKER_KIT_BYTES + 2 * KEEP);
  private final MemoryLedger.Account flow = ledger.openFlow("flow", 64L << 20, 32L << 20);
  private final MemoryPlan plan = new MemoryPlan(256L << 20, 1, 4L << 20, own.capacity(), KEEP, flow.capacity(),
      flow.reserve(), 1L << 20, 5, 256 << 10, 0.95);

  @Test
  void withinTheKeep_ownAccountOnly() {
    WorkerCredits credits = new WorkerCredits(plan, own, flow);
    assertEquals(MemoryPlan.WORKER_KIT_BYTES, own.held(), "the kit is charged from the start");
    assertTrue(credits.cover(KEEP / 2, 0, 3, () -> {}));
    assertEquals(MemoryPlan.WORKER_KIT_BYTES + KEEP / 2, own.held());
    assertEquals(0, flow.held());
    assertEquals(KEEP, credits.covered());
    credits.finish(KEEP / 4);
    assertEquals(MemoryPlan.WORKER_KIT_BYTES + KEEP / 4, own.held(), "what the worker keeps stays charged");
  }

  @Test
  void beyondTheKeep_flowCreditsAtThePriority_thenBack() {
    WorkerCredits credits = new WorkerCredits(plan, own, flow);
    assertTrue(credits.cover(4 * KEEP, 0, 0, () -> {}));
    assertEquals(4 * KEEP, flow.held());
    assertEquals(4 * KEEP, credits.covered());
    assertTrue(credits.cover(6 * KEEP, 0, 0, () -> {}));
    assertEquals(6 * KEEP, flow.held(), "a larger need takes only the difference");
    credits.finish(0);
    assertEquals(0, flow.held());
    assertEquals(MemoryPlan.WORKER_KIT_BYTES, own.held());
  }

  @Test
  void behindTheHead_waitsUntilGranted() {
    WorkerCredits credits = new WorkerCredits(plan, own, flow);
    assertTrue(flow.tryAcquire(0, flow.capacity() - flow.reserve())); // the head holds all but the reserve
    AtomicInteger granted = new AtomicInteger();
    assertFalse(credits.cover(4 * KEEP, 0, 1, granted::incrementAndGet), "batch 1 may not touch the reserve");
    assertEquals(0, granted.get());
    flow.release(flow.capacity() - flow.reserve());
    assertEquals(1, granted.get(), "granted once the credits are back");
    credits.finish(0);
    assertEquals(0, flow.held());
  }

  @Test
  void keepOnly_givesBackTheRest() {
    WorkerCredits credits = new WorkerCredits(plan, own, flow);
    assertTrue(flow.tryAcquire(0, 10_000));
    assertEquals(3_000, credits.keepOnly(10_000, 3_000));
    assertEquals(3_000, flow.held());
    assertEquals(3_000, credits.keepOnly(3_000, 5_000), "never more than it had");
  }
}
