package io.umiflow.actors.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.JobRunner;
import io.umiflow.actors.TestBatches;
import io.umiflow.actors.batch.Batch;
import io.umiflow.actors.memory.MemoryLedger;
import io.umiflow.actors.memory.MemoryPlan;
import io.umiflow.actors.outofcore.SpillFileReader;
import io.umiflow.actors.outofcore.SpillFolder;
import io.umiflow.actors.outofcore.SpilledGroup;
import io.umiflow.assign.Strategy;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BamRecord;
import io.umiflow.codec.InputFormatException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The open batch without actors, against a plain reference: the compat records fed in random slices must
 * come out as the same position groups, in order, each whole in one batch (or one spilled group), with every
 * credit the steps asked for given back at the end.
 */
class OpenBatchTest {
  @TempDir
  Path tmp;

  /** One position group as read names of its templates, with the bytes of their primary records. */
  private record Group(List<String> templates, List<byte[]> records) {}

  /** The reference: templates with primary records, in runs of one position key. */
  private static List<Group> expectedGroups(List<byte[]> records) {
    List<Group> out = new ArrayList<>();
    TestBatches.Template previous = null;
    Group current = null;
    for (TestBatches.Template t : TestBatches.templates(records)) {
      if (t.key() == null) {
        continue; // secondary or supplementary records only: not a template
      }
      if (previous == null || previous.key().compareTo(t.key()) != 0) {
        current = new Group(new ArrayList<>(), new ArrayList<>());
        out.add(current);
      }
      current.templates().add(JobRunner.name(t.r1() != null ? t.r1() : t.r2()));
      if (t.r1() != null) {
        current.records().add(t.r1());
      }
      if (t.r2() != null) {
        current.records().add(t.r2());
      }
      previous = t;
    }
    return out;
  }

  /** Output of a run: the groups of the batches and spilled groups in sequence order. */
  private record Run(List<Group> groups, int batches, int spilled, long heldAtEnd) {}

