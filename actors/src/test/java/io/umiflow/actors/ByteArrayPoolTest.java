package io.umiflow.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ByteArrayPoolTest {
  @Test
  void givenBack_isReused_neverHandedOutTwice() {
    ByteArrayPool pool = new ByteArrayPool(ByteArrayPool.CHUNK_SIZE);
    byte[] a = pool.take(1000);
    assertEquals(ByteArrayPool.CHUNK_SIZE, a.length);
    byte[] b = pool.take(ByteArrayPool.CHUNK_SIZE);
    assertNotSame(a, b);
    pool.give(a);
    assertSame(a, pool.take(10));
    byte[] big = pool.take(ByteArrayPool.CHUNK_SIZE + 1);
    assertEquals(ByteArrayPool.CHUNK_SIZE + 1, big.length);
    pool.give(big); // not pooled: a different size
    pool.give(new byte[7]); // nor a foreign array of another size
    assertNotSame(big, pool.take(ByteArrayPool.CHUNK_SIZE));
  }

  /** Random interleavings: an array is never out twice, and the pool holds no more than the peak out at once. */
  @Test
  void randomUse_arraysOutAreDistinct_poolBoundedByPeak() {
    ByteArrayPool pool = new ByteArrayPool(ByteArrayPool.CHUNK_SIZE);
    Random rnd = new Random(9);
    List<byte[]> out = new ArrayList<>();
    Map<byte[], Boolean> seen = new IdentityHashMap<>();
    int peak = 0;
    for (int step = 0; step < 10_000; step++) {
      if (out.isEmpty() || (out.size() < 40 && rnd.nextBoolean())) {
        byte[] b = pool.take(1 + rnd.nextInt(ByteArrayPool.CHUNK_SIZE));
        for (byte[] o : out) {
          assertNotSame(o, b);
        }
        out.add(b);
        seen.put(b, true);
        peak = Math.max(peak, out.size());
      } else {
        pool.give(out.remove(rnd.nextInt(out.size())));
      }
    }
    assertEquals(peak, seen.size(), "a new array only when none was free");
  }
}
