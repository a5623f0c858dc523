package io.umiflow.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import akka.actor.UnhandledMessage;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.eventstream.EventStream;
import io.umiflow.actors.GroupJob;
import io.umiflow.actors.GroupSettings;
import io.umiflow.app.simulate.SimulationParameters;
import io.umiflow.assign.Strategy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pipeline invariants through the public job API: the decompressed output does not depend on threads or
 * budget; a stalled consumer stops the reader after it has used the budget (the heap against the ledger is
 * LedgerHeapTest's); no actor ever receives a message it does not handle.
 */
class PipelineTest {
  private static final ActorTestKit KIT = ActorTestKit.create();
  private static TestProbe<UnhandledMessage> unhandled;

  @TempDir
  static Path dir;
  static Path single;
  static Path duplex;

  @BeforeAll
  static void inputs() throws IOException {
    unhandled = KIT.createTestProbe();
    KIT.system().eventStream().tell(new EventStream.Subscribe<>(UnhandledMessage.class, unhandled.getRef()));
    // large families and amplicon loci of a few thousand templates: groups much larger than a small budget's
    // batches, still within what the smallest budget here can hold in one batch
    single = TestBams.simulate(dir, "single.bam", new SimulationParameters(21, 150_000, 3, 2_000_000, 100, 300, 50,
        3.0, 0.9, 0.005, 300, 10, 0.01, 0.002, false, 0.05, 2, 0, 0.01, 0.01, 0.005, 0.005, 0.005, 0.005, 0.005, 2,
        4_000));
    duplex = TestBams.simulate(dir, "duplex.bam", new SimulationParameters(22, 100_000, 3, 2_000_000, 100, 300, 50,
        3.0, 0.9, 0.005, 200, 8, 0.01, 0.002, true, 0.05, 1, 0, 0.01, 0.01, 0.005, 0.005, 0.005, 0.005, 0.005, 1,
        4_000));
  }

  @AfterEach
  void noUnhandledMessages() {
    unhandled.expectNoMessage(Duration.ofMillis(50));
  }

  @AfterAll
  static void shutdown() {
    KIT.shutdownTestKit();
  }

  private static GroupSettings settings(Path in, Strategy s, int threads, long budget) {
    return GroupSettings.builder().input(in.toString()).output("unused.bam").strategy(s).threads(threads)
        .memoryBudget(budget).commandLine("test").progressMillis(100).build();
  }

  /** Runs to the end, writing into memory; returns the events seen. */
  private static List<GroupJob.Event> run(GroupSettings s, OutputStream out) {
    TestProbe<GroupJob.Event> probe = KIT.createTestProbe();
    ActorRef<GroupJob.Command> job = KIT.spawn(GroupJob.create());
    job.tell(new GroupJob.Start(s, probe.getRef(), out));
    List<GroupJob.Event> events = new ArrayList<>();
    while (true) {
      GroupJob.Event e = probe.receiveMessage(Duration.ofMinutes(5));
      events.add(e);
      if (e instanceof GroupJob.Failed f) {
        fail("job failed: " + f.reason());
      }
      if (e instanceof GroupJob.Completed) {
        probe.expectTerminated(job, Duration.ofSeconds(30));
        return events;
      }
    }
  }

  private static byte[] decompressedRun(GroupSettings s) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    run(s, out);
    Path p = dir.resolve("run-" + System.nanoTime() + ".bam");
    java.nio.file.Files.write(p, out.toByteArray());
    return TestBams.decompressed(p);
  }

  @Test
  void output_sameBytesForEveryThreadCountAndBudget() throws IOException {
    for (Object[] c : new Object[][] {{single, Strategy.ADJACENCY}, {duplex, Strategy.PAIRED}}) {
      Path in = (Path) c[0];
      Strategy strategy = (Strategy) c[1];
      byte[] reference = decompressedRun(settings(in, strategy, 1, 256L << 20));
      assertTrue(reference.length > 1_000_000);
      for (int threads : new int[] {2, 4}) {
        for (long budget : new long[] {40L << 20, 256L << 20}) {
          assertArrayEquals(reference, decompressedRun(settings(in, strategy, threads, budget)),
              strategy + " with " + threads + " threads and a " + (budget >> 20) + " MiB budget");
        }
      }
    }
  }

  /** Lets the first bytes through, then blocks every write until released. */
  static final class StalledOutput extends OutputStream {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final CountDownLatch release = new CountDownLatch(1);
    private final long allowance;

    StalledOutput(long allowance) {
      this.allowance = allowance;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (bytes.size() + len > allowance) {
        try {
          release.await();
        } catch (InterruptedException e) {
          throw new IOException("interrupted", e);
        }
      }
      bytes.write(b, off, len);
    }
  }

  @Test
  void stalledConsumer_readerStopsAndAccountedBytesStayInBudget() throws Exception {
    long budget = 24L << 20;
    GroupSettings s = settings(single, Strategy.ADJACENCY, 2, budget);
    StalledOutput out = new StalledOutput(256 << 10);
    TestProbe<GroupJob.Event> probe = KIT.createTestProbe();
    ActorRef<GroupJob.Command> job = KIT.spawn(GroupJob.create());
    job.tell(new GroupJob.Start(s, probe.getRef(), out));
    long lastRead = -1;
    int stableTicks = 0;
    long maxAccounted = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (stableTicks < 10 && System.nanoTime() < deadline) {
      GroupJob.Event e = probe.receiveMessage(Duration.ofSeconds(10));
      if (e instanceof GroupJob.Progress p) {
        maxAccounted = Math.max(maxAccounted, p.accountedBytes());
        stableTicks = p.recordsRead() == lastRead ? stableTicks + 1 : 0;
        lastRead = p.recordsRead();
      } else if (!(e instanceof GroupJob.Started)) {
        fail("unexpected while stalled: " + e);
      }
    }
    assertEquals(10, stableTicks, "the reader did not stop while the consumer was stalled");
    long total = TestBams.read(single).records().size();
    assertTrue(lastRead < total / 2, "read " + lastRead + " of " + total + " records while stalled");
    assertTrue(maxAccounted > budget / 4, "the budget was hardly used: " + maxAccounted);
    out.release.countDown();
    GroupJob.Event end;
    do {
      end = probe.receiveMessage(Duration.ofMinutes(2));
    } while (end instanceof GroupJob.Progress);
    assertInstanceOf(GroupJob.Completed.class, end);
    Path p = dir.resolve("stalled.bam");
    java.nio.file.Files.write(p, out.bytes.toByteArray());
    assertArrayEquals(decompressedRun(settings(single, Strategy.ADJACENCY, 2, budget)), TestBams.decompressed(p));
  }
}
