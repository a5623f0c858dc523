package io.umiflow.actors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import io.umiflow.assign.Strategy;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small budgets cut many small batches, so batch buffers are often sized exactly for the next chunk and
 * records straddling two chunks land at the edge. Every budget must give the same output, the smallest the
 * builder accepts with 64 threads included (fewer workers are made; the inflaters are still 64).
 */
class SmallBudgetTest {
  private static final ActorTestKit KIT = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    KIT.shutdownTestKit();
  }

  @TempDir
  Path tmp;

  @Test
  void group_manyBudgetsAndThreadCounts_sameOutput() throws IOException {
    byte[] reference = null;
    for (long mib : new long[] {16, 18, 21, 26, 64}) {
      for (int threads : mib == 16 ? new int[] {1, 3, 64} : new int[] {1, 3}) {
        Path out = tmp.resolve("out-" + mib + "-" + threads + ".bam");
        GroupSettings s = GroupSettings.builder()
            .input(JobRunner.shared("paired.tc.bam").toString())
            .output(out.toString())
            .strategy(Strategy.PAIRED)
            .threads(threads)
            .memoryBudget(mib << 20)
            .progressMillis(0)
            .commandLine("test")
            .build();
        GroupJob.Event e = JobRunner.run(KIT, s);
        assertInstanceOf(GroupJob.Completed.class, e, e.toString());
        byte[] bytes = JobRunner.decompressed(out);
        if (reference == null) {
          reference = bytes;
        } else {
          assertArrayEquals(reference, bytes, mib + " MiB, " + threads + " threads");
        }
      }
    }
  }
}
