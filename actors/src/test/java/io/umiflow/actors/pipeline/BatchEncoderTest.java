package io.umiflow.actors.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import htsjdk.samtools.BAMRecordCodec;
import htsjdk.samtools.SAMFileHeader;
import htsjdk.samtools.SAMFileWriter;
import htsjdk.samtools.SAMFileWriterFactory;
import htsjdk.samtools.SAMRecord;
import htsjdk.samtools.SAMSequenceRecord;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.GroupedBatch;
import io.umiflow.actors.JobRunner;
import io.umiflow.actors.TestBatches;
import io.umiflow.actors.batch.Batch;
import io.umiflow.actors.batch.BatchAssigner;
import io.umiflow.assign.Strategy;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.Bgzf;
import io.umiflow.codec.BgzfInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The encoder against a plain reference built with htsjdk: every kept template in the assigned order, R1
 * before R2, each record as in the input but for its MI tag (the batch's base plus its molecule, /A or /B
 * when paired) and, when marking duplicates, its duplicate flag. Compressed slices and the stream form must
 * hold the same records.
 */
class BatchEncoderTest {
  private static final long BASE = 1_000_000_007L;

  @ParameterizedTest
  @CsvSource({"single.tc.bam,ADJACENCY,false", "paired.tc.bam,PAIRED,true", "paired.tc.bam,EDIT,true"})
  void encodedRecords_areTheInputWithTheirIds_inTheAssignedOrder(String compat, Strategy strategy,
                                                                boolean markDuplicates) throws IOException {
    Path bam = JobRunner.shared(compat);
    SAMFileHeader samHeader = htsjdk.samtools.SamReaderFactory.makeDefault().getFileHeader(bam);
    GroupSettings settings = GroupSettings.builder().input(compat).output("-").strategy(strategy)
        .markDuplicates(markDuplicates).threads(1).memoryBudget(256L << 20).build();
    BatchAssigner assigner = new BatchAssigner(settings, BamHeader.of(samHeader));
    Batch b = TestBatches.batch(bam, 20_000, 0);
    assigner.start(b);
    assertEquals(0, assigner.assignWithin(Long.MAX_VALUE));
    BatchAssigner.Result a = assigner.result();
    assertTrue(a.keptCount() > 1000, "kept " + a.keptCount());

    List<SAMRecord> expected = reference(b, a, samHeader, strategy == Strategy.PAIRED, markDuplicates);
    BatchEncoder encoder = new BatchEncoder(settings, strategy == Strategy.PAIRED);

    BatchEncoder.Blocks all = encoder.compress(b, a, BASE, 0, a.keptCount());
    assertFullBlocks(all);
    byte[] whole = inflate(all);
    assertRecords(expected, decode(whole, samHeader));

    // slices concatenate to the whole, at any split
    int third = a.keptCount() / 3;
    List<BatchEncoder.Blocks> slices = List.of(encoder.compress(b, a, BASE, 0, third),
        encoder.compress(b, a, BASE, third, 2 * third), encoder.compress(b, a, BASE, 2 * third, a.keptCount()));
    assertArrayEquals(whole, inflate(BatchEncoder.Blocks.concat(slices)));
    slices.forEach(BatchEncoderTest::assertFullBlocks);

    // the stream form: the same bytes, with record and template bounds
    GroupedBatch grouped = encoder.records(b, a, BASE);
    assertArrayEquals(whole, Arrays.copyOf(grouped.records(), grouped.length()));
    assertEquals(expected.size(), grouped.recordCount());
    assertEquals(a.keptCount(), grouped.templateCount());
    assertTrue(grouped.length() <= b.outputBound());
  }

  /**
   * Records longer than the encode buffer (two blocks' payload) among short ones: the buffer grows for them
   * and the blocks still end every {@link Bgzf#MAX_PAYLOAD} bytes, holding the same records.
   */
  @Test
  void recordsLargerThanTheEncodeBuffer_areEncodedWhole(@TempDir Path dir) throws IOException {
    SAMFileHeader samHeader = new SAMFileHeader();
    samHeader.setSortOrder(SAMFileHeader.SortOrder.unsorted);
    samHeader.addSequence(new SAMSequenceRecord("chr1", 10_000_000));
    Path bam = dir.resolve("long.bam");
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
    try (SAMFileWriter w = new SAMFileWriterFactory().makeBAMWriter(samHeader, true, bam.toFile())) {
      for (int i = 0; i < 400; i++) {
        int length = i % 50 == 7 ? 100_000 + i : 150; // 150 KB records (bases and qualities) now and then
        byte[] bases = new byte[length];
        byte[] quals = new byte[length];
        for (int k = 0; k < length; k++) {
          bases[k] = (byte) "ACGT".charAt(rnd.nextInt(4));
          quals[k] = (byte) (20 + rnd.nextInt(20));
        }
        SAMRecord r = new SAMRecord(samHeader);
        r.setReadName(String.format("t%04d", i));
        r.setReferenceIndex(0);
        r.setAlignmentStart(1000 + 10 * (i / 20));
        r.setMappingQuality(60);
        r.setCigarString(length + "M");
        r.setReadBases(bases);
        r.setBaseQualities(quals);
        r.setAttribute("RX", i % 3 == 0 ? "ACGTACGT" : "TTGCAACG");
        w.addAlignment(r);
      }
    }
    GroupSettings settings = GroupSettings.builder().input("long.bam").output("-").strategy(Strategy.ADJACENCY)
        .threads(1).memoryBudget(256L << 20).build();
    BatchAssigner assigner = new BatchAssigner(settings, BamHeader.of(samHeader));
    Batch b = TestBatches.batch(bam, 1_000, 0);
    assigner.start(b);
    assertEquals(0, assigner.assignWithin(Long.MAX_VALUE));
    BatchAssigner.Result a = assigner.result();
    assertEquals(400, a.keptCount());
    BatchEncoder encoder = new BatchEncoder(settings, false);
    BatchEncoder.Blocks blocks = encoder.compress(b, a, BASE, 0, a.keptCount());
    assertFullBlocks(blocks);
    assertTrue(blocks.blocks().size() > 16, "blocks " + blocks.blocks().size());
    assertRecords(reference(b, a, samHeader, false, false), decode(inflate(blocks), samHeader));
    // the encoder goes back to its usual buffer: a short slice after it encodes the same as a new encoder's
    BatchEncoder fresh = new BatchEncoder(settings, false);
    assertArrayEquals(inflate(fresh.compress(b, a, BASE, 0, 5)), inflate(encoder.compress(b, a, BASE, 0, 5)));
  }

