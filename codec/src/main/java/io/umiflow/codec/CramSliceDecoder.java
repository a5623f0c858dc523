package io.umiflow.codec;

import htsjdk.samtools.BAMRecordCodec;
import htsjdk.samtools.SAMFileHeader;
import htsjdk.samtools.SAMRecord;
import htsjdk.samtools.ValidationStringency;
import htsjdk.samtools.cram.build.CRAMReferenceRegion;
import htsjdk.samtools.cram.structure.CRAMCompressionRecord;
import htsjdk.samtools.cram.structure.CompressorCache;
import htsjdk.samtools.cram.structure.ReadTag;
import htsjdk.samtools.cram.structure.Slice;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * Decodes one CRAM slice into raw BAM records. Slices are independent once read (mates are linked within
 * a slice), so several decoders, one per thread, work on consecutive slices at once. Each holds its own
 * reference reader, compressor cache and encoder.
 *
 * <p>TLEN is computed as samtools computes it (htsjdk's rule differs: it measures to the mates' 5' ends and
 * breaks ties otherwise), so that a CRAM written by samtools reads back with the TLEN of the BAM it came
 * from; tags follow the CRAM's order with RG last, as samtools gives them.
 */
final class CramSliceDecoder {
  private final SAMFileHeader header;
  private final CramSliceNormalizer normalizer;
  private final CompressorCache compressors = new CompressorCache();
  private final BAMRecordCodec codec;
  private final ByteSink out = new ByteSink();
  private final TagOrder order = new TagOrder();
  /** TLENs computed for the attached segments of templates not yet encoded. */
  private final IdentityHashMap<CRAMCompressionRecord, Integer> templateLengths = new IdentityHashMap<>();

  CramSliceDecoder(SAMFileHeader header, Path reference, String source) {
    this.header = header;
    RegionReference bases = new RegionReference(reference, source);
    this.normalizer = new CramSliceNormalizer(new CRAMReferenceRegion(bases, header.getSequenceDictionary()), bases,
        header);
    this.codec = new BAMRecordCodec(header);
    codec.setOutputStream(out);
  }

  /** Decodes {@code slice}; the result's array is a copy, the decoder's own buffer is reused. */
  DecodedRecords decode(Slice slice) {
    List<CRAMCompressionRecord> records = slice.deserializeCRAMRecords(compressors, ValidationStringency.SILENT);
    normalizer.normalize(slice, records);
    out.reset();
    templateLengths.clear();
    for (CRAMCompressionRecord r : records) {
      SAMRecord sam = r.toSAMRecord(header);
      if (!r.isDetached() && r.getPreviousSegment() == null && r.getNextSegment() != null) {
        samtoolsTemplateLengths(r);
      }
      Integer tlen = templateLengths.remove(r);
      if (tlen != null) {
        sam.setInferredInsertSize(tlen);
      }
      int start = out.size();
      codec.encode(sam);
      cramOrder(r).apply(out.bytes(), start, out.size());
    }
    return new DecodedRecords(Arrays.copyOf(out.bytes(), out.size()), out.size(), records.size());
  }

  /**
   * samtools' TLEN for the attached segments starting at {@code first}: the span from the leftmost start to
   * the rightmost end, positive for the leftmost segment (for READ1 when several start there), negative for
   * the others; 0 when they lie on different references.
   */
  private void samtoolsTemplateLengths(CRAMCompressionRecord first) {
    long left = Long.MAX_VALUE;
    long right = Long.MIN_VALUE;
    int atLeft = 0;
    boolean oneReference = true;
    for (CRAMCompressionRecord s = first; s != null; s = s.getNextSegment()) {
      long start = s.getAlignmentStart();
      long end = s.isSegmentUnmapped() ? start : s.getAlignmentEnd();
      if (start < left) {
        left = start;
        atLeft = 1;
      } else if (start == left) {
        atLeft++;
      }
      right = Math.max(right, end);
      oneReference &= s.getReferenceIndex() == first.getReferenceIndex();
    }
    long span = right - left + 1;
    for (CRAMCompressionRecord s = first; s != null; s = s.getNextSegment()) {
      long tlen;
      if (!oneReference) {
        tlen = 0;
      } else if (s.getAlignmentStart() == left && (atLeft == 1 || (s.getBAMFlags() & 0x40) != 0)) {
        tlen = span;
      } else {
        tlen = -span;
      }
      templateLengths.put(s, (int) tlen);
    }
  }

  /** The CRAM's order of {@code r}'s tags, RG (kept apart by CRAM) last. */
  private TagOrder cramOrder(CRAMCompressionRecord r) {
    order.clear();
    List<ReadTag> tags = r.getTags();
    if (tags != null) {
      for (ReadTag t : tags) {
        order.add(t.getKey(), 0);
      }
    }
    return order.add("RG", 0);
  }
}
