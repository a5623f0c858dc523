package io.umiflow.app;

import io.umiflow.app.simulate.SimulationParameters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BamRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end checks of options beyond the compat runs: duplicate marking, libraries and cells, empty input. */
class FeaturesTest {
  @TempDir
  static Path dir;
  static Path input;

  @BeforeAll
  static void simulate() throws IOException {
    input = TestBams.simulate(dir, "in.bam", TestBams.params(11, 60_000)); // 2 libraries, 3 cells
  }

  private static TestBams.Bam group(String name, String... extra) throws IOException {
    Path out = dir.resolve(name);
    List<String> args = new ArrayList<>(List.of("group", "-i", input.toString(), "-o", out.toString(), "-q"));
    args.addAll(List.of(extra));
    CliTest.Run r = CliTest.run(args.toArray(String[]::new));
    assertEquals(0, r.code(), r.err());
    return TestBams.read(out);
  }

  /**
   * The duplicate score from htsjdk, not from our codec: MAPQ plus htsjdk's SUM_OF_BASE_QUALITIES score
   * (qualities of at least 15, capped), as fgbio computes it.
   */
  private static long htsjdkScore(htsjdk.samtools.SAMRecord r) {
    return r.getMappingQuality() + htsjdk.samtools.DuplicateScoringStrategy.computeDuplicateScore(r,
        htsjdk.samtools.DuplicateScoringStrategy.ScoringStrategy.SUM_OF_BASE_QUALITIES);
  }

  @Test
  void markDuplicates_oneUnmarkedTemplatePerFamily_theBestScoring() throws IOException {
    group("dups.bam", "-s", "adjacency", "-d");
    Map<String, Long> scoreOf = new HashMap<>();
    Map<String, Boolean> duplicateOf = new HashMap<>();
    Map<String, java.util.TreeSet<String>> families = new HashMap<>();
    try (htsjdk.samtools.SamReader reader = htsjdk.samtools.SamReaderFactory.makeDefault()
        .open(dir.resolve("dups.bam"))) {
      for (htsjdk.samtools.SAMRecord r : reader) {
        String name = r.getReadName();
        scoreOf.merge(name, htsjdkScore(r), Long::sum);
        duplicateOf.merge(name, r.getDuplicateReadFlag(), (a, b) -> a | b);
        families.computeIfAbsent(r.getStringAttribute("MI"), k -> new java.util.TreeSet<>()).add(name);
      }
    }
    int withDuplicates = 0;
    for (Map.Entry<String, java.util.TreeSet<String>> f : families.entrySet()) {
      String best = null;
      long bestScore = -1;
      List<String> unmarked = new ArrayList<>();
      for (String name : f.getValue()) { // name order: ties go to the smallest name
        if (scoreOf.get(name) > bestScore) {
          bestScore = scoreOf.get(name);
          best = name;
        }
        if (!duplicateOf.get(name)) {
          unmarked.add(name);
        }
      }
      assertEquals(List.of(best), unmarked, "family " + f.getKey() + ": the one unmarked template is the best");
      withDuplicates += f.getValue().size() > 1 ? 1 : 0;
    }
    assertTrue(withDuplicates > 1000, "families with duplicates: " + withDuplicates);
  }

