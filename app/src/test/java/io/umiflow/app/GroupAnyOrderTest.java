package io.umiflow.app;

import static io.umiflow.app.InputFormatsTest.samtools;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.umiflow.codec.BamHeader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code umiflow group} on input in any order: the compat inputs re-sorted by coordinate, by read name and
 * shuffled give the records and metrics the template-coordinate input gives, in all four strategies, whether
 * the sort stays in memory or goes through many runs and merges of merges; {@code --sort never} refuses
 * such input as before, {@code --sort always} sorts sorted input to the same result, a header that claims
 * the order falsely still fails on the first record out of order, and a failed sort leaves nothing behind.
 */
class GroupAnyOrderTest {
  @TempDir
  static Path dir;
  static Path single;
  static Path paired;

  @BeforeAll
  static void inputs() {
    single = TestBams.compat("single.tc.bam");
    paired = TestBams.compat("paired.tc.bam");
  }

  /** {@code bam} re-sorted by samtools: {@code order} "" for coordinate, "-n" for read name, "-t RX" by tag. */
  private static Path resorted(Path bam, String name, String... order) throws Exception {
    return TestBams.resorted(dir, bam, name, order);
  }

  /** {@code bam}'s records in a seeded random order, with a header saying it is unsorted. */
  private static Path shuffled(Path bam, String name) throws Exception {
    TestBams.Bam b = TestBams.read(bam);
    List<byte[]> records = new ArrayList<>(b.records());
    Collections.shuffle(records, new Random(42));
    String text = Arrays.stream(b.header().text().split("\n")).filter(l -> !l.startsWith("@HD"))
        .collect(Collectors.joining("\n", "@HD\tVN:1.6\tSO:unsorted\n", "\n"));
    return TestBams.write(dir.resolve(name), new BamHeader(text, b.header().references()), records);
  }

  /** Runs group on {@code in}, writing {@code out}.bam and its metrics {@code out}.fs.txt and .gm.txt. */
  private static CliTest.Run group(Path in, String out, String strategy, String... extra) {
    List<String> args = new ArrayList<>(List.of("group", "-i", in.toString(), "-o", dir.resolve(out + ".bam").toString(),
        "-s", strategy, "--threads", "2", "-f", dir.resolve(out + ".fs.txt").toString(), "-g",
        dir.resolve(out + ".gm.txt").toString()));
    args.addAll(List.of(extra));
    return CliTest.run(args.toArray(String[]::new));
  }

  private static void assertSameResult(String expected, String actual, String label) throws Exception {
    List<byte[]> e = TestBams.read(dir.resolve(expected + ".bam")).records();
    List<byte[]> a = TestBams.read(dir.resolve(actual + ".bam")).records();
    assertEquals(e.size(), a.size(), label + ": records");
    for (int i = 0; i < e.size(); i++) {
      assertTrue(Arrays.equals(e.get(i), a.get(i)), label + ": record " + (i + 1) + " differs");
    }
    for (String metrics : List.of(".fs.txt", ".gm.txt")) {
      assertEquals(Files.readString(dir.resolve(expected + metrics)), Files.readString(dir.resolve(actual + metrics)),
          label + metrics);
    }
  }

  @Test
  void anyOrder_groupsAsTheSortedInput_inEveryStrategy_inMemoryAndThroughRuns() throws Exception {
    for (Path bam : List.of(single, paired)) {
      String name = bam.getFileName().toString().replace(".tc.bam", "");
      List<String> strategies = name.equals("paired") ? List.of("paired") : List.of("identity", "edit", "adjacency");
      List<Path> inputs = List.of(resorted(bam, name + "-coordinate.bam"), resorted(bam, name + "-name.bam", "-n"),
          shuffled(bam, name + "-shuffled.bam"));
      for (String strategy : strategies) {
        String base = name + "-" + strategy + "-tc";
        CliTest.Run r = group(bam, base, strategy, "-q");
        assertEquals(0, r.code(), r.err());
        for (Path in : inputs) {
          String label = in.getFileName().toString().replace(".bam", "") + "-" + strategy;
          r = group(in, label, strategy);
          assertEquals(0, r.code(), label + ": " + r.err());
          assertTrue(r.err().startsWith("umiflow group: " + in + " (declared SO:"), label + ": says it sorts: " + r.err());
          assertSameResult(base, label, label);
          if (strategy.equals(strategies.get(0))) { // the sort does not depend on the strategy
            // a buffer of 1 MB: about 40 runs, merged a few at a time (merges of merges)
            r = group(in, label + "-runs", strategy, "-q", "--spill-run-bytes", "1000000");
            assertEquals(0, r.code(), label + " through runs: " + r.err());
            assertSameResult(base, label + "-runs", label + " through runs");
          }
        }
      }
    }
    assertNothingLeft(dir);
  }

  @Test
  void sortNever_refusesAsBefore_sortAlways_sortsSortedInputToTheSameResult() throws Exception {
    Path byName = resorted(single, "never-name.bam", "-n");
    CliTest.Run r = group(byName, "never", "adjacency", "--sort", "never");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("not template-coordinate order") && r.err().contains("--sort auto"), r.err());
    assertTrue(Files.notExists(dir.resolve("never.bam")));

    assertEquals(0, group(single, "always-base", "adjacency", "-q").code());
    r = group(single, "always", "adjacency", "--sort", "always", "--spill-run-bytes", "1000000");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("(sorting asked for) is sorted into template-coordinate order first"), r.err());
    assertSameResult("always-base", "always", "--sort always");
  }

  @Test
  void lyingHeader_stillFailsOnTheFirstRecordOutOfOrder() throws Exception {
    TestBams.Bam coordinate = TestBams.read(resorted(single, "lying-src.bam"));
    Path lying = TestBams.write(dir.resolve("lying.bam"), TestBams.read(single).header(), coordinate.records());
    CliTest.Run r = group(lying, "lying-out", "adjacency", "-q");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("is out of template-coordinate order"), r.err());
    assertTrue(Files.notExists(dir.resolve("lying-out.bam")));
  }

  @Test
  void truncatedUnsortedInput_failsNamingIt_leavesNoOutputNorRuns() throws Exception {
    Path sub = Files.createDirectory(dir.resolve("truncated"));
    byte[] bytes = Files.readAllBytes(resorted(single, "cut-src.bam"));
    Path cut = sub.resolve("cut.bam");
    Files.write(cut, Arrays.copyOf(bytes, bytes.length * 2 / 3));
    CliTest.Run r = CliTest.run("group", "-i", cut.toString(), "-o", sub.resolve("out.bam").toString(), "-s",
        "adjacency", "-q", "--spill-run-bytes", "65536");
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("umiflow group: " + cut), r.err());
    assertEquals(1, r.err().strip().split("\n").length, r.err());
    try (Stream<Path> files = Files.list(sub)) {
      assertEquals(List.of("cut.bam"), files.map(p -> p.getFileName().toString()).collect(Collectors.toList()),
          "no output, no temporary output, no runs");
    }
  }

  private static void assertNothingLeft(Path folder) throws Exception {
    try (Stream<Path> files = Files.list(folder)) {
      List<String> left = files.map(p -> p.getFileName().toString())
          .filter(n -> n.contains("umiflow-spill") || n.endsWith(".umiflow-tmp")).collect(Collectors.toList());
      assertEquals(List.of(), left, "no runs or temporary files left");
    }
  }
}