  /** Feeds {@code records} in random slices through an open batch, driving it as the grouper does. */
  private Run run(String compat, List<byte[]> records, long spillThreshold, long seed) throws IOException {
    GroupSettings settings = GroupSettings.builder().input("test.bam").output("-").strategy(Strategy.ADJACENCY)
        .threads(2).memoryBudget(256L << 20).spillThreshold(spillThreshold).build();
    BamHeader header = BamHeader.of(htsjdk.samtools.SamReaderFactory.makeDefault()
        .getFileHeader(JobRunner.shared(compat)));
    MemoryPlan plan = MemoryPlan.of(settings.memoryBudget(), settings.threads(), settings.memoryTuning());
    MemoryLedger ledger = new MemoryLedger(plan.budget());
    MemoryLedger.Account flow = ledger.openFlow("flow", plan.flowCapacity(), plan.headReserve());
    OpenBatch open = new OpenBatch(settings, header, plan, flow, new PipelineStats(), new SpillFolder(tmp), false);
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] r : records) {
      all.writeBytes(r);
    }
    byte[] input = all.toByteArray();
    Random rnd = new Random(seed);
    Collected out = new Collected(flow);
    byte[] chunk = null;
    int off = 0;
    int at = 0;
    boolean ended = false;
    while (true) { // one step per turn, in the grouper's order
      SpilledGroup s = open.takeEndedSpill();
      if (s != null) {
        out.add(s, settings);
      } else if (open.untransferred() > 0) {
        assertTrue(flow.tryAcquire(open.seq(), open.untransferred()));
        open.transferred();
      } else if (open.cutWanted()) {
        hold(open, flow, open.cutNeed());
        out.add(open.cut());
      } else if (ended) {
        hold(open, flow, open.lastBatchNeed());
        out.add(open.lastBatch());
        // idle pooled arrays keep their credit until a request reclaims them: ask for the whole account
        long held = flow.tryAcquire(open.seq(), flow.capacity()) ? 0 : flow.held();
        return new Run(out.groups, out.batches, out.spilled, held);
      } else if (chunk == null || off == chunk.length) {
        if (at == input.length) {
          open.finishInput();
          ended = true;
        } else { // a chunk of random size
          int chunkLen = Math.min(input.length - at, 1 + rnd.nextInt(1 << 20));
          chunk = Arrays.copyOfRange(input, at, at + chunkLen);
          at += chunkLen;
          off = 0;
        }
      } else { // its next slice
        int len = Math.min(plan.sliceBytes(), chunk.length - off);
        int carry = open.carryBound(chunk, off, len);
        int maxRecords = open.sliceRecords(plan.sliceRecords());
        if (open.projectedNeed(len, maxRecords, carry) > plan.itemLimit() && open.makeRoom(carry)) {
          continue; // a cut or a spill first
        }
        hold(open, flow, open.growNeed(len, maxRecords, carry));
        open.grow(len, maxRecords);
        off += open.feed(chunk, off, len, maxRecords);
      }
    }
  }

  /** What the open batch sent, in sequence order, with the credits the processor and writer would give back. */
  private static final class Collected {
    final List<Group> groups = new ArrayList<>();
    final MemoryLedger.Account flow;
    int batches;
    int spilled;

    Collected(MemoryLedger.Account flow) {
      this.flow = flow;
    }

    void add(Batch b) {
      if (b != null) {
        groups.addAll(batchGroups(b));
        batches++;
        long handed = b.recycleData(); // its contents are copied out
        flow.release(b.credit() - handed);
        flow.advanceHead(b.seq() + 1);
      }
    }

    void add(SpilledGroup s, GroupSettings settings) throws IOException {
      groups.add(spilledGroup(s, settings));
      spilled++;
      flow.advanceHead(s.seq() + 1);
    }
  }

  private static void hold(OpenBatch open, MemoryLedger.Account flow, long need) {
    long more = need - open.held();
    if (more > 0) {
      open.credited(more);
      assertTrue(flow.tryAcquire(open.seq(), more), "the head is always granted: " + more + " at " + open.seq());
    }
  }

  private static List<Group> batchGroups(Batch b) {
    List<Group> out = new ArrayList<>();
    for (int g = 0; g < b.groups(); g++) {
      Group group = new Group(new ArrayList<>(), new ArrayList<>());
      for (int t = b.groupStart()[g]; t < b.groupStart()[g + 1]; t++) {
        int first = b.r1()[t] >= 0 ? b.r1()[t] : b.r2()[t];
        group.templates().add(BamRecord.readName(b.data(), first));
        for (int rec : new int[] {b.r1()[t], b.r2()[t]}) {
          if (rec >= 0) {
            group.records().add(Arrays.copyOfRange(b.data(), rec, rec + BamRecord.totalSize(b.data(), rec)));
          }
        }
      }
      out.add(group);
    }
    return out;
  }

  /** A spilled group's templates, read back from its file. */
  private static Group spilledGroup(SpilledGroup s, GroupSettings settings) throws IOException {
    Group group = new Group(new ArrayList<>(), new ArrayList<>());
    for (List<byte[]> template : SpillFileReader.templates(s.file(), settings.deflateBackend())) {
      group.templates().add(JobRunner.name(template.get(0)));
      group.records().addAll(template);
    }
    assertEquals(s.templates(), group.templates().size(), "spilled templates");
    return group;
  }

  private static void assertSameGroups(List<Group> expected, List<Group> actual) {
    assertEquals(expected.size(), actual.size(), "position groups");
    for (int g = 0; g < expected.size(); g++) {
      assertEquals(expected.get(g).templates(), actual.get(g).templates(), "group " + g);
      List<byte[]> e = expected.get(g).records();
      List<byte[]> a = actual.get(g).records();
      assertEquals(e.size(), a.size(), "records of group " + g);
      for (int r = 0; r < e.size(); r++) {
        assertArrayEquals(e.get(r), a.get(r), "group " + g + " record " + r);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"single.tc.bam", "paired.tc.bam"})
  void randomSlices_sameGroupsAsTheReference_wholeInBatches_creditsBack(String compat) throws IOException {
    List<byte[]> records = JobRunner.records(JobRunner.shared(compat));
    List<Group> expected = expectedGroups(records);
    for (long seed = 1; seed <= 3; seed++) {
      Run run = run(compat, records, 0, seed);
      assertSameGroups(expected, run.groups());
      assertTrue(run.batches() > 1, "the input should make several batches: " + run.batches());
      assertEquals(0, run.spilled());
      assertEquals(0, run.heldAtEnd(), "every credit given back (pooled arrays aside)");
    }
  }

  @Test
  void spillThreshold_largeGroupsGoToDisk_inTheirPlace() throws IOException {
    List<byte[]> records = JobRunner.records(JobRunner.shared("paired.tc.bam"));
    List<Group> expected = expectedGroups(records);
    Run run = run("paired.tc.bam", records, 20_000, 7);
    assertSameGroups(expected, run.groups());
    assertTrue(run.spilled() > 0, "groups over 20 kB should have spilled");
  }

  @Test
  void groupsOutOfOrder_failNamingTheRecordAndBothLoci() throws IOException {
    List<byte[]> records = new ArrayList<>(JobRunner.records(JobRunner.shared("single.tc.bam")));
    List<TestBatches.Template> templates = TestBatches.templates(records);
    // move the last template with primaries to the front: its key is after the others'
    TestBatches.Template last = null;
    for (TestBatches.Template t : templates) {
      if (t.key() != null) {
        last = t;
      }
    }
    List<byte[]> moved = new ArrayList<>(last.records());
    records.removeAll(last.records());
    records.addAll(0, moved);
    InputFormatException e = assertThrows(InputFormatException.class, () -> run("single.tc.bam", records, 0, 1));
    assertTrue(e.getMessage().startsWith("test.bam: record " + (moved.size() + 1) + " "), e.getMessage());
    assertTrue(e.getMessage().contains("out of template-coordinate order") && e.getMessage().contains(" comes after ")
        && e.getMessage().contains("samtools sort --template-coordinate"), e.getMessage());
  }

  @Test
  void secondPrimaryR1_failsNamingTheRead() throws IOException {
    List<byte[]> records = new ArrayList<>(JobRunner.records(JobRunner.shared("single.tc.bam")));
    int i = 0;
    while ((BamRecord.flag(records.get(i), 0) & (BamRecord.FLAG_SECONDARY | BamRecord.FLAG_SUPPLEMENTARY)) != 0) {
      i++;
    }
    records.add(i + 1, records.get(i));
    InputFormatException e = assertThrows(InputFormatException.class, () -> run("single.tc.bam", records, 0, 1));
    assertTrue(e.getMessage().contains("record " + (i + 2) + " is a second primary R1 for read "
        + JobRunner.name(records.get(i))), e.getMessage());
  }
}
