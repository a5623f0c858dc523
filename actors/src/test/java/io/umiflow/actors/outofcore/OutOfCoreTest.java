package io.umiflow.actors.outofcore;

import io.umiflow.actors.GiantGroupBam;
import io.umiflow.actors.GroupJob;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.JobRunner;
import io.umiflow.actors.JobSummary;
import io.umiflow.actors.TestBatches;
import io.umiflow.actors.TestHeap;
import io.umiflow.actors.batch.Batch;
import io.umiflow.actors.batch.BatchMetrics;
import io.umiflow.actors.batch.TemplateClassifier;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import io.umiflow.assign.Strategy;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BamRecord;
import io.umiflow.codec.BgzfOutputStream;
import io.umiflow.codec.DeflateBackend;
import io.umiflow.codec.PositionKey;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
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
    // the spilled groups took their reserve: most of the flow account, granted once they were the head
    assertTrue(spilled.accountPeaks().stream().anyMatch(a -> a.name().equals("flow")
        && a.peakBytes() > a.capacityBytes() * 3 / 4), spilled.accountPeaks().toString());
    JobSummary inMemory = completed(JobRunner.run(KIT, settings("single", "adjacency", 2, true, tmp, "memory")));
    assertArrayEquals(JobRunner.decompressed(tmp.resolve("memory.bam")), JobRunner.decompressed(tmp.resolve("tiny.bam")));
    assertEquals(inMemory.families(), spilled.families());
    try (Stream<Path> left = Files.list(spillDir)) {
      assertEquals(0, left.count(), "spill files left behind");
    }
  }

  /**
   * The grouper used to send the last batch, and the end, before the spilled group it had just closed when
   * the input ended with exactly one template at a new position: the writer then waited forever for the
   * spilled group. The input here is the compat file's largest position group, spilled, and one template.
   */
  @Test
  void spilledGroupFollowedByOneFinalTemplate_completesLikeInMemory() throws IOException {
    Path in = JobRunner.shared("single.tc.bam");
    List<TestBatches.Template> all = TestBatches.templates(JobRunner.records(in)).stream()
        .filter(t -> t.key() != null).toList();
    int bestStart = 0;
    int bestSize = 0;
    for (int s = 0; s < all.size(); ) {
      int e = s + 1;
      while (e < all.size() && all.get(e).key().compareTo(all.get(s).key()) == 0) {
        e++;
      }
      if (e < all.size() && e - s > bestSize) {
        bestStart = s;
        bestSize = e - s;
      }
      s = e;
    }
    assertTrue(bestSize > 100, "largest group " + bestSize);
    Path edited = tmp.resolve("giant-then-one.bam");
    BamHeader header = BamHeader.of(htsjdk.samtools.SamReaderFactory.makeDefault().getFileHeader(in));
    try (BgzfOutputStream out = new BgzfOutputStream(Files.newOutputStream(edited), 1, DeflateBackend.JDK)) {
      out.write(header.encode());
      for (int t = bestStart; t <= bestStart + bestSize; t++) { // the group, then the next template
        for (byte[] r : all.get(t).records()) {
          out.write(r);
        }
      }
    }
    GroupSettings base = GroupSettings.builder().input(edited.toString()).output(tmp.resolve("x.bam").toString())
        .strategy(Strategy.ADJACENCY).threads(2)
        .memoryBudget(48L << 20).progressMillis(0).build();
    JobSummary memory = completed(JobRunner.run(KIT, base.toBuilder().output(tmp.resolve("m.bam").toString())
        .build()));
    JobSummary spilled = completed(JobRunner.run(KIT, base.toBuilder().output(tmp.resolve("s.bam").toString())
        .spillThreshold(1).build()));
    assertEquals(1, spilled.spilledGroups());
    assertEquals(2, spilled.positionGroups());
    assertEquals(memory.molecules(), spilled.molecules());
    assertArrayEquals(JobRunner.decompressed(tmp.resolve("m.bam")), JobRunner.decompressed(tmp.resolve("s.bam")));
  }

  /** Groups {@code file} out of core within {@code limit}; returns the group and its merged output. */
  private record Grouped(OutOfCoreGroup group, byte[] output) {}

  private Grouped outOfCore(Path file, SpilledGroup spilled, GroupSettings s, io.umiflow.codec.BamHeader header,
                            long limit, String name) throws IOException {
    Path copy = Files.copy(file, tmp.resolve(name + ".bgzf"));
    SpillFolder folder = new SpillFolder(Files.createDirectory(tmp.resolve(name)));
    OutOfCoreGroup g = new OutOfCoreGroup(new SpilledGroup(0, copy, spilled.templates(), spilled.records(),
        spilled.recordBytes(), "test", limit), s, new TemplateClassifier(s, header),
        io.umiflow.assign.UmiAssigner.create(s.strategy(), s.edits(), 0), limit, folder, "test");
    g.assign();
    g.writeRuns();
    Path out = g.merge(0, limit);
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    Files.copy(out, bytes);
    bytes.write(io.umiflow.codec.Bgzf.eofBlock());
    folder.deleteAll();
    try (io.umiflow.codec.BgzfInputStream in = new io.umiflow.codec.BgzfInputStream(
        new java.io.ByteArrayInputStream(bytes.toByteArray()), name)) {
      return new Grouped(g, in.readAllBytes());
    }
  }

  /**
   * A giant group spread over 12 cells whose distinct UMIs do not fit the limit all at once is grouped in
   * waves of partitions, with the output, molecules, families and filter counts of a single pass.
   */
  @Test
  void partitionsTooManyForOnePass_groupedInWaves_sameAsOnePass() throws Exception {
    Path in = GiantGroupBam.write(tmp.resolve("cells.bam"), "single.tc.bam", 24_000, 0, 11, 12);
    Batch b = TestBatches.batch(in, Integer.MAX_VALUE, 0);
    Path file = tmp.resolve("group.bgzf");
    GroupSettings s = GroupSettings.builder().input(in.toString()).output(tmp.resolve("x.bam").toString())
        .strategy(Strategy.ADJACENCY).threads(1).markDuplicates(true).progressMillis(0).build();
    long records = 0;
    long bytes = 0;
    int templates = 0;
    try (SpillFile.Appender a = new SpillFile.Appender(file, s.deflateBackend())) {
      for (int t = 0; t < b.templates(); t++) {
        int first = b.r1()[t] >= 0 ? b.r1()[t] : b.r2()[t];
        if (!BamRecord.readName(b.data(), first).startsWith("giant:")) {
          continue; // the giant group only: its 12 cells are 12 partitions of ~2,000 templates
        }
        a.append(b.data(), b.r1()[t], b.r2()[t], b.r1Earlier()[t], b.recordNumber()[t], -1, false, 0);
        records += (b.r1()[t] >= 0 ? 1 : 0) + (b.r2()[t] >= 0 ? 1 : 0);
        templates++;
      }
      bytes = a.recordBytes();
    }
    SpilledGroup spilled = new SpilledGroup(0, file, templates, records, bytes, "test", 0);
    BamHeader header = BamHeader.of(htsjdk.samtools.SamReaderFactory.makeDefault().getFileHeader(in));
    Grouped one = outOfCore(file, spilled, s, header, 64L << 20, "one");
    Grouped waves = outOfCore(file, spilled, s, header, 1536L << 10, "waves");
    assertEquals(0, one.group().waves());
    assertTrue(waves.group().waves() >= 3, "waves: " + waves.group().waves());
    assertArrayEquals(one.output(), waves.output());
    BatchMetrics m1 = one.group().metrics();
    BatchMetrics m2 = waves.group().metrics();
    assertEquals(m1.molecules, m2.molecules);
    assertEquals(m1.families, m2.families);
    assertEquals(m1.accepted, m2.accepted);
    assertEquals(m1.discardedNsInUmi + m1.discardedPoorAlignment + m1.discardedNonPf,
        m2.discardedNsInUmi + m2.discardedPoorAlignment + m2.discardedNonPf);
  }

  /**
   * The out-of-core path on its own, exactly: a spill file of 60,000 templates grouped within a reserve of
   * 16 MiB. After each pass (distinct UMIs and assignment, sorted runs, merge) the live heap above what was
   * there before may exceed the reserve only by the pass's fixed buffers.
   */
  @Test
  void outOfCoreStage_afterEachPass_heapWithinItsReserve() throws Exception {
    Path in = GiantGroupBam.write(tmp.resolve("giant-only.bam"), "single.tc.bam", 60_000, 0, 7);
    Batch b = TestBatches.batch(in, Integer.MAX_VALUE, 0);
    Path file = tmp.resolve("group.bgzf");
    GroupSettings s = GroupSettings.builder().input(in.toString()).output(tmp.resolve("x.bam").toString())
        .strategy(Strategy.ADJACENCY).threads(1).memoryBudget(64L << 20).progressMillis(0).build();
    long records = 0;
    try (SpillFile.Appender a = new SpillFile.Appender(file, s.deflateBackend())) {
      for (int t = 0; t < b.templates(); t++) {
        a.append(b.data(), b.r1()[t], b.r2()[t], b.r1Earlier()[t], b.recordNumber()[t], -1, false, 0);
        records += (b.r1()[t] >= 0 ? 1 : 0) + (b.r2()[t] >= 0 ? 1 : 0);
      }
    }
    long recordBytes = b.dataLength();
    int templates = b.templates();
    b = null;
    long reserve = 16L << 20;
    io.umiflow.codec.BamHeader header = io.umiflow.codec.BamHeader.of(
        htsjdk.samtools.SamReaderFactory.makeDefault().getFileHeader(in));
    TemplateClassifier classifier = new TemplateClassifier(s, header);
    io.umiflow.assign.UmiAssigner assigner = io.umiflow.assign.UmiAssigner.create(s.strategy(), s.edits(), 0);
    SpillFolder folder = new SpillFolder(tmp);
    long before = TestHeap.live();
    OutOfCoreGroup group = new OutOfCoreGroup(new SpilledGroup(0, file, templates, records, recordBytes, "test",
        reserve), s, classifier, assigner, reserve, folder, "test");
    long slack = 2L << 20; // the pass's file buffers and the group object itself
    assertTrue(group.assign() > 1000);
    long afterAssign = TestHeap.live() - before;
    assertTrue(afterAssign <= reserve + slack, "after assignment: " + (afterAssign >> 10) + " KiB live");
    group.writeRuns();
    long afterRuns = TestHeap.live() - before;
    assertTrue(afterRuns <= reserve + slack, "after the runs: " + (afterRuns >> 10) + " KiB live");
    Path out = group.merge(0, reserve);
    long afterMerge = TestHeap.live() - before;
    assertTrue(afterMerge <= reserve + slack, "after the merge: " + (afterMerge >> 10) + " KiB live");
    assertTrue(Files.size(out) > 1_000_000);
    folder.deleteAll();
  }
}
