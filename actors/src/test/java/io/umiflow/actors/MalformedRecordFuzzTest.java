package io.umiflow.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import io.umiflow.assign.Strategy;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BamRecord;
import io.umiflow.codec.BgzfInputStream;
import io.umiflow.codec.BgzfOutputStream;
import io.umiflow.codec.DeflateBackend;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Corrupt records inside valid BGZF: random bytes of the compat input's records are changed, the lengths,
 * CIGAR counts, tag types, string terminators and array counts most of all, thousands of times. Every run
 * must end in a complete output that reads back, or one line naming the file and the record with no output
 * under the final name: never a hang, an exception's trace or an out-of-memory error. Bounded to about 40 s;
 * {@code -Dfuzz.seconds=N} runs longer, {@code -Dfuzz.seed=S} repeats a run.
 */
class MalformedRecordFuzzTest {
  private static final ActorTestKit KIT = ActorTestKit.create();
  private static BamHeader header;
  private static List<byte[]> records;

  @TempDir
  static Path dir;

  @BeforeAll
  static void load() throws IOException {
    Path compat = JobRunner.shared("single.tc.bam");
    try (BgzfInputStream in = new BgzfInputStream(new BufferedInputStream(Files.newInputStream(compat)), "compat")) {
      header = BamHeader.read(in, "compat");
    }
    List<byte[]> all = JobRunner.records(compat);
    // the first 300 records, cut at a template's end
    int n = 300;
    while (n < all.size() && JobRunner.name(all.get(n)).equals(JobRunner.name(all.get(n - 1)))) {
      n++;
    }
    records = all.subList(0, n);
  }

  @AfterAll
  static void stop() {
    KIT.shutdownTestKit();
  }

