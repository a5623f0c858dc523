package io.umiflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SAM and CRAM input: made from the compat BAMs with samtools (CRAM against a FASTA the test writes), they
 * give the output the BAM gives. SAM keeps everything, tag order included, so its output is identical
 * record for record; CRAM does not keep where RG stood among the tags (samtools itself moves it to the end),
 * so there the records must be identical with their tags compared as sets.
 */
class InputFormatsTest {
  @TempDir
  static Path dir;
  static Path single;
  static Path paired;
  static Path reference;

  @BeforeAll
  static void convert() throws Exception {
    single = compat("single.tc.bam");
    paired = compat("paired.tc.bam");
    reference = writeFasta(dir.resolve("ref.fa"), 11, -1);
    samtools("faidx", reference.toString());
    for (Path bam : List.of(single, paired)) {
      String name = bam.getFileName().toString().replace(".tc.bam", "");
      samtools("view", "-h", "-o", dir.resolve(name + ".sam").toString(), bam.toString());
      samtools("view", "-C", "-T", reference.toString(), "-o", dir.resolve(name + ".cram").toString(), bam.toString());
    }
  }

  private static Path compat(String name) {
    return Paths.get(System.getProperty("umiflow.shared", "../../shared"), "compat", name).toAbsolutePath().normalize();
  }

  /** The compat inputs' contigs with random bases; one base changed at {@code mutateAt} of chr1 (1-based) when >= 1. */
  private static Path writeFasta(Path fa, long seed, int mutateAt) throws IOException {
    SplittableRandom rnd = new SplittableRandom(seed);
    String[] names = {"chr1", "chr2", "chr3"};
    int[] lengths = {5_000_000, 3_000_000, 2_000_000};
    char[] line = new char[60];
    try (BufferedWriter w = Files.newBufferedWriter(fa, StandardCharsets.US_ASCII)) {
      for (int c = 0; c < names.length; c++) {
        w.write(">" + names[c] + "\n");
        for (int at = 0; at < lengths[c]; at += line.length) {
          int n = Math.min(line.length, lengths[c] - at);
          for (int i = 0; i < n; i++) {
            line[i] = "ACGT".charAt(rnd.nextInt(4));
            if (c == 0 && at + i + 1 == mutateAt) {
              line[i] = line[i] == 'A' ? 'C' : 'A';
            }
          }
          w.write(line, 0, n);
          w.write('\n');
        }
      }
    }
    return fa;
  }

