package io.umiflow.actors.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The ledger's rules, and a model of the pipeline showing the head-reserve rule is what prevents deadlock. */
class MemoryLedgerTest {
  @Test
  void fixedAccount_waitsWhenFull_grantsInArrivalOrderOnRelease() {
    MemoryLedger ledger = new MemoryLedger(100);
    MemoryLedger.Account a = ledger.open("a", 100);
    assertTrue(a.acquireOrWait(60, () -> { }));
    List<String> granted = new ArrayList<>();
    assertFalse(a.acquireOrWait(50, () -> granted.add("first")));
    assertFalse(a.acquireOrWait(10, () -> granted.add("second")));
    assertFalse(a.tryAcquire(5), "a try does not jump the queue");
    a.release(60);
    assertEquals(List.of("first", "second"), granted);
    assertEquals(60, a.held());
    assertEquals(60, ledger.peak());
  }

  @Test
  void accounts_cannotExceedTheBudget_norRequestsTheirCapacity() {
    MemoryLedger ledger = new MemoryLedger(100);
    MemoryLedger.Account a = ledger.open("a", 70);
    assertThrows(IllegalStateException.class, () -> ledger.open("b", 31));
    assertThrows(IllegalStateException.class, () -> a.acquireOrWait(71, () -> { }));
  }

  @Test
  void flow_onlyTheHeadUsesTheReserve() {
    MemoryLedger ledger = new MemoryLedger(100);
    MemoryLedger.Account flow = ledger.openFlow("flow", 100, 40);
    assertTrue(flow.tryAcquire(3, 60), "behind the head: up to capacity - reserve");
    assertFalse(flow.tryAcquire(4, 1));
    assertEquals(60, flow.limitFor(4));
    assertEquals(100, flow.limitFor(0));
    assertTrue(flow.tryAcquire(0, 40), "the head (0) may use the reserve");
    flow.release(40);
    AtomicInteger granted = new AtomicInteger();
    assertFalse(flow.acquireOrWait(3, 30, granted::incrementAndGet));
    flow.advanceHead(2);
    assertEquals(0, granted.get(), "3 is still behind the head");
    flow.advanceHead(3);
    assertEquals(1, granted.get(), "once 3 is the head its request fits");
    assertEquals(90, flow.held());
  }

  @Test
  void waiters_areGrantedInPriorityOrder_aSmallLaterOneDoesNotOvertake() {
    MemoryLedger ledger = new MemoryLedger(100);
    MemoryLedger.Account flow = ledger.openFlow("flow", 100, 0);
    assertTrue(flow.tryAcquire(0, 90));
    List<Integer> order = new ArrayList<>();
    assertFalse(flow.acquireOrWait(7, 30, () -> order.add(7)));
    assertFalse(flow.acquireOrWait(8, 1, () -> order.add(8)));
    assertFalse(flow.tryAcquire(8, 1), "precedence: 7 waits");
    assertTrue(flow.tryAcquire(6, 1), "an earlier item goes first");
    flow.release(50);
    assertEquals(List.of(7, 8), order);
  }

  @Test
  void windowPeak_coversEveryMomentOfTheWindow() {
    MemoryLedger ledger = new MemoryLedger(100);
    MemoryLedger.Account a = ledger.open("a", 100);
    a.tryAcquire(10);
    ledger.takeWindowPeak();
    a.tryAcquire(50);
    a.release(50);
    assertEquals(60, ledger.takeWindowPeak());
    assertEquals(10, ledger.takeWindowPeak());
  }

  /**
   * A model of the pipeline on the real ledger: a grouper cuts items in order, each taking its batch credit
   * at its own priority; workers take each item's processing credit at its priority, one item at a time in
   * the order given to them, waiting asynchronously; the writer writes the head once it is processed and
   * frees everything it held. Random sizes (an item needs at most the reserve in all) and random
   * interleavings. Returns the number of items written before nothing could move.
   */
  private static int simulate(long seed, long capacity, long reserve, int items, int workers) {
    Random rnd = new Random(seed);
    MemoryLedger ledger = new MemoryLedger(capacity);
    MemoryLedger.Account flow = ledger.openFlow("flow", capacity, reserve);
    long itemMax = reserve > 0 ? reserve : capacity / 3;
    long[] need1 = new long[items];
    long[] need2 = new long[items];
    for (int i = 0; i < items; i++) {
      need1[i] = 1 + rnd.nextInt((int) (itemMax / 2));
      need2[i] = 1 + rnd.nextInt((int) (itemMax - need1[i]));
    }
    boolean[] processed = new boolean[items];
    boolean[] requested2 = new boolean[items];
    boolean[] granted2 = new boolean[items];
    List<ArrayDeque<Integer>> queues = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      queues.add(new ArrayDeque<>());
    }
    int[] nextCut = {0};
    boolean[] cutRequested = {false};
    boolean[] cutGranted = {false};
    int[] written = {0};
    while (written[0] < items) {
      List<Runnable> moves = new ArrayList<>();
      if (nextCut[0] < items && (!cutRequested[0] || cutGranted[0])) {
        moves.add(() -> {
          int i = nextCut[0];
          if (!cutRequested[0]) {
            cutRequested[0] = true;
            cutGranted[0] = flow.acquireOrWait(i, need1[i], () -> cutGranted[0] = true);
          }
          if (cutGranted[0]) {
            queues.get(rnd.nextInt(workers)).add(i);
            nextCut[0]++;
            cutRequested[0] = false;
            cutGranted[0] = false;
          }
        });
      }
      for (ArrayDeque<Integer> q : queues) {
        Integer i = q.peek();
        if (i != null && (!requested2[i] || granted2[i])) {
          moves.add(() -> {
            if (!requested2[i]) {
              requested2[i] = true;
              granted2[i] = flow.acquireOrWait(i, need2[i], () -> granted2[i] = true);
            }
            if (granted2[i]) {
              processed[i] = true;
              q.poll();
            }
          });
        }
      }
      int head = written[0];
      if (processed[head]) {
        moves.add(() -> {
          flow.release(need1[head] + need2[head]);
          written[0]++;
          flow.advanceHead(written[0]);
        });
      }
      if (moves.isEmpty()) {
        return written[0]; // nothing can move: deadlock
      }
      moves.get(rnd.nextInt(moves.size())).run();
    }
    assertEquals(0, flow.held(), "everything given back");
    return written[0];
  }

  @Test
  void pipelineModel_withTheHeadReserve_alwaysCompletes() {
    for (long seed = 0; seed < 300; seed++) {
      assertEquals(60, simulate(seed, 1000, 300, 60, 1 + (int) (seed % 4)), "seed " + seed);
    }
  }

  /** The control: without the reserve the same model deadlocks, so the test above can fail. */
  @Test
  void pipelineModel_withoutTheReserve_deadlocks() {
    int deadlocks = 0;
    for (long seed = 0; seed < 300; seed++) {
      if (simulate(seed, 1000, 0, 60, 1 + (int) (seed % 4)) < 60) {
        deadlocks++;
      }
    }
    assertTrue(deadlocks > 0, "no deadlock without the reserve: the model does not exercise it");
  }
}
