package io.umiflow.app;

import static io.umiflow.app.InputFormatsTest.samtools;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code umiflow sort}: the compat inputs in other orders (coordinate, read name, UMI tag) sort to what
 * {@code samtools sort --template-coordinate} writes, record for record and with its {@code @HD} line, in
 * memory and through many runs alike; grouping the sorted file gives the output grouping the original
 * gives, in all four strategies.
 */
class SortCommandTest {
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

  private static String records(Path bam) throws Exception {
    return samtools("view", bam.toString());
  }

  private static String hd(Path bam) throws Exception {
    return Arrays.stream(samtools("view", "-H", bam.toString()).split("\n")).filter(l -> l.startsWith("@HD"))
        .findFirst().orElse("");
  }

  private static Path sort(Path in, String out, String... extra) {
    Path o = dir.resolve(out);
    List<String> args = new ArrayList<>(List.of("sort", "-i", in.toString(), "-o", o.toString(), "-q"));
    args.addAll(List.of(extra));
    CliTest.Run r = CliTest.run(args.toArray(String[]::new));
    assertEquals(0, r.code(), r.err());
    return o;
  }

  private static Path group(Path in, String out, String strategy) {
    Path o = dir.resolve(out);
    CliTest.Run r = CliTest.run("group", "-i", in.toString(), "-o", o.toString(), "-s", strategy, "--threads", "2", "-q");
    assertEquals(0, r.code(), r.err());
    return o;
  }

  @Test
  void anyOrder_sortsAsSamtoolsDoes_inMemoryAndThroughRuns() throws Exception {
    for (Path bam : List.of(single, paired)) {
      String name = bam.getFileName().toString().replace(".tc.bam", "");
      for (String[] order : new String[][] {{}, {"-n"}, {"-t", "RX"}}) {
        String label = name + (order.length == 0 ? "-coordinate" : order[order.length - 1].replace("-", ""));
        Path in = resorted(bam, label + ".bam", order);
        Path theirs = dir.resolve(label + ".samtools.bam");
        samtools("sort", "--template-coordinate", "-o", theirs.toString(), in.toString());
        Path mine = sort(in, label + ".umiflow.bam");
        assertEquals(records(theirs), records(mine), label);
        assertEquals(hd(theirs), hd(mine), label + " @HD");
        Path runs = sort(in, label + ".runs.bam", "--buffer-bytes", "1000000");
        assertEquals(records(mine), records(runs), label + " through runs");
      }
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertFalse(files.anyMatch(p -> p.getFileName().toString().contains("umiflow-spill")
          || p.getFileName().toString().endsWith(".umiflow-tmp")), "no runs or temporary files left");
    }
  }

  @Test
  void groupAfterSort_equalsGroupOnTheSortedOriginal_inEveryStrategy() throws Exception {
    Path singleByName = sort(resorted(single, "single-n.bam", "-n"), "single-n.sorted.bam");
    for (String strategy : List.of("identity", "edit", "adjacency")) {
      assertEquals(records(group(single, "g-orig-" + strategy + ".bam", strategy)),
          records(group(singleByName, "g-sorted-" + strategy + ".bam", strategy)), strategy);
    }
    Path pairedByCoordinate = sort(resorted(paired, "paired-c.bam"), "paired-c.sorted.bam", "--buffer-bytes", "3000000");
    assertEquals(records(group(paired, "g-orig-paired.bam", "paired")),
        records(group(pairedByCoordinate, "g-sorted-paired.bam", "paired")), "paired");
  }

  @Test
  void truncatedInput_oneLineNamingIt_noOutputAndNothingLeft() throws Exception {
    Path sub = Files.createDirectory(dir.resolve("truncated"));
    byte[] bytes = Files.readAllBytes(single);
    Path cut = sub.resolve("cut.bam");
    Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
    Path out = sub.resolve("out.bam");
    CliTest.Run r = CliTest.run("sort", "-i", cut.toString(), "-o", out.toString(), "--buffer-bytes", "1000000");
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("umiflow sort: " + cut), r.err());
    assertEquals(1, r.err().strip().split("\n").length, r.err());
    try (Stream<Path> files = Files.list(sub)) {
      assertEquals(List.of("cut.bam"), files.map(p -> p.getFileName().toString()).collect(Collectors.toList()),
          "no output, no temporary output, no runs");
    }
  }
}