  static String samtools(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("samtools"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertTrue(p.waitFor(300, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), "samtools " + String.join(" ", args) + ": " + out);
    return out;
  }

  /** The output's records as samtools prints them, tags sorted when {@code tagsAsSets}. */
  private static List<String> records(Path bam, boolean tagsAsSets) throws Exception {
    List<String> out = new ArrayList<>();
    for (String line : samtools("view", bam.toString()).split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      String[] f = line.split("\t");
      if (tagsAsSets && f.length > 11) {
        Arrays.sort(f, 11, f.length);
      }
      out.add(String.join("\t", f));
    }
    return out;
  }

  /** Header lines without the @PG lines (which name the input). */
  private static String headerWithoutPg(Path bam) throws Exception {
    return Arrays.stream(samtools("view", "-H", bam.toString()).split("\n"))
        .filter(l -> !l.startsWith("@PG")).collect(Collectors.joining("\n"));
  }

  private static Path group(Path in, String out, String strategy, String... extra) {
    Path o = dir.resolve(out);
    List<String> args = new ArrayList<>(List.of("group", "-i", in.toString(), "-o", o.toString(), "-s", strategy,
        "--threads", "2", "-q"));
    args.addAll(List.of(extra));
    CliTest.Run r = CliTest.run(args.toArray(String[]::new));
    assertEquals(0, r.code(), r.err());
    return o;
  }

  @Test
  void sam_givesTheBamOutput_recordForRecord_inEveryStrategy() throws Exception {
    for (String strategy : List.of("identity", "edit", "adjacency")) {
      Path fromBam = group(single, "single-bam-" + strategy + ".bam", strategy);
      Path fromSam = group(dir.resolve("single.sam"), "single-sam-" + strategy + ".bam", strategy);
      assertEquals(records(fromBam, false), records(fromSam, false), strategy);
      assertEquals(headerWithoutPg(fromBam), headerWithoutPg(fromSam), "the SAM header is kept as written");
    }
    Path fromBam = group(paired, "paired-bam.bam", "paired");
    Path fromSam = group(dir.resolve("paired.sam"), "paired-sam.bam", "paired");
    assertEquals(records(fromBam, false), records(fromSam, false), "paired");
  }

  @Test
  void compressedSam_isRead() throws Exception {
    Path gz = dir.resolve("single.sam.gz");
    try (java.io.OutputStream o = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
      Files.copy(dir.resolve("single.sam"), o);
    }
    Path fromBam = group(single, "gz-bam.bam", "adjacency");
    assertEquals(records(fromBam, false), records(group(gz, "gz-sam.bam", "adjacency"), false));
  }

  @Test
  void cram_givesTheBamOutput_sameRecordsAndTags() throws Exception {
    Path fromBam = group(single, "single-bam.bam", "adjacency");
    Path fromCram = group(dir.resolve("single.cram"), "single-cram.bam", "adjacency", "--reference",
        reference.toString());
    assertEquals(records(fromBam, true), records(fromCram, true));
    Path pairedBam = group(paired, "paired-bam2.bam", "paired");
    Path pairedCram = group(dir.resolve("paired.cram"), "paired-cram.bam", "paired", "-r", reference.toString());
    assertEquals(records(pairedBam, true), records(pairedCram, true));
  }

  @Test
  void cram_wrongReference_failsWithOneLine_andNoOutput() throws Exception {
    Path wrong = writeFasta(dir.resolve("wrong.fa"), 12, -1);
    samtools("faidx", wrong.toString());
    CliTest.Run r = failing(dir.resolve("single.cram"), "--reference", wrong.toString());
    assertTrue(r.err().contains("does not match the CRAM"), r.err());
  }

  @Test
  void cram_referenceWrongOnlyInsideAWideSlice_fails() throws Exception {
    // chr1's last slice spans over 4 Mb (templates whose mates lie elsewhere come last): it is normalized by
    // record, and its MD5 checked by streaming; 4,000,000 lies in no other slice
    Path wrong = writeFasta(dir.resolve("wrong-wide.fa"), 11, 4_000_000);
    samtools("faidx", wrong.toString());
    CliTest.Run r = failing(dir.resolve("single.cram"), "--reference", wrong.toString());
    assertTrue(r.err().contains("does not match the CRAM") && r.err().contains("after record 30000"), r.err());
  }

  @Test
  void cram_withoutReference_orIndex_saysWhatToDo() throws Exception {
    assertTrue(failing(dir.resolve("single.cram")).err().contains("give it with --reference FASTA"));
    Path unindexed = dir.resolve("unindexed.fa");
    Files.copy(reference, unindexed);
    CliTest.Run r = failing(dir.resolve("single.cram"), "--reference", unindexed.toString());
    assertTrue(r.err().contains("samtools faidx " + unindexed), r.err());
    Path other = dir.resolve("other.fa");
    Files.writeString(other, ">chr1\nACGT\n");
    samtools("faidx", other.toString());
    assertTrue(failing(dir.resolve("single.cram"), "-r", other.toString()).err()
        .contains("@SQ chr1 is 5,000,000 bases long but 4 in the reference"));
  }

  @Test
  void truncatedCram_andBadSam_failWithOneLine() throws Exception {
    byte[] cram = Files.readAllBytes(dir.resolve("single.cram"));
    Path cut = Files.write(dir.resolve("cut.cram"), Arrays.copyOf(cram, cram.length * 2 / 3));
    assertTrue(failing(cut, "-r", reference.toString()).err().contains("ends early or is corrupt"));
    Path noEof = Files.write(dir.resolve("noeof.cram"), Arrays.copyOf(cram, cram.length - 38));
    assertTrue(failing(noEof, "-r", reference.toString()).err().contains("ends early or is corrupt"));

    String header = "@HD\tVN:1.6\tSO:unsorted\tGO:query\tSS:unsorted:template-coordinate\n@SQ\tSN:chr1\tLN:1000\n";
    Path unknownContig = Files.writeString(dir.resolve("contig.sam"),
        header + "r1\t0\tchrX\t1\t60\t4M\t*\t0\t0\tACGT\tIIII\tRX:Z:AAAA\n");
    assertTrue(failing(unknownContig).err().contains("record 1 (line 3): reference chrX is not in the header"));
    Path badPos = Files.writeString(dir.resolve("pos.sam"),
        header + "r1\t0\tchr1\tx1\t60\t4M\t*\t0\t0\tACGT\tIIII\tRX:Z:AAAA\n");
    assertTrue(failing(badPos).err().contains("record 1 (line 3): Error parsing text SAM file. Non-numeric value in POS"));
  }

  private CliTest.Run failing(Path in, String... extra) throws IOException {
    Path out = dir.resolve("failed.bam");
    List<String> args = new ArrayList<>(List.of("group", "-i", in.toString(), "-o", out.toString(), "-s", "adjacency",
        "-q"));
    args.addAll(List.of(extra));
    CliTest.Run r = CliTest.run(args.toArray(String[]::new));
    assertEquals(1, r.code(), r.err());
    assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
    assertFalse(Files.exists(out));
    return r;
  }
}
