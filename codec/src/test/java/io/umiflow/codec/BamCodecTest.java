package io.umiflow.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import htsjdk.samtools.Cigar;
import htsjdk.samtools.CigarElement;
import htsjdk.samtools.CigarOperator;
import htsjdk.samtools.SAMRecord;
import htsjdk.samtools.SamReader;
import htsjdk.samtools.SamReaderFactory;
import htsjdk.samtools.ValidationStringency;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BamCodecTest {

  /** Every record of a BAM as raw byte arrays, read with our codec. */
  static List<byte[]> readRaw(InputStream raw, String source, BamHeader[] headerOut) throws IOException {
    List<byte[]> out = new ArrayList<>();
    try (BgzfInputStream in = new BgzfInputStream(new BufferedInputStream(raw), source)) {
      headerOut[0] = BamHeader.read(in, source);
      RecordSplitter splitter = new RecordSplitter(source);
      byte[] buf = new byte[10_000];
      int n;
      while ((n = in.read(buf, 0, buf.length)) > 0) {
        splitter.feed(buf, 0, n, (b, off, len, no) -> out.add(java.util.Arrays.copyOfRange(b, off, off + len)));
      }
      splitter.finish();
    }
    return out;
  }

  /**
   * The spec's 5' position (0-based), from htsjdk rather than our CIGAR walk: htsjdk's unclipped start and
   * end count hard clips too, so they are asked about a copy whose CIGAR has its hard clips removed.
   */
  private static int softClipFivePrime(SAMRecord r) {
    SAMRecord soft = r.deepCopy();
    List<CigarElement> kept = new ArrayList<>();
    for (CigarElement e : r.getCigar().getCigarElements()) {
      if (e.getOperator() != CigarOperator.H) {
        kept.add(e);
      }
    }
    soft.setCigar(new Cigar(kept));
    return (r.getReadNegativeStrandFlag() ? soft.getUnclippedEnd() : soft.getUnclippedStart()) - 1;
  }

  /** Records with random CIGARs, hard and soft clips at either end, on either strand. */
  @org.junit.jupiter.api.Test
  void unclippedFivePrime_randomCigarsWithHardClips_matchesHtsjdkWithoutTheHardClips() throws IOException {
    htsjdk.samtools.SAMFileHeader header = new htsjdk.samtools.SAMFileHeader();
    header.addSequence(new htsjdk.samtools.SAMSequenceRecord("chr1", 10_000_000));
    java.util.Random rnd = new java.util.Random(11);
    int hardClipped = 0;
    for (int i = 0; i < 20_000; i++) {
      List<CigarElement> els = new ArrayList<>();
      boolean leadH = rnd.nextInt(3) == 0;
      boolean trailH = rnd.nextInt(3) == 0;
      if (leadH) els.add(new CigarElement(1 + rnd.nextInt(30), CigarOperator.H));
      if (rnd.nextBoolean()) els.add(new CigarElement(1 + rnd.nextInt(40), CigarOperator.S));
      els.add(new CigarElement(1 + rnd.nextInt(60), CigarOperator.M));
      for (int k = rnd.nextInt(4); k > 0; k--) {
        CigarOperator op = new CigarOperator[] {CigarOperator.I, CigarOperator.D, CigarOperator.N}[rnd.nextInt(3)];
        els.add(new CigarElement(1 + rnd.nextInt(20), op));
        els.add(new CigarElement(1 + rnd.nextInt(60), CigarOperator.M));
      }
      if (rnd.nextBoolean()) els.add(new CigarElement(1 + rnd.nextInt(40), CigarOperator.S));
      if (trailH) els.add(new CigarElement(1 + rnd.nextInt(30), CigarOperator.H));
      hardClipped += leadH || trailH ? 1 : 0;
      Cigar cigar = new Cigar(els);
      SAMRecord r = new SAMRecord(header);
      r.setReadName("r" + i);
      r.setReferenceIndex(0);
      r.setAlignmentStart(1000 + rnd.nextInt(1_000_000));
      r.setReadNegativeStrandFlag(rnd.nextBoolean());
      r.setCigar(cigar);
      byte[] bases = new byte[cigar.getReadLength()];
      java.util.Arrays.fill(bases, (byte) 'A');
      r.setReadBases(bases);
      r.setBaseQualities(SAMRecord.NULL_QUALS);
      byte[] b = encode(header, r);
      assertEquals(softClipFivePrime(r), BamRecord.unclippedFivePrime(b, 0), r.getCigarString() + " "
          + (r.getReadNegativeStrandFlag() ? "-" : "+"));
    }
    assertTrue(hardClipped > 5_000, "the test should generate hard clips: " + hardClipped);
  }

  private static byte[] encode(htsjdk.samtools.SAMFileHeader header, SAMRecord r) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    htsjdk.samtools.BAMRecordCodec codec = new htsjdk.samtools.BAMRecordCodec(header);
    codec.setOutputStream(out);
    codec.encode(r);
    return out.toByteArray();
  }

  @ParameterizedTest
  @ValueSource(strings = {"single.tc.bam", "paired.tc.bam"})
  void decode_compatFile_everyFieldMatchesHtsjdk(String name) throws IOException {
    Path path = CompatData.file(name);
    BamHeader[] header = new BamHeader[1];
    List<byte[]> records = readRaw(Files.newInputStream(path), name, header);
    assertNull(header[0].templateCoordinateProblem());
    try (SamReader reader = SamReaderFactory.makeDefault().validationStringency(ValidationStringency.SILENT).open(path)) {
      assertEquals(reader.getFileHeader().getSequenceDictionary().size(), header[0].references().size());
      Iterator<SAMRecord> it = reader.iterator();
      int i = 0;
      for (byte[] b : records) {
        SAMRecord r = it.next();
        String where = name + " record " + (i + 1) + " " + r.getReadName();
        assertEquals(r.getReadName(), BamRecord.readName(b, 0), where);
        assertEquals(r.getFlags(), BamRecord.flag(b, 0), where);
        assertEquals(r.getReferenceIndex().intValue(), BamRecord.refId(b, 0), where);
        assertEquals(r.getAlignmentStart() - 1, BamRecord.pos(b, 0), where);
        assertEquals(r.getMappingQuality(), BamRecord.mapq(b, 0), where);
        assertEquals(r.getMateReferenceIndex().intValue(), BamRecord.mateRefId(b, 0), where);
        assertEquals(r.getMateAlignmentStart() - 1, BamRecord.matePos(b, 0), where);
        assertEquals(r.getReadLength(), BamRecord.seqLength(b, 0), where);
        assertEquals(r.getStringAttribute("RX"), BamRecord.stringTag(b, 0, 'R', 'X'), where);
        assertEquals(r.getStringAttribute("RG"), BamRecord.stringTag(b, 0, 'R', 'G'), where);
        assertEquals(r.getStringAttribute("MC"), BamRecord.stringTag(b, 0, 'M', 'C'), where);
        // one walk for several tags finds what one walk per tag finds, absent tags included
        String[] names = {"RX", "RG", "CB", "MC", "MI"};
        int[] codes = new int[names.length];
        for (int k = 0; k < names.length; k++) {
          codes[k] = BamRecord.tagCode(names[k]);
        }
        int[] found = new int[names.length];
        BamRecord.findTags(b, 0, codes, found);
        for (int k = 0; k < names.length; k++) {
          assertEquals(BamRecord.findTag(b, 0, names[k].charAt(0), names[k].charAt(1)), found[k], where + " " + names[k]);
        }
        if (!r.getReadUnmappedFlag()) {
          assertEquals(r.getCigar().getReferenceLength(), BamRecord.referenceLength(b, 0), where);
          assertEquals(softClipFivePrime(r), BamRecord.unclippedFivePrime(b, 0), where);
        }
        i++;
      }
      assertTrue(!it.hasNext(), "htsjdk has more records than we decoded");
      assertTrue(i > 100_000);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"single.tc.bam", "paired.tc.bam"})
  void positionKeys_compatFile_neverGoBackwards(String name) throws IOException {
    BamHeader[] header = new BamHeader[1];
    List<byte[]> records = readRaw(Files.newInputStream(CompatData.file(name)), name, header);
    PositionKey previous = null;
    int groups = 0;
    int i = 0;
    while (i < records.size()) {
      int j = i;
      byte[] r1 = null;
      byte[] r2 = null;
      while (j < records.size() && BamRecord.sameName(records.get(i), 0, records.get(j), 0)) {
        byte[] b = records.get(j);
        int f = BamRecord.flag(b, 0);
        if ((f & (BamRecord.FLAG_SECONDARY | BamRecord.FLAG_SUPPLEMENTARY)) == 0) {
          if ((f & BamRecord.FLAG_READ2) != 0) r2 = b; else r1 = b;
        }
        j++;
      }
      if (r1 == null && r2 == null) {
        i = j; // only secondary/supplementary records: sorted by their own position, not a template
        continue;
      }
      PositionKey key = new PositionKey().set(r1, r1 == null ? -1 : 0, r2, r2 == null ? -1 : 0);
      // the grouper's shortcut must agree with the full rule, mapped or not
      assertEquals(PositionKey.r1IsLower(r1, r1 == null ? -1 : 0, r2, r2 == null ? -1 : 0),
          key.r1IsLowerOf(r1, r1 == null ? -1 : 0, r2, r2 == null ? -1 : 0), "R1-lower at record " + (i + 1));
      if (previous != null) {
        assertTrue(previous.compareTo(key) <= 0, "key went backwards at record " + (i + 1) + ": " + previous + " > " + key);
        if (!previous.samePosition(key)) groups++;
      }
      previous = key;
      i = j;
    }
    assertTrue(groups > 1000, "expected many position groups, saw " + groups);
  }

  @ParameterizedTest
  @ValueSource(strings = {"JDK", "GKL", "LIBDEFLATE"})
  void roundTrip_readWriteRead_recordsIdentical(String backend) throws IOException {
    DeflateBackend b = DeflateBackend.valueOf(backend);
    org.junit.jupiter.api.Assumptions.assumeTrue(b.available(), b + " native library not loadable here");
    String name = "single.tc.bam";
    BamHeader[] header = new BamHeader[1];
    List<byte[]> records = readRaw(Files.newInputStream(CompatData.file(name)), name, header);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (BgzfOutputStream out = new BgzfOutputStream(bytes, 1, b)) {
      out.write(header[0].encode());
      for (byte[] r : records) out.write(r);
    }
    BamHeader[] header2 = new BamHeader[1];
    List<byte[]> again = readRaw(new java.io.ByteArrayInputStream(bytes.toByteArray()), "roundtrip", header2);
    assertEquals(header[0].text(), header2[0].text());
    assertEquals(records.size(), again.size());
    for (int i = 0; i < records.size(); i++) {
      assertTrue(java.util.Arrays.equals(records.get(i), again.get(i)), "record " + i);
    }
    // htsjdk reads what we wrote
    Path tmp = Files.createTempFile("umiflow-roundtrip", ".bam");
    try {
      Files.write(tmp, bytes.toByteArray());
      try (SamReader reader = SamReaderFactory.makeDefault().validationStringency(ValidationStringency.STRICT).open(tmp)) {
        long n = 0;
        for (SAMRecord ignored : reader) n++;
        assertEquals(records.size(), n);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
