package io.umiflow.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import htsjdk.samtools.SAMFileHeader;
import htsjdk.samtools.SAMFileWriter;
import htsjdk.samtools.SAMFileWriterFactory;
import htsjdk.samtools.SAMReadGroupRecord;
import htsjdk.samtools.SAMRecord;
import htsjdk.samtools.SAMSequenceRecord;
import htsjdk.samtools.BAMRecordCodec;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our template-coordinate key against Debian's {@code samtools sort --template-coordinate}: a stable sort of
 * any input order by the key must give samtools' output order, record for record.
 */
class TemplateCoordinateKeyTest {
  @TempDir
  Path tmp;

  /** A BAM's header and raw records. */
  private record Bam(BamHeader header, List<byte[]> records) {}

  private static Path shared(String name) {
    return Paths.get(System.getProperty("umiflow.shared", "../../shared"), "compat", name).toAbsolutePath().normalize();
  }

  private static Bam read(Path bam) throws IOException {
    List<byte[]> out = new ArrayList<>();
    try (InputStream in = new BgzfInputStream(new BufferedInputStream(Files.newInputStream(bam)), bam.toString())) {
      BamHeader header = BamHeader.read(in, bam.toString());
      RecordSplitter splitter = new RecordSplitter(bam.toString());
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf, 0, buf.length)) > 0) {
        splitter.feed(buf, 0, n, (b, off, len, no) -> out.add(java.util.Arrays.copyOfRange(b, off, off + len)));
      }
      return new Bam(header, out);
    }
  }

  private static void write(Path bam, BamHeader header, List<byte[]> records) throws IOException {
    try (OutputStream out = new BgzfOutputStream(Files.newOutputStream(bam), 1, DeflateBackend.JDK)) {
      out.write(header.encode());
      for (byte[] r : records) {
        out.write(r);
      }
    }
  }

  /** samtools' template-coordinate sort of {@code records}, as raw records. */
  private List<byte[]> samtoolsSort(BamHeader header, List<byte[]> records, String name) throws Exception {
    Path in = tmp.resolve(name + ".in.bam");
    Path out = tmp.resolve(name + ".out.bam");
    write(in, header, records);
    Process p = new ProcessBuilder("samtools", "sort", "--template-coordinate", "--no-PG", "-o", out.toString(),
        in.toString()).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), log);
    return read(out).records();
  }

  /** Our order: a stable sort of {@code records} by their keys. */
  private static List<byte[]> ourSort(BamHeader header, List<byte[]> records) throws InputFormatException {
    Map<String, String> libraries = header.librariesByReadGroup();
    List<Object[]> keyed = new ArrayList<>();
    long n = 0;
    for (byte[] r : records) {
      keyed.add(new Object[] {TemplateCoordinateKey.of(r, 0, libraries, "test", ++n), r});
    }
    keyed.sort(Comparator.comparing(k -> (TemplateCoordinateKey) k[0])); // List.sort is stable
    List<byte[]> out = new ArrayList<>();
    for (Object[] k : keyed) {
      out.add((byte[]) k[1]);
    }
    return out;
  }

  private static String describe(byte[] r) {
    return BamRecord.readName(r, 0) + " flag " + BamRecord.flag(r, 0) + " pos " + BamRecord.pos(r, 0);
  }

  private static void assertSameOrder(List<byte[]> expected, List<byte[]> actual, String what) {
    assertEquals(expected.size(), actual.size(), what);
    for (int i = 0; i < expected.size(); i++) {
      byte[] e = expected.get(i);
      byte[] a = actual.get(i);
      boolean same = BamRecord.sameName(e, 0, a, 0) && BamRecord.flag(e, 0) == BamRecord.flag(a, 0)
          && BamRecord.pos(e, 0) == BamRecord.pos(a, 0) && BamRecord.refId(e, 0) == BamRecord.refId(a, 0);
      assertTrue(same, what + ": record " + i + " is " + describe(a) + ", samtools has " + describe(e));
    }
  }

  @Test
  void compatInputs_anyOrder_sortLikeSamtools() throws Exception {
    for (String file : new String[] {"single.tc.bam", "paired.tc.bam"}) {
      Bam bam = read(shared(file));
      List<byte[]> shuffled = new ArrayList<>(bam.records());
      Collections.shuffle(shuffled, new Random(7));
      List<byte[]> byName = new ArrayList<>(bam.records());
      byName.sort((x, y) -> BamRecord.compareNames(x, 0, y, 0));
      List<byte[]> reversed = new ArrayList<>(bam.records());
      Collections.reverse(reversed);
      List<byte[]> byPosition = new ArrayList<>(bam.records());
      byPosition.sort(Comparator.comparingInt((byte[] r) -> BamRecord.refId(r, 0) < 0 ? Integer.MAX_VALUE
          : BamRecord.refId(r, 0)).thenComparingInt(r -> BamRecord.pos(r, 0)));
      Map<String, List<byte[]>> orders = Map.of("shuffled", shuffled, "by-name", byName, "reversed", reversed,
          "coordinate", byPosition);
      for (Map.Entry<String, List<byte[]>> o : orders.entrySet()) {
        String what = file + " " + o.getKey();
        assertSameOrder(samtoolsSort(bam.header(), o.getValue(), file + "-" + o.getKey()),
            ourSort(bam.header(), o.getValue()), what);
      }
    }
  }

  @Test
  void randomRecords_clipsStrandsUnmappedMatesLibrariesAndMolecularIds_sortLikeSamtools() throws Exception {
    SAMFileHeader h = new SAMFileHeader();
    h.addSequence(new SAMSequenceRecord("chr1", 10_000));
    h.addSequence(new SAMSequenceRecord("chr2", 10_000));
    for (String[] rg : new String[][] {{"A", "lib2"}, {"B", "lib1"}, {"C", null}}) {
      SAMReadGroupRecord r = new SAMReadGroupRecord(rg[0]);
      r.setSample("s");
      if (rg[1] != null) {
        r.setLibrary(rg[1]);
      }
      h.addReadGroup(r);
    }
    BamHeader header = BamHeader.of(h);
    Random random = new Random(11);
    List<byte[]> records = new ArrayList<>();
    String[] cigars = {"50M", "5S45M", "45M5S", "3H50M", "50M3H", "2H3S42M5S", "20M5D30M", "10M2I38M", "30M100N20M"};
    BAMRecordCodec codec = new BAMRecordCodec(h);
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    codec.setOutputStream(buf);
    for (int t = 0; t < 3000; t++) {
      String name = "q" + random.nextInt(500) + ":" + t % 7; // repeated names: ties beyond the name
      boolean paired = random.nextInt(5) > 0;
      int ends = paired ? 2 : 1;
      int[] tid = new int[2];
      int[] pos = new int[2];
      boolean[] rev = new boolean[2];
      boolean[] unmapped = new boolean[2];
      String[] cigar = new String[2];
      for (int e = 0; e < ends; e++) {
        tid[e] = random.nextInt(2);
        pos[e] = 1 + random.nextInt(random.nextBoolean() ? 40 : 2000); // crowded positions tie often
        rev[e] = random.nextBoolean();
        unmapped[e] = random.nextInt(12) == 0;
        cigar[e] = cigars[random.nextInt(cigars.length)];
      }
      String rg = new String[] {"A", "B", "C", null}[random.nextInt(4)];
      String mi = random.nextInt(3) == 0 ? null : random.nextInt(20) + (random.nextBoolean() ? "/" + "AB".charAt(random.nextInt(2)) : "");
      for (int e = 0; e < ends; e++) {
        SAMRecord r = new SAMRecord(h);
        r.setReadName(name);
        r.setReadString("A".repeat(50));
        r.setBaseQualityString("I".repeat(50));
        if (unmapped[e]) {
          r.setReadUnmappedFlag(true);
          r.setReferenceIndex(unmapped[1 - e] || !paired ? -1 : tid[1 - e]);
          r.setAlignmentStart(unmapped[1 - e] || !paired ? 0 : pos[1 - e]);
          r.setCigarString("*");
        } else {
          r.setReferenceIndex(tid[e]);
          r.setAlignmentStart(pos[e]);
          r.setCigarString(cigar[e]);
          r.setReadNegativeStrandFlag(rev[e]);
          if (cigar[e].contains("I")) {
            r.setReadString("A".repeat(50));
          }
        }
        if (paired) {
          int m = 1 - e;
          r.setReadPairedFlag(true);
          r.setFirstOfPairFlag(e == 0);
          r.setSecondOfPairFlag(e == 1);
          r.setMateUnmappedFlag(unmapped[m]);
          if (!unmapped[m]) {
            r.setMateReferenceIndex(tid[m]);
            r.setMateAlignmentStart(pos[m]);
            r.setMateNegativeStrandFlag(rev[m]);
            r.setAttribute("MC", cigar[m]);
          } else if (!unmapped[e]) {
            r.setMateReferenceIndex(tid[e]);
            r.setMateAlignmentStart(pos[e]);
          }
        }
        if (rg != null) {
          r.setAttribute("RG", rg);
        }
        if (mi != null) {
          r.setAttribute("MI", mi);
        }
        buf.reset();
        codec.encode(r);
        records.add(buf.toByteArray());
      }
    }
    Collections.shuffle(records, new Random(3));
    assertSameOrder(samtoolsSort(header, records, "random"), ourSort(header, records), "random records");
  }

  @Test
  void pairedWithMappedMateWithoutMc_isRefusedNamingTheRecord() throws Exception {
    Bam bam = read(shared("paired.tc.bam"));
    byte[] r = bam.records().get(0);
    int mc = BamRecord.findTag(r, 0, 'M', 'C');
    byte[] renamed = r.clone();
    renamed[mc - 2] = 'Z'; // the tag is now ZC
    renamed[mc - 1] = 'C';
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> TemplateCoordinateKey.of(renamed, 0, Map.of(), "in.bam", 1));
    assertEquals("in.bam: record 1 (read " + BamRecord.readName(r, 0) + ") is paired with a mapped mate but has no "
        + "MC tag; add it with samtools fixmate -m", e.getMessage());
  }

  @Test
  void mateClips_andMolecularIdSuffix_asSamtoolsComputesThem() {
    assertEquals(95, TemplateCoordinateKey.mateUnclippedStart(99, "2H3S40M5S")); // 0-based 99 is 1-based 100; 5 clipped
    assertEquals(99 + 40 + 5, TemplateCoordinateKey.mateUnclippedEnd(99, "2H3S40M5S"));
    assertEquals(99 + 50 + 100, TemplateCoordinateKey.mateUnclippedEnd(99, "30M100N20M"));
    assertEquals("12", new String(TemplateCoordinateKey.withoutStrandSuffix("12/A".getBytes())));
    assertEquals("12", new String(TemplateCoordinateKey.withoutStrandSuffix("12".getBytes())));
  }
}
