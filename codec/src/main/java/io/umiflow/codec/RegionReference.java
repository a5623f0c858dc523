package io.umiflow.codec;

import htsjdk.samtools.SAMSequenceRecord;
import htsjdk.samtools.cram.ref.CRAMReferenceSource;
import htsjdk.samtools.reference.ReferenceSequenceFile;
import htsjdk.samtools.reference.ReferenceSequenceFileFactory;
import htsjdk.samtools.util.StringUtil;
import java.nio.file.Path;

/**
 * Reference bases for CRAM decoding, read from the indexed FASTA one region at a time. htsjdk's own source
 * loads and caches whole contigs (a quarter of a gigabyte for human chromosome 1) even when a slice asks for
 * a few kilobases; this one holds only the span a slice covers, so the decoder's memory does not grow with
 * the genome.
 */
final class RegionReference implements CRAMReferenceSource {
  private final ReferenceSequenceFile fasta;
  private final String source;

  /** The FASTA at {@code path}, whose {@code .fai} index must exist; {@code source} names the input in errors. */
  RegionReference(Path path, String source) {
    this.fasta = ReferenceSequenceFileFactory.getReferenceSequenceFile(path, true, true);
    this.source = source;
  }

  /** A whole contig: only for slices htsjdk cannot resolve by region; costs the contig's length. */
  @Override
  public byte[] getReferenceBases(SAMSequenceRecord sequence, boolean tryNameVariants) {
    return getReferenceBasesByRegion(sequence, 0, sequence.getSequenceLength());
  }

  /** Bases {@code [offset, offset + length)} (0-based) of the contig, upper-cased; shorter at the contig's end. */
  @Override
  public byte[] getReferenceBasesByRegion(SAMSequenceRecord sequence, int offset, int length) {
    long contigLength = fasta.getSequenceDictionary() != null
        && fasta.getSequenceDictionary().getSequence(sequence.getSequenceName()) != null
        ? fasta.getSequenceDictionary().getSequence(sequence.getSequenceName()).getSequenceLength()
        : sequence.getSequenceLength();
    long end = Math.min(contigLength, (long) offset + length);
    if (end <= offset) {
      return new byte[0];
    }
    byte[] bases = fasta.getSubsequenceAt(sequence.getSequenceName(), offset + 1L, end).getBases();
    for (int i = 0; i < bases.length; i++) {
      bases[i] = StringUtil.toUpperCase(bases[i]);
    }
    return bases;
  }

  /** The MD5 of the upper-cased bases {@code [start, start + length)}, read a megabase at a time. */
  byte[] md5(SAMSequenceRecord sequence, long start, long length) {
    java.security.MessageDigest digest;
    try {
      digest = java.security.MessageDigest.getInstance("MD5");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (long at = start; at < start + length; at += PIECE) {
      int n = (int) Math.min(PIECE, start + length - at);
      digest.update(getReferenceBasesByRegion(sequence, (int) at, n));
    }
    return digest.digest();
  }

  private static final int PIECE = 1 << 20;

  @Override
  public String toString() {
    return "reference for " + source;
  }
}