  /** Every block but the last holds exactly one block's payload; the last holds the rest (not nothing). */
  private static void assertFullBlocks(BatchEncoder.Blocks blocks) {
    List<byte[]> list = blocks.blocks();
    for (int i = 0; i < list.size(); i++) {
      byte[] block = list.get(i);
      int payload = io.umiflow.codec.BamRecord.i32(block, block.length - 4);
      if (i < list.size() - 1) {
        assertEquals(Bgzf.MAX_PAYLOAD, payload, "block " + i + " of " + list.size());
      } else {
        assertTrue(payload > 0 && payload <= Bgzf.MAX_PAYLOAD, "last block " + payload);
      }
    }
  }

  /** The expected output records, built with htsjdk from the input records. */
  private static List<SAMRecord> reference(Batch b, BatchAssigner.Result a, SAMFileHeader header, boolean paired,
                                           boolean markDuplicates) {
    List<SAMRecord> out = new ArrayList<>();
    for (int i = 0; i < a.keptCount(); i++) {
      int t = a.order()[i];
      String id = (BASE + a.molecule()[t]) + (paired ? (a.bStrand()[t] ? "/B" : "/A") : "");
      for (int rec : new int[] {b.r1()[t], b.r2()[t]}) {
        if (rec < 0) {
          continue;
        }
        int size = io.umiflow.codec.BamRecord.totalSize(b.data(), rec);
        SAMRecord r = decode(Arrays.copyOfRange(b.data(), rec, rec + size), header).get(0);
        r.setAttribute("MI", id);
        if (markDuplicates) {
          r.setDuplicateReadFlag(a.duplicate()[t]);
        }
        out.add(r);
      }
    }
    return out;
  }

  private static void assertRecords(List<SAMRecord> expected, List<SAMRecord> actual) {
    assertEquals(expected.size(), actual.size(), "records");
    for (int i = 0; i < expected.size(); i++) {
      SAMRecord e = expected.get(i);
      SAMRecord r = actual.get(i);
      String where = "record " + i + " " + e.getReadName();
      assertEquals(e.getReadName(), r.getReadName(), where);
      assertEquals(e.getFlags(), r.getFlags(), where);
      assertEquals(e.getAlignmentStart(), r.getAlignmentStart(), where);
      assertEquals(e.getCigarString(), r.getCigarString(), where);
      assertEquals(e.getReadString(), r.getReadString(), where);
      assertEquals(e.getBaseQualityString(), r.getBaseQualityString(), where);
      assertEquals(e.getStringAttribute("MI"), r.getStringAttribute("MI"), where);
      assertEquals(e.getAttributes().size(), r.getAttributes().size(), where + ": no tag lost or added");
      for (SAMRecord.SAMTagAndValue tag : e.getAttributes()) {
        assertEquals(String.valueOf(tag.value), String.valueOf(r.getAttribute(tag.tag)), where + " " + tag.tag);
      }
    }
  }

  private static byte[] inflate(BatchEncoder.Blocks blocks) throws IOException {
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    for (byte[] block : blocks.blocks()) {
      compressed.writeBytes(block);
    }
    try (BgzfInputStream in = new BgzfInputStream(new ByteArrayInputStream(compressed.toByteArray()), "blocks")) {
      return in.readAllBytes();
    }
  }

  private static List<SAMRecord> decode(byte[] records, SAMFileHeader header) {
    BAMRecordCodec codec = new BAMRecordCodec(header);
    codec.setInputStream(new ByteArrayInputStream(records));
    List<SAMRecord> out = new ArrayList<>();
    SAMRecord r;
    while ((r = codec.decode()) != null) {
      out.add(r);
    }
    assertNull(codec.decode());
    return out;
  }
}
