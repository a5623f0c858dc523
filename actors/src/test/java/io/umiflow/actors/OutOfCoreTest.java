package io.umiflow.actors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import io.umiflow.assign.Strategy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The out-of-core path must give the in-memory path's output: the spill threshold is forced down so that
 * groups of the compat inputs spill, and tiny sorted runs force many runs and multi-level merges.
 */
class OutOfCoreTest {
  private static final ActorTestKit KIT = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    KIT.shutdownTestKit();
  }

  @TempDir
  Path tmp;

  private GroupSettings settings(String input, String strategy, int threads, boolean markDuplicates, Path out,
                                 String name) {
    return GroupSettings.builder()
        .input(JobRunner.shared(input + ".tc.bam").toString())
        .output(out.resolve(name + ".bam").toString())
        .familySizeHistogram(out.resolve(name + ".hist.txt").toString())
        .groupingMetrics(out.resolve(name + ".metrics.txt").toString())
        .strategy(Strategy.parse(strategy))
        .threads(threads)
        .markDuplicates(markDuplicates)
        .memoryBudget(48L << 20)
        .progressMillis(0)
        .build();
  }

  private static JobSummary completed(GroupJob.Event e) {
    if (e instanceof GroupJob.Failed f) {
      throw new AssertionError("job failed: " + f.reason());
    }
    return assertInstanceOf(GroupJob.Completed.class, e).summary();
  }

  @ParameterizedTest(name = "{0} {1}, {2} threads, duplicates {3}, runs of {4} bytes")
  @CsvSource({
      "single, adjacency, 2, true, 2048",
      "single, edit, 1, false, 0",
      "single, identity, 3, true, 65536",
      "paired, paired, 2, true, 4096"})
  void forcedSpill_sameOutputAndMetricsAsInMemory(String input, String strategy, int threads, boolean dups,
                                                   long runBytes) throws IOException {
    Path spillDir = Files.createDirectory(tmp.resolve("spill"));
    JobSummary inMemory = completed(JobRunner.run(KIT, settings(input, strategy, threads, dups, tmp, "memory")));
    assertEquals(0, inMemory.spilledGroups());
    GroupSettings forced = settings(input, strategy, threads, dups, tmp, "spilled").toBuilder()
        .spillThreshold(1).spillRunBytes(runBytes).tmpDir(spillDir.toString()).build();
    JobSummary spilled = completed(JobRunner.run(KIT, forced));
    assertTrue(spilled.spilledGroups() >= 5, "groups spilled: " + spilled.spilledGroups());

    assertArrayEquals(JobRunner.decompressed(tmp.resolve("memory.bam")), JobRunner.decompressed(tmp.resolve("spilled.bam")),
        "decompressed outputs differ");
    for (String metrics : new String[] {".hist.txt", ".metrics.txt"}) {
      assertEquals(Files.readString(tmp.resolve("memory" + metrics)), Files.readString(tmp.resolve("spilled" + metrics)));
    }
    assertEquals(inMemory.molecules(), spilled.molecules());
    assertEquals(inMemory.recordsWritten(), spilled.recordsWritten());
    try (Stream<Path> left = Files.list(spillDir)) {
      assertEquals(0, left.count(), "spill files left behind");
    }
  }

  @Test
  void smallBudget_spilledGroupsComplete_andLeaveNoFiles() throws IOException {
    Path spillDir = Files.createDirectory(tmp.resolve("spill"));
    GroupSettings s = settings("single", "adjacency", 2, true, tmp, "tiny").toBuilder()
        .memoryBudget(24L << 20).spillThreshold(1).spillRunBytes(1).tmpDir(spillDir.toString()).build();
    JobSummary spilled = completed(JobRunner.run(KIT, s));
    assertTrue(spilled.spilledGroups() > 0);
    assertTrue(spilled.peakAccountedBytes() <= spilled.budgetBytes());
    JobSummary inMemory = completed(JobRunner.run(KIT, settings("single", "adjacency", 2, true, tmp, "memory")));
    assertArrayEquals(JobRunner.decompressed(tmp.resolve("memory.bam")), JobRunner.decompressed(tmp.resolve("tiny.bam")));
    assertEquals(inMemory.families(), spilled.families());
    try (Stream<Path> left = Files.list(spillDir)) {
      assertEquals(0, left.count(), "spill files left behind");
    }
  }
}