  @Test
  void librariesAndCells_neverShareAMolecule() throws IOException {
    // give each template one of two cell barcodes at random, so every molecule is split across two cells:
    // without the partition by cell, templates of both cells would share ids
    TestBams.Bam in = TestBams.read(input);
    List<byte[]> recs = new ArrayList<>();
    for (byte[] r : in.records()) {
      byte[] cell = ((BamRecord.readName(r, 0).hashCode() & 1) == 0 ? "AAAACCCC-1" : "GGGGTTTT-1").getBytes();
      byte[] copy = new byte[r.length + 32];
      int n = io.umiflow.codec.TagEditor.copyWithStringTag(r, 0, 'C', 'B', cell, cell.length, copy, 0);
      recs.add(java.util.Arrays.copyOf(copy, n));
    }
    Path mixed = TestBams.write(dir.resolve("mixed-cells.bam"), in.header(), recs);
    Path out = dir.resolve("cells.bam");
    CliTest.Run run = CliTest.run("group", "-i", mixed.toString(), "-o", out.toString(), "-q", "-s", "edit");
    assertEquals(0, run.code(), run.err());
    TestBams.Bam bam = TestBams.read(out);
    Map<String, String> libraryOfGroup = new HashMap<>();
    Map<String, String> libraries = new HashMap<>();
    bam.header().samHeader().getReadGroups().forEach(rg -> libraries.put(rg.getId(), rg.getLibrary()));
    Map<String, String> seen = new HashMap<>();
    for (byte[] r : bam.records()) {
      String mi = BamRecord.stringTag(r, 0, 'M', 'I');
      String key = libraries.get(BamRecord.stringTag(r, 0, 'R', 'G')) + "/" + BamRecord.stringTag(r, 0, 'C', 'B');
      String before = seen.putIfAbsent(mi, key);
      assertTrue(before == null || before.equals(key), "molecule " + mi + " spans " + before + " and " + key);
      libraryOfGroup.put(mi, key);
    }
    assertTrue(new java.util.HashSet<>(libraryOfGroup.values()).size() >= 4, "expected 2 libraries x 2 cells");
  }

  @Test
  void outputOrder_insideEachPositionGroup_byMoleculeThenStrandThenName() throws IOException {
    Path duplex = TestBams.simulate(dir, "duplex.bam", new io.umiflow.app.simulate.SimulationParameters(4, 60_000, 2,
        2_000_000, 100, 300, 50, 3.0, 0.9, 0.01, 100, 8, 0.01, 0.002, true, 0.05, 2, 0, 0.01, 0.01, 0.005, 0.005,
        0.005, 0.005, 0.005, 1, 3_000));
    Path out = dir.resolve("duplex.out.bam");
    CliTest.Run r = CliTest.run("group", "-i", duplex.toString(), "-o", out.toString(), "-s", "paired", "-q");
    assertEquals(0, r.code(), r.err());
    List<byte[]> recs = TestBams.read(out).records();
    io.umiflow.codec.PositionKey previousKey = null;
    long previousId = -1;
    String previousStrand = "";
    String previousName = "";
    int checked = 0;
    for (int i = 0; i < recs.size(); ) {
      int j = i;
      while (j < recs.size() && BamRecord.sameName(recs.get(i), 0, recs.get(j), 0)) {
        j++;
      }
      byte[] r1 = null;
      byte[] r2 = null;
      for (int k = i; k < j; k++) {
        byte[] rec = recs.get(k);
        if ((BamRecord.flag(rec, 0) & BamRecord.FLAG_READ2) != 0) r2 = rec; else r1 = rec;
      }
      assertTrue(r1 == null || r2 == null || recs.get(i) == r1, "R1 before R2");
      io.umiflow.codec.PositionKey key = new io.umiflow.codec.PositionKey()
          .set(r1, r1 == null ? -1 : 0, r2, r2 == null ? -1 : 0);
      String mi = BamRecord.stringTag(recs.get(i), 0, 'M', 'I');
      long id = Long.parseLong(mi.substring(0, mi.indexOf('/')));
      String strand = mi.substring(mi.indexOf('/'));
      String name = BamRecord.readName(recs.get(i), 0);
      if (previousKey != null && previousKey.samePosition(key)) {
        int c = Long.compare(previousId, id);
        if (c == 0) c = previousStrand.compareTo(strand);
        if (c == 0) c = previousName.compareTo(name);
        assertTrue(c < 0, "out of order inside a position group: " + previousId + previousStrand + " " + previousName
            + " then " + mi + " " + name);
        checked++;
      }
      previousKey = key;
      previousId = id;
      previousStrand = strand;
      previousName = name;
      i = j;
    }
    assertTrue(checked > 5_000, "too few templates shared a position group: " + checked);
  }

