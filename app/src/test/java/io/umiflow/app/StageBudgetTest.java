package io.umiflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import io.umiflow.actors.GroupJob;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.GroupStage;
import io.umiflow.actors.GroupedBatch;
import io.umiflow.app.simulate.SimulationParameters;
import io.umiflow.assign.Strategy;
import io.umiflow.codec.BamHeader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stream stage at the smallest budget the builder accepts, fed exactly what it grants (1 MiB pushes):
 * it completes on simulated data with amplicon hotspots, a position group of several MiB of records
 * included (grouped out of core, delivered as one message), with the records the file job writes.
 */
class StageBudgetTest {
  private static final ActorTestKit KIT = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    KIT.shutdownTestKit();
  }

  @TempDir
  Path dir;

  /** What the test's consumer saw: every record, the largest group's templates, and the end. */
  private record Outcome(List<byte[]> records, int largestGroup, String failure) {}

  /** Pushes {@code input} exactly as granted: every grant in full, ending mid-record where it falls. */
  private static Behavior<GroupStage.ProducerEvent> producer(byte[] input, ActorRef<GroupStage.Command> stage) {
    int[] sent = {0};
    return Behaviors.receive(GroupStage.ProducerEvent.class)
        .onMessage(GroupStage.Grant.class, g -> {
          int n = (int) Math.min(g.bytes(), input.length - sent[0]);
          if (n > 0) {
            stage.tell(new GroupStage.Push(Arrays.copyOfRange(input, sent[0], sent[0] + n), n));
            sent[0] += n;
          }
          if (sent[0] == input.length) {
            stage.tell(GroupStage.EndOfInput.INSTANCE);
            sent[0]++; // once
          }
          return Behaviors.same();
        })
        .onMessage(GroupStage.Stopped.class, s -> Behaviors.stopped())
        .build();
  }

  private static Behavior<GroupStage.ConsumerEvent> consumer(ActorRef<GroupStage.Command> stage,
                                                             ActorRef<Outcome> done) {
    return Behaviors.setup(ctx -> {
      List<byte[]> records = new ArrayList<>();
      int[] largest = {0};
      stage.tell(new GroupStage.Request(1L << 20));
      return Behaviors.receive(GroupStage.ConsumerEvent.class)
          .onMessage(GroupStage.Molecules.class, m -> {
            GroupedBatch b = m.batch();
            for (int r = 0; r < b.recordCount(); r++) {
              records.add(Arrays.copyOfRange(b.records(), b.recordStart()[r], b.recordStart()[r + 1]));
            }
            for (int g = 0; g < b.groupCount(); g++) {
              largest[0] = Math.max(largest[0], b.groupStart()[g + 1] - b.groupStart()[g]);
            }
            stage.tell(new GroupStage.Request(b.bytes()));
            return Behaviors.same();
          })
          .onMessage(GroupStage.Completed.class, c -> {
            done.tell(new Outcome(records, largest[0], null));
            return Behaviors.stopped();
          })
          .onMessage(GroupStage.Failed.class, f -> {
            done.tell(new Outcome(records, largest[0], f.reason()));
            return Behaviors.stopped();
          })
          .build();
    });
  }

  private Outcome runStage(Path bam, GroupSettings settings) throws IOException {
    TestBams.Bam in = TestBams.read(bam);
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    for (byte[] r : in.records()) {
      raw.writeBytes(r);
    }
    TestProbe<Outcome> done = KIT.createTestProbe();
    ActorRef<GroupStage.Command> stage = KIT.spawn(GroupStage.create());
    ActorRef<GroupStage.ProducerEvent> producer = KIT.spawn(producer(raw.toByteArray(), stage));
    ActorRef<GroupStage.ConsumerEvent> consumer = KIT.spawn(consumer(stage, done.getRef()));
    stage.tell(new GroupStage.Start(settings, in.header(), producer, consumer));
    Outcome o = done.receiveMessage(Duration.ofMinutes(3));
    done.expectTerminated(stage, Duration.ofSeconds(30));
    return o;
  }

  private List<byte[]> fileJob(Path bam, GroupSettings settings) throws IOException {
    Path out = dir.resolve("file-" + bam.getFileName());
    TestProbe<GroupJob.Event> probe = KIT.createTestProbe();
    ActorRef<GroupJob.Command> job = KIT.spawn(GroupJob.create());
    job.tell(new GroupJob.Start(settings.toBuilder().input(bam.toString()).output(out.toString()).build(),
        probe.getRef()));
    GroupJob.Event e;
    do {
      e = probe.receiveMessage(Duration.ofMinutes(3));
    } while (!(e instanceof GroupJob.Completed || e instanceof GroupJob.Failed));
    assertInstanceOf(GroupJob.Completed.class, e, e.toString());
    return TestBams.read(out).records();
  }

  private GroupSettings smallest() {
    return GroupSettings.builder().input("-").output("-").strategy(Strategy.ADJACENCY).threads(2)
        .memoryBudget(GroupSettings.MIN_BUDGET).tmpDir(dir.toString()).commandLine("test").progressMillis(0).build();
  }

  private void assertSameRecords(List<byte[]> expected, List<byte[]> actual) {
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      assertTrue(Arrays.equals(expected.get(i), actual.get(i)), "record " + i);
    }
  }

  @Test
  void smallestBudget_fullGrantPushes_hotspotInput_completesWithTheFileJobsRecords() throws IOException {
    SimulationParameters base = TestBams.params(31, 300_000);
    // two hotspots of 3,000 and 12,000 templates (about 2 and 8 MiB of records) among ordinary groups
    SimulationParameters p = new SimulationParameters(base.seed(), base.records(), base.contigs(),
        base.contigLength(), base.readLength(), base.insertMean(), base.insertSd(), base.familyMean(),
        base.familySigma(), base.largeFamilyRate(), base.largeFamilySize(), 12, 0.02, base.nRate(), false,
        base.softClipRate(), 1, 0, base.mapq0Rate(), base.unmappedMateRate(), base.unmappedRate(),
        base.secondaryRate(), base.supplementaryRate(), base.qcFailRate(), base.chimeraRate(), 2,
        new long[] {3_000, 12_000});
    Path bam = TestBams.simulate(dir, "hotspots.bam", p);
    Outcome o = runStage(bam, smallest());
    assertNull(o.failure(), o.failure());
    assertSameRecords(fileJob(bam, smallest()), o.records());
    assertTrue(o.largestGroup() >= 11_000, "the hotspot is one group: " + o.largestGroup());
    try (var left = Files.list(dir)) {
      assertTrue(left.noneMatch(f -> f.getFileName().toString().startsWith(".umiflow-spill-")), "spill folder left");
    }
  }
}
