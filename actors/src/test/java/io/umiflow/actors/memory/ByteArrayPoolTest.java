package io.umiflow.actors.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The pool reuses arrays, and every live array is charged exactly once: to its holder, or to the pool. */
class ByteArrayPoolTest {
  private static final int SIZE = ByteArrayPool.CHUNK_SIZE;

  /** Takes an array the way callers do: credit first. */
  private static byte[] take(MemoryLedger.Account account, ByteArrayPool pool, int n) {
    assertTrue(account.tryAcquire(pool.charge(n)), "credit for " + n);
    return pool.take(n);
  }

  @Test
  void givenBack_isReused_neverHandedOutTwice() {
    MemoryLedger.Account account = new MemoryLedger(64L << 20).open("a", 64L << 20);
    ByteArrayPool pool = new ByteArrayPool(SIZE, account);
    byte[] a = take(account, pool, 1000);
    assertEquals(SIZE, a.length);
    byte[] b = take(account, pool, SIZE);
    assertNotSame(a, b);
    pool.give(a);
    assertEquals(2L * SIZE, account.held(), "the idle array stays charged, to the pool");
    assertSame(a, take(account, pool, 10));
    assertEquals(2L * SIZE, account.held(), "handing out an idle array releases the pool's credit for it");
    byte[] big = take(account, pool, SIZE + 1);
    assertEquals(SIZE + 1, big.length);
    pool.give(big); // not pooled: a different size, its credit released
    assertEquals(2L * SIZE, account.held());
    assertNotSame(big, take(account, pool, SIZE));
  }

  /**
   * Random interleavings: an array is never out twice, the account holds exactly the arrays out plus the idle
   * ones, and without pressure the pool makes a new array only when none is free.
   */
  @Test
  void randomUse_arraysDistinct_accountHoldsEveryLiveArrayOnce() {
    MemoryLedger.Account account = new MemoryLedger(1L << 30).open("a", 1L << 30);
    ByteArrayPool pool = new ByteArrayPool(SIZE, account);
    Random rnd = new Random(9);
    List<byte[]> out = new ArrayList<>();
    Map<byte[], Boolean> seen = new IdentityHashMap<>();
    int peak = 0;
    for (int step = 0; step < 10_000; step++) {
      if (out.isEmpty() || (out.size() < 40 && rnd.nextBoolean())) {
        byte[] b = take(account, pool, 1 + rnd.nextInt(SIZE));
        for (byte[] o : out) {
          assertNotSame(o, b);
        }
        out.add(b);
        seen.put(b, true);
        peak = Math.max(peak, out.size());
      } else {
        pool.give(out.remove(rnd.nextInt(out.size())));
      }
      long idle = (long) seen.size() - out.size();
      assertEquals((out.size() + idle) * SIZE, account.held(), "step " + step);
    }
    assertEquals(peak, seen.size(), "a new array only when none was free");
  }

  @Test
  void requestThatDoesNotFit_reclaimsIdleArraysFirst() {
    MemoryLedger.Account account = new MemoryLedger(3L * SIZE).open("a", 3L * SIZE);
    ByteArrayPool pool = new ByteArrayPool(SIZE, account);
    byte[] a = take(account, pool, SIZE);
    byte[] b = take(account, pool, SIZE);
    take(account, pool, SIZE);
    pool.give(a);
    pool.give(b);
    assertEquals(3L * SIZE, account.held());
    assertTrue(account.acquireOrWait(2L * SIZE, () -> { }), "two idle arrays are dropped for the request");
    assertEquals(3L * SIZE, account.held());
    assertEquals(0, pool.reclaim(Long.MAX_VALUE), "nothing idle is left to drop");
    // the request's holder takes its array: a dropped one the collector has not taken (a and b are still
    // reachable here), with the request's credit; the pool no longer pays for it, so nothing is released
    byte[] again = pool.take(SIZE);
    assertTrue(again == a || again == b, "a dropped array is reused");
    assertEquals(3L * SIZE, account.held());
  }

  @Test
  void arrayGivenWhileARequestWaits_isReleasedToIt() {
    MemoryLedger.Account account = new MemoryLedger(2L * SIZE).open("a", 2L * SIZE);
    ByteArrayPool pool = new ByteArrayPool(SIZE, account);
    byte[] a = take(account, pool, SIZE);
    take(account, pool, SIZE);
    AtomicBoolean granted = new AtomicBoolean();
    assertFalse(account.acquireOrWait(SIZE, () -> granted.set(true)));
    pool.give(a);
    assertTrue(granted.get(), "the waiting request got the given array's credit");
    assertEquals(2L * SIZE, account.held());
  }
}