  @Test
  void emptyInput_writesHeaderOnlyOutput() throws IOException {
    TestBams.Bam in = TestBams.read(input);
    Path empty = TestBams.write(dir.resolve("empty.bam"), in.header(), List.of());
    Path out = dir.resolve("empty.out.bam");
    Path metrics = dir.resolve("empty.metrics.txt");
    CliTest.Run r = CliTest.run("group", "-i", empty.toString(), "-o", out.toString(), "-s", "adjacency", "-q",
        "-g", metrics.toString());
    assertEquals(0, r.code(), r.err());
    TestBams.Bam bam = TestBams.read(out);
    assertEquals(0, bam.records().size());
    BamHeader h = bam.header();
    assertTrue(h.text().contains("@PG\tID:umiflow"));
    assertEquals("0\t0\t0\t0\t0", Files.readAllLines(metrics).get(1));
  }

  @Test
  void amplicon_spilledOutOfCore_sameRecordsAndMetricsAsInMemory() throws IOException {
    // two amplicon loci of 6,000 templates each, two libraries, three cells, duplex UMIs marked as duplicates
    SimulationParameters base = TestBams.params(23, 20_000);
    SimulationParameters p = new SimulationParameters(base.seed(), base.records(), base.contigs(), base.contigLength(),
        base.readLength(), base.insertMean(), base.insertSd(), base.familyMean(), base.familySigma(),
        base.largeFamilyRate(), base.largeFamilySize(), base.umiLength(), base.umiErrorRate(), base.nRate(), true,
        base.softClipRate(), base.libraries(), base.cells(), base.mapq0Rate(), base.unmappedMateRate(),
        base.unmappedRate(), base.secondaryRate(), base.supplementaryRate(), base.qcFailRate(), base.chimeraRate(),
        2, 6_000);
    Path amplicon = TestBams.simulate(dir, "amplicon.bam", p);
    Path spill = java.nio.file.Files.createDirectory(dir.resolve("spill"));
    for (String strategy : new String[] {"adjacency", "paired"}) {
      List<String> common = List.of("group", "-i", amplicon.toString(), "-s", strategy, "--mark-duplicates",
          "--threads", "2", "-q");
      Path memory = dir.resolve(strategy + "-memory.bam");
      Path spilled = dir.resolve(strategy + "-spilled.bam");
      List<String> a = new ArrayList<>(common);
      a.addAll(List.of("-o", memory.toString(), "--grouping-metrics", memory + ".txt"));
      List<String> b = new ArrayList<>(common);
      b.remove("-q"); // the summary says how many groups spilled
      b.addAll(List.of("-o", spilled.toString(), "--grouping-metrics", spilled + ".txt", "--spill-threshold", "256k",
          "--tmp-dir", spill.toString()));
      CliTest.Run r1 = CliTest.run(a.toArray(String[]::new));
      assertEquals(0, r1.code(), r1.err());
      CliTest.Run r2 = CliTest.run(b.toArray(String[]::new));
      assertEquals(0, r2.code(), r2.err());
      assertTrue(r2.err().contains("grouped out of core"), r2.err());
      List<byte[]> x = TestBams.read(memory).records();
      List<byte[]> y = TestBams.read(spilled).records();
      assertEquals(x.size(), y.size());
      for (int i = 0; i < x.size(); i++) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(x.get(i), y.get(i), strategy + ": record " + i);
      }
      assertEquals(java.nio.file.Files.readString(Path.of(memory + ".txt")),
          java.nio.file.Files.readString(Path.of(spilled + ".txt")));
      try (java.util.stream.Stream<Path> left = java.nio.file.Files.list(spill)) {
        assertEquals(0, left.count(), "spill files left behind");
      }
    }
  }
}
