package io.umiflow.actors;

import io.umiflow.actors.memory.MemoryLedger;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import io.umiflow.assign.Strategy;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ledger against the heap. The ledger may say yes only when the heap can: every live data-sized array
 * must be charged.
 *
 * <p>Stage by stage, exactly: a processor after assigning a giant batch and after compressing it, and the
 * out-of-core path after each pass, each measured in a quiet state against what it charged (the live heap
 * above what was there before, after a full collection), with a slack of 2 MiB for the stage's fixed objects.
 * Keeping a giant group's scratch without charging it fails the processor check by about 12 MiB.
 *
 * <p>Whole jobs, coarsely: while a job runs, a sampler forces full collections and compares the live heap
 * with the most the ledger accounted during that moment, in three phases (batches piling up behind a stalled
 * writer, a giant group in memory, a giant group out of core). The ledger over-counts in flight (outputs are
 * charged at their worst case before they exist) and the moment of a collection is noisy, so this only
 * guards against gross leaks (an allowance of 24 MiB).
 */
class LedgerHeapTest {
  private static final ActorTestKit KIT = ActorTestKit.create();
  /** Live objects a job keeps that are not charged because they do not grow with the data. */
  private static final long ALLOWANCE = 24L << 20;

  @AfterAll
  static void shutdown() {
    KIT.shutdownTestKit();
  }

  /**
   * One job of each kind first, so that what loading the classes costs the heap (class objects, strings,
   * Akka's and GKL's first structures) is in the baseline, not counted as the measured job's.
   */
  @BeforeAll
  static void warmUp(@TempDir Path dir) {
    for (long spill : new long[] {0, 64 << 10}) {
      GroupSettings s = GroupSettings.builder().input(JobRunner.shared("single.tc.bam").toString())
          .output(dir.resolve("warm-" + spill + ".bam").toString()).strategy(Strategy.ADJACENCY).threads(2)
          .memoryBudget(48L << 20).spillThreshold(spill).tmpDir(dir.toString()).progressMillis(0).build();
      assertInstanceOf(GroupJob.Completed.class, JobRunner.run(KIT, s));
    }
  }

  @TempDir
  Path tmp;

  /** Blocks every write until released, so batches pile up to the budget behind the writer. */
  private static final class StalledOutput extends OutputStream {
    private final OutputStream out;
    final CountDownLatch release = new CountDownLatch(1);

    StalledOutput(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      try {
        release.await();
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
      out.write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }
  }

  /** Runs a job while sampling; returns the largest live heap above the ledger's peak of the moment. */
  private long largestExcess(GroupSettings settings, StalledOutput stalled) throws Exception {
    return largestExcess(settings, stalled, false);
  }

  /** As above; {@code outOfCore} says whether a group must have been grouped out of core, or none. */
  private long largestExcess(GroupSettings settings, StalledOutput stalled, boolean outOfCore) throws Exception {
    long before = TestHeap.live();
    AtomicReference<MemoryLedger> ledger = new AtomicReference<>();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong excess = new AtomicLong(Long.MIN_VALUE);
    AtomicLong largestPeak = new AtomicLong();
    Thread sampler = new Thread(() -> {
      int samples = 0;
      long high = 0;
      long last = System.nanoTime();
      while (running.get() && samples < 80) {
        MemoryLedger l = ledger.get();
        long used = l == null ? 0 : l.used();
        high = Math.max(high, used);
        // every 40 ms, and at once when the ledger drops after a peak: what a giant group leaves behind
        // (scratch kept, arrays idle) stands out while little else is held
        boolean dropped = high > (32L << 20) && used < high / 4;
        if (l != null && (dropped || System.nanoTime() - last > 40_000_000L)) {
          l.takeWindowPeak();
          long live = TestHeap.live();
          long peak = l.takeWindowPeak();
          if (live < 0) {
            continue; // no full collection could be had this time
          }
          long heap = live - before;
          excess.accumulateAndGet(heap - peak, Math::max);
          largestPeak.accumulateAndGet(peak, Math::max);
          samples++;
          high = used;
          last = System.nanoTime();
        }
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "ledger-heap-sampler");
    sampler.start();
    TestProbe<GroupJob.Event> probe = KIT.createTestProbe();
    ActorRef<GroupJob.Command> job = KIT.spawn(GroupJob.create(ledger::set));
    job.tell(new GroupJob.Start(settings, probe.getRef(), stalled));
    if (stalled != null) {
      Thread.sleep(1500); // batches pile up to the budget while the sampler measures
      stalled.release.countDown();
    }
    GroupJob.Event e;
    do {
      e = probe.receiveMessage(Duration.ofMinutes(3));
    } while (!(e instanceof GroupJob.Completed || e instanceof GroupJob.Failed));
    long spilled = assertInstanceOf(GroupJob.Completed.class, e, e.toString()).summary().spilledGroups();
    assertTrue(outOfCore ? spilled > 0 : spilled == 0, "groups spilled: " + spilled);
    running.set(false);
    sampler.join(TimeUnit.MINUTES.toMillis(1));
    // what stays live once the job and its actors are gone is drift of the baseline (caches, the test kit),
    // not the job's: it is not held against the ledger
    probe.expectTerminated(job, Duration.ofSeconds(30));
    ledger.set(null); // the ledger keeps the job's pools reachable
    Thread.sleep(200);
    long drift = Math.max(0, TestHeap.live() - before);
    assertTrue(largestPeak.get() > 8L << 20, "the job hardly used the ledger: " + largestPeak.get());
    return excess.get() - drift;
  }

  private GroupSettings settings(String input, long budget) {
    return GroupSettings.builder().input(JobRunner.shared(input).toString()).output(tmp.resolve("out.bam").toString())
        .strategy(Strategy.ADJACENCY).threads(2).memoryBudget(budget).tmpDir(tmp.toString()).progressMillis(0)
        .build();
  }

  @Test
  void stalledWriter_batchesPileUp_heapStaysWithinTheLedger() throws Exception {
    StalledOutput out = new StalledOutput(Files.newOutputStream(tmp.resolve("stalled.bam")));
    long excess = largestExcess(settings("single.tc.bam", 96L << 20), out);
    assertTrue(excess <= ALLOWANCE, "live heap above the ledger by " + (excess >> 20) + " MiB");
  }

  /**
   * The compat input with a position group of 60,000 templates (tens of thousands of distinct UMIs) followed
   * by 5,000 records of ordinary groups, during which little else is held: what the giant group leaves
   * behind stands out.
   */
  private GroupSettings giant(long budget) throws IOException {
    Path in = GiantGroupBam.write(tmp.resolve("giant.bam"), "single.tc.bam", 60_000, Integer.MAX_VALUE, 3);
    return settings("single.tc.bam", budget).toBuilder().input(in.toString()).build();
  }

  @Test
  void giantGroupAssignedInMemory_heapStaysWithinTheLedger() throws Exception {
    GroupSettings s = giant(512L << 20);
    long excess = largestExcess(s, null);
    assertTrue(excess <= ALLOWANCE, "live heap above the ledger by " + (excess >> 20) + " MiB");
  }

  @Test
  void giantGroupGroupedOutOfCore_heapStaysWithinTheLedger() throws Exception {
    long excess = largestExcess(giant(48L << 20), null, true);
    assertTrue(excess <= ALLOWANCE, "live heap above the ledger by " + (excess >> 20) + " MiB");
  }
}
