package io.umiflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.umiflow.codec.BamRecord;
import io.umiflow.codec.PositionKey;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Machine-readable results: the summary JSON, the position group size histogram, the version and completion. */
class ResultsTest {
  @TempDir
  static Path dir;
  static Path input;

  @BeforeAll
  static void simulate() throws IOException {
    input = TestBams.simulate(dir, "in.bam", TestBams.params(23, 40_000));
  }

  @Test
  void summaryJson_andGroupSizes_matchTheOutputAndTheMetrics() throws IOException {
    Path out = dir.resolve("out.bam");
    Path json = dir.resolve("summary.json");
    Path groups = dir.resolve("groups.txt");
    Path metrics = dir.resolve("metrics.txt");
    CliTest.Run r = CliTest.run("group", "-i", input.toString(), "-o", out.toString(), "-s", "adjacency", "-q",
        "--summary-json", json.toString(), "--group-size-histogram", groups.toString(), "-g", metrics.toString());
    assertEquals(0, r.code(), r.err());

    TestBams.Bam in = TestBams.read(input);
    TestBams.Bam bam = TestBams.read(out);
    JsonNode j = new ObjectMapper().readTree(json.toFile());
    assertEquals(SummaryJson.SCHEMA, j.get("schema").asText());
    assertEquals("completed", j.get("status").asText());
    assertEquals(in.records().size(), j.at("/records/read").asLong());
    assertEquals(bam.records().size(), j.at("/records/written").asLong());
    Set<String> molecules = new HashSet<>();
    for (byte[] rec : bam.records()) {
      molecules.add(BamRecord.stringTag(rec, 0, 'M', 'I'));
    }
    assertEquals(molecules.size(), j.get("molecules").asLong());
    // the filter counts are the grouping metrics' (fgbio's file, checked against fgbio by the compat tests)
    String[] row = Files.readAllLines(metrics).get(1).split("\t");
    assertEquals(Long.parseLong(row[0]), j.at("/records/accepted").asLong());
    assertEquals(Long.parseLong(row[1]), j.at("/filtered_records/non_pf").asLong());
    assertEquals(Long.parseLong(row[2]), j.at("/filtered_records/poor_alignment").asLong());
    assertEquals(Long.parseLong(row[3]), j.at("/filtered_records/ns_in_umi").asLong());
    assertEquals("adjacency", j.at("/settings/strategy").asText());
    assertTrue(j.at("/memory/peak_rss_bytes").asLong() > 0);
    assertTrue(j.at("/memory/budget_peak_bytes").asLong() <= j.at("/memory/budget_bytes").asLong());
    assertTrue(j.get("wall_seconds").asDouble() > 0);
    assertFalse(j.get("commit").asText().isEmpty());

    // position groups of the output (kept templates by their position key), counted independently
    Map<Integer, Long> expected = new TreeMap<>();
    PositionKey previous = null;
    int size = 0;
    int groupCount = 0;
    List<byte[]> recs = bam.records();
    for (int i = 0; i < recs.size(); ) {
      int j2 = i;
      byte[] r1 = null;
      byte[] r2 = null;
      while (j2 < recs.size() && BamRecord.sameName(recs.get(i), 0, recs.get(j2), 0)) {
        if ((BamRecord.flag(recs.get(j2), 0) & BamRecord.FLAG_READ2) != 0) {
          r2 = recs.get(j2);
        } else {
          r1 = recs.get(j2);
        }
        j2++;
      }
      PositionKey key = new PositionKey().set(r1 == null ? r2 : r1, r1 == null ? -1 : 0, r2 == null ? r1 : r2,
          r2 == null ? -1 : 0);
      if (previous != null && previous.compareTo(key) != 0) {
        expected.merge(size, 1L, Long::sum);
        groupCount++;
        size = 0;
      }
      size++;
      previous = key;
      i = j2;
    }
    expected.merge(size, 1L, Long::sum);
    groupCount++;
    List<String> lines = Files.readAllLines(groups);
    assertEquals("position_group_size\tcount\tfraction\tfraction_gt_or_eq_position_group_size", lines.get(0));
    Map<Integer, Long> actual = new TreeMap<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split("\t");
      actual.put(Integer.parseInt(f[0]), Long.parseLong(f[1]));
    }
    assertEquals(expected, actual);
    assertEquals("1", lines.get(1).split("\t")[3], "every group has at least the smallest size");
    assertTrue(groupCount > 1000, "groups: " + groupCount);
  }

  @Test
  void summaryJson_inAMissingFolder_refusedBeforeTheRun() throws IOException {
    Path out = dir.resolve("never.bam");
    CliTest.Run r = CliTest.run("group", "-i", input.toString(), "-o", out.toString(), "-s", "identity",
        "--summary-json", dir.resolve("no/such/folder/s.json").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--summary-json") && r.err().contains("does not exist"), r.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void version_namesTheCommitAndTheDeflaters() {
    String v = stdout("--version");
    assertTrue(v.startsWith("umiflow " + io.umiflow.actors.Version.VERSION + " (commit "), v);
    assertTrue(v.contains("Java ") && v.contains("deflate: ") && v.contains("jdk"), v);
  }

  @Test
  void completion_coversEveryCommandAndOption() {
    String script = stdout("completion", "bash");
    assertTrue(script.contains("complete -F _complete_umiflow") || script.contains("_complete_umiflow umiflow"),
        script.substring(0, 200));
    for (String word : List.of("group", "simulate", "cohort", "--summary-json", "--group-size-histogram",
        "--mark-duplicates", "--reference", "--progress", "--tls-ca", "--allow-path")) {
      assertTrue(script.contains(word), word);
    }
    assertEquals(script, stdout("completion"), "bash is the default");
    assertEquals(script, stdout("completion", "zsh"), "zsh runs the bash script through bashcompinit");
    assertEquals(2, CliTest.run("completion", "fish").code());
  }

  private static synchronized String stdout(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, Main.run(args));
      return buf.toString(StandardCharsets.UTF_8);
    } finally {
      System.setOut(old);
    }
  }
}
