package io.umiflow.codec;

import htsjdk.samtools.SAMFileHeader;
import htsjdk.samtools.SAMSequenceRecord;
import htsjdk.samtools.cram.CRAMException;
import htsjdk.samtools.cram.build.CRAMReferenceRegion;
import htsjdk.samtools.cram.structure.AlignmentContext;
import htsjdk.samtools.cram.structure.CRAMCompressionRecord;
import htsjdk.samtools.cram.structure.Slice;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Turns a CRAM slice's decoded records into complete ones (mates linked, names, bases restored from the
 * reference, qualities) without holding more reference than a bounded span.
 *
 * <p>htsjdk normalizes a slice that lies on one contig by fetching the reference over the slice's whole
 * span; in template-coordinate order the last slices of a contig hold the templates whose mates lie
 * elsewhere and span the whole contig (a quarter of a gigabyte for human chromosome 1). Slices up to
 * {@link #WIDE_SPAN} bases go through htsjdk's own normalization; wider ones are normalized here the way
 * htsjdk treats multi-reference slices, fetching each record's own span, and their reference MD5 is checked
 * by streaming the span through the digest a megabase at a time.
 *
 * <p>htsjdk marks a record normalized with a package-private method, which {@code toSAMRecord} requires; it
 * is called by reflection (htsjdk is pinned in the POM, and the CRAM tests cover wide slices).
 */
final class CramSliceNormalizer {
  /** Reference bases a slice may span and still be normalized by htsjdk in one fetch. */
  static final int WIDE_SPAN = 4 << 20;

  private static final Method SET_NORMALIZED;

  static {
    try {
      SET_NORMALIZED = CRAMCompressionRecord.class.getDeclaredMethod("setIsNormalized");
      SET_NORMALIZED.setAccessible(true);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final CRAMReferenceRegion region;
  private final RegionReference reference;
  private final SAMFileHeader header;

  CramSliceNormalizer(CRAMReferenceRegion region, RegionReference reference, SAMFileHeader header) {
    this.region = region;
    this.reference = reference;
    this.header = header;
  }

  /** Normalizes {@code records}, the decoded records of {@code slice}, in place. */
  void normalize(Slice slice, List<CRAMCompressionRecord> records) {
    AlignmentContext ac = slice.getAlignmentContext();
    boolean wide = slice.getCompressionHeader().isReferenceRequired() && ac.getReferenceContext().isMappedSingleRef()
        && ac.getAlignmentSpan() > WIDE_SPAN && slice.getEmbeddedReferenceBlock() == null;
    if (!wide) {
      slice.normalizeCRAMRecords(records, region);
      return;
    }
    checkMd5(slice, ac);
    long first = slice.getGlobalRecordCounter();
    for (CRAMCompressionRecord r : records) {
      if (r.isReadPaired() && !r.isDetached() && r.isHasMateDownStream()) {
        CRAMCompressionRecord mate = records.get((int) (r.getSequentialIndex() + r.getRecordsToNextFragment() + 1 - first));
        r.setNextSegment(mate);
        mate.setPreviousSegment(r);
      }
    }
    for (CRAMCompressionRecord r : records) {
      if (r.getPreviousSegment() == null && r.getNextSegment() != null) {
        r.restoreMateInfo();
      }
    }
    for (CRAMCompressionRecord r : records) {
      r.assignReadName();
    }
    for (CRAMCompressionRecord r : records) {
      if (!r.isSegmentUnmapped()) {
        if (!r.isUnknownBases()) {
          region.fetchReferenceBasesByRegion(r.getReferenceIndex(), r.getAlignmentStart() - 1,
              r.getAlignmentEnd() - r.getAlignmentStart() + 1);
        }
        r.restoreReadBases(region, slice.getCompressionHeader().getSubstitutionMatrix());
      }
    }
    for (CRAMCompressionRecord r : records) {
      r.resolveQualityScores();
      try {
        SET_NORMALIZED.invoke(r);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("htsjdk: cannot mark a CRAM record normalized", e);
      }
    }
  }

  /** The slice's reference MD5 against the FASTA's bases over its span, read a megabase at a time. */
  private void checkMd5(Slice slice, AlignmentContext ac) {
    SAMSequenceRecord contig = header.getSequence(ac.getReferenceContext().getReferenceSequenceID());
    long start = ac.getAlignmentStart() - 1L;
    long length = Math.min((long) ac.getAlignmentSpan(), contig.getSequenceLength() - start);
    byte[] md5 = reference.md5(contig, start, length);
    if (!Arrays.equals(md5, slice.getReferenceMD5())) {
      throw new CRAMException("Reference MD5 mismatch for the slice at " + contig.getSequenceName() + ":"
          + (start + 1) + ", expected " + HexFormat.of().formatHex(slice.getReferenceMD5()));
    }
  }
}