  @Test
  void corruptRecords_endInAnOutputOrOneLine() throws Exception {
    long seed = Long.getLong("fuzz.seed", System.nanoTime());
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.getLong("fuzz.seconds", 40));
    SplittableRandom rnd = new SplittableRandom(seed);
    int runs = 0;
    int failed = 0;
    while (System.nanoTime() < until) {
      runs++;
      List<byte[]> damaged = new ArrayList<>(records);
      int victim = rnd.nextInt(damaged.size());
      byte[] r = damaged.get(victim).clone();
      String what = mutate(r, rnd);
      damaged.set(victim, r);
      Path in = dir.resolve("in-" + runs + ".bam");
      write(in, damaged);
      Path out = dir.resolve("out-" + runs + ".bam");
      String context = "seed " + seed + ", run " + runs + ", record " + (victim + 1) + ": " + what;
      Path metrics = dir.resolve("f-" + runs + ".txt");
      GroupJob.Event e = run(in, out, metrics, context);
      if (e instanceof GroupJob.Failed f) {
        failed++;
        String reason = f.reason();
        assertFalse(reason.isBlank() || reason.contains("\n"), context + ": not one line: " + reason);
        assertTrue(reason.startsWith(in.toString()), context + ": does not name the file: " + reason);
        assertFalse(reason.matches(".*\\b(Exception|Error)\\b.*") || reason.contains("Exception:"),
            context + ": an internal error, not a reason: " + reason);
        assertFalse(Files.exists(out) || Files.exists(metrics), context + ": output under the final name after "
            + reason);
      } else {
        assertTrue(Files.exists(out), context);
        JobRunner.records(out); // reads back: valid BGZF and records
      }
      assertNoTemporaries(context);
      Files.delete(in);
      Files.deleteIfExists(out);
      Files.deleteIfExists(metrics);
    }
    System.out.printf("fuzz: %d runs, %d ended in one line, %d in an output; seed %d%n", runs, failed, runs - failed,
        seed);
    assertTrue(runs >= 200, "only " + runs + " runs");
    assertTrue(failed > runs / 4, failed + " of " + runs + " failed: the mutations are too gentle to test anything");
  }

  /** Changes {@code r} in one of the ways real damage does; says how. */
  private static String mutate(byte[] r, SplittableRandom rnd) {
    int tags = BamRecord.tagsOffset(r, 0);
    switch (rnd.nextInt(9)) {
      case 0 -> {
        int at = rnd.nextInt(r.length);
        r[at] = (byte) rnd.nextInt(256);
        return "byte " + at;
      }
      case 1 -> {
        BamRecord.putI32(r, 0, BamRecord.i32(r, 0) + rnd.nextInt(-8, 9));
        return "block_size";
      }
      case 2 -> {
        r[4 + 8] = (byte) rnd.nextInt(256);
        return "l_read_name";
      }
      case 3 -> {
        r[4 + 12] = (byte) rnd.nextInt(256);
        r[4 + 13] = (byte) rnd.nextInt(4);
        return "n_cigar_op";
      }
      case 4 -> {
        BamRecord.putI32(r, 4 + 16, BamRecord.i32(r, 4 + 16) + rnd.nextInt(-3, 4));
        return "l_seq";
      }
      case 5 -> {
        int at = tagAt(r, tags, rnd);
        if (at < 0) {
          return "nothing (no tags)";
        }
        r[at + 2] = (byte) "AcCsSiIfZHBxq\0".charAt(rnd.nextInt(14));
        return "the type of the tag at " + at;
      }
      case 6 -> {
        int nul = -1;
        for (int i = tags; i < r.length; i++) {
          if (r[i] == 0 && rnd.nextInt(3) == 0) {
            nul = i;
          }
        }
        if (nul < 0) {
          return "nothing (no NUL)";
        }
        r[nul] = 'A';
        return "a string's NUL at " + nul;
      }
      case 7 -> {
        int at = tagAt(r, tags, rnd);
        if (at < 0) {
          return "nothing (no tags)";
        }
        r[at] = (byte) rnd.nextInt(256);
        r[at + 1] = (byte) rnd.nextInt(256);
        return "the name of the tag at " + at;
      }
      default -> {
        int cigar = BamRecord.cigarOffset(r, 0);
        if (BamRecord.cigarCount(r, 0) == 0) {
          return "nothing (no CIGAR)";
        }
        r[cigar] = (byte) rnd.nextInt(256);
        return "the first CIGAR operation";
      }
    }
  }

  /** The offset of a random tag of the record, or -1. */
  private static int tagAt(byte[] r, int tags, SplittableRandom rnd) {
    List<Integer> starts = new ArrayList<>();
    for (int p = tags; p + 3 <= r.length; ) {
      starts.add(p);
      p = BamRecord.skipTagValue(r, p + 2, r.length);
      if (p < 0) {
        break;
      }
    }
    return starts.isEmpty() ? -1 : starts.get(rnd.nextInt(starts.size()));
  }

  private static void write(Path bam, List<byte[]> rs) throws IOException {
    try (OutputStream o = new BgzfOutputStream(Files.newOutputStream(bam), 1, DeflateBackend.JDK)) {
      o.write(header.encode());
      for (byte[] r : rs) {
        o.write(r);
      }
    }
  }

  private static GroupJob.Event run(Path in, Path out, Path metrics, String context) {
    GroupSettings s = GroupSettings.builder()
        .input(in.toString())
        .output(out.toString())
        .strategy(Strategy.parse("adjacency"))
        .threads(2)
        .memoryBudget(64L << 20)
        .familySizeHistogram(metrics.toString())
        .progressMillis(0)
        .deflateBackend(DeflateBackend.JDK)
        .build();
    TestProbe<GroupJob.Event> probe = KIT.createTestProbe();
    ActorRef<GroupJob.Command> job = KIT.spawn(GroupJob.create());
    job.tell(new GroupJob.Start(s, probe.getRef()));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      GroupJob.Event e = probe.receiveMessage(Duration.ofSeconds(30));
      if (e instanceof GroupJob.Completed || e instanceof GroupJob.Failed) {
        probe.expectTerminated(job, Duration.ofSeconds(10));
        return e;
      }
    }
    fail(context + ": no end after 30 s");
    return null;
  }

  private static void assertNoTemporaries(String context) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> left = files.filter(p -> p.getFileName().toString().endsWith(".umiflow-tmp")).toList();
      assertEquals(List.of(), left, context + ": temporary files left");
    }
  }
}
