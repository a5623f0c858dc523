package io.umiflow.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import io.umiflow.assign.Strategy;
import io.umiflow.codec.BamRecord;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The contract: on the shared compat inputs we form exactly fgbio 4.1's molecules (as partitions, with
 * the /A and /B classes agreeing) and write its metric files text for text.
 */
class CompatTest {
  private static final ActorTestKit KIT = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    KIT.shutdownTestKit();
  }

  @TempDir
  Path tmp;

  static Map<String, String> expected(String file) throws IOException {
    Map<String, String> m = new HashMap<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(
        new GZIPInputStream(Files.newInputStream(JobRunner.shared(file))), StandardCharsets.US_ASCII))) {
      String line;
      while ((line = r.readLine()) != null) {
        int tab = line.indexOf('\t');
        m.put(line.substring(0, tab), line.substring(tab + 1));
      }
    }
    return m;
  }

  @ParameterizedTest(name = "{0} {1} -e {2}, {3} threads")
  @CsvSource({
      "single, identity, 0, 2",
      "single, edit, 1, 2",
      "single, adjacency, 1, 1",
      "single, adjacency, 1, 3",
      "paired, paired, 1, 2"})
  void group_compatInput_sameMoleculesAndMetricsAsFgbio(String input, String strategy, int edits, int threads)
      throws IOException {
    Path out = System.getProperty("keep") != null ? Path.of(System.getProperty("keep")) : tmp.resolve("out.bam");
    Path hist = tmp.resolve("hist.txt");
    Path metrics = tmp.resolve("metrics.txt");
    GroupSettings s = GroupSettings.builder()
        .input(JobRunner.shared(input + ".tc.bam").toString())
        .output(out.toString())
        .strategy(Strategy.parse(strategy))
        .edits(edits)
        .threads(threads)
        .memoryBudget(64L << 20)
        .familySizeHistogram(hist.toString())
        .groupingMetrics(metrics.toString())
        .progressMillis(0)
        .deflateBackend(io.umiflow.codec.DeflateBackend.valueOf(System.getProperty("backend", "GKL")))
        .build();
    GroupJob.Event e = JobRunner.run(KIT, s);
    if (e instanceof GroupJob.Failed f) {
      fail("job failed: " + f.reason());
    }
    assertInstanceOf(GroupJob.Completed.class, e);
    String prefix = input + "." + strategy;
    assertEquals(Files.readString(JobRunner.shared(prefix + ".grouping_metrics.txt")), Files.readString(metrics));
    assertEquals(Files.readString(JobRunner.shared(prefix + ".family_sizes.txt")), Files.readString(hist));

    Map<String, String> want = expected(prefix + ".expected.tsv.gz");
    Map<String, String> got = new HashMap<>();
    List<byte[]> records = JobRunner.records(out);
    for (byte[] r : records) {
      String name = BamRecord.readName(r, 0);
      String mi = BamRecord.stringTag(r, 0, 'M', 'I');
      String previous = got.put(name, mi);
      if (previous != null && !previous.equals(mi)) {
        fail("the records of " + name + " carry different ids: " + previous + " and " + mi);
      }
    }
    assertEquals(want.keySet(), got.keySet(), "kept templates differ");
    Map<String, String> ourToTheirs = new HashMap<>();
    Map<String, String> theirsToOur = new HashMap<>();
    int mismatches = 0;
    TreeMap<String, String> examples = new TreeMap<>();
    for (Map.Entry<String, String> w : want.entrySet()) {
      String theirs = w.getValue();
      String ours = got.get(w.getKey());
      String a = ourToTheirs.putIfAbsent(ours, theirs);
      String b = theirsToOur.putIfAbsent(theirs, ours);
      boolean strandOk = !theirs.contains("/") || theirs.substring(theirs.indexOf('/')).equals(ours.substring(ours.indexOf('/')));
      if ((a != null && !a.equals(theirs)) || (b != null && !b.equals(ours)) || !strandOk) {
        mismatches++;
        if (examples.size() < 5) {
          examples.put(w.getKey(), "ours " + ours + " theirs " + theirs);
        }
      }
    }
    assertEquals(0, mismatches, "templates whose molecule differs from fgbio's, e.g. " + examples);
    assertTrue(records.size() > 90_000);
  }
}
