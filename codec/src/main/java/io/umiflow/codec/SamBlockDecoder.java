package io.umiflow.codec;

import htsjdk.samtools.BAMRecordCodec;
import htsjdk.samtools.DefaultSAMRecordFactory;
import htsjdk.samtools.SAMFileHeader;
import htsjdk.samtools.SAMLineParser;
import htsjdk.samtools.SAMRecord;
import htsjdk.samtools.ValidationStringency;
import java.util.Arrays;
import java.util.List;

/**
 * Parses a block of SAM lines into raw BAM records, on one of several threads (lines are independent; the
 * reader cuts the text into blocks and takes the results in order). Keeps each line's tag order (htsjdk
 * sorts tags) and refuses reference names the header does not list (htsjdk, lenient, would take them as
 * unmapped). One instance per thread.
 */
final class SamBlockDecoder {
  /** Lines of SAM text; {@code firstRecord} and {@code firstLine} (1-based) number the first of them. */
  record Block(List<String> lines, long[] lineNumbers, long firstRecord) {}

  /** A line that could not be read: which record and line, and why. */
  static final class LineFailure extends RuntimeException {
    final long record;
    final long line;

    LineFailure(long record, long line, RuntimeException cause) {
      super(cause.getMessage(), cause);
      this.record = record;
      this.line = line;
    }
  }

  private final SAMLineParser parser;
  private final BAMRecordCodec codec;
  private final ByteSink out = new ByteSink();
  private final TagOrder order = new TagOrder();

  SamBlockDecoder(SAMFileHeader header) {
    this.parser = new SAMLineParser(new DefaultSAMRecordFactory(), ValidationStringency.SILENT, header, null, null);
    this.codec = new BAMRecordCodec(header);
    codec.setOutputStream(out);
  }

  /** The block's records, encoded back to back; a copy, the decoder's buffer is reused. */
  DecodedRecords decode(Block block) {
    out.reset();
    List<String> lines = block.lines();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      long lineNumber = block.lineNumbers()[i];
      try {
        SAMRecord r = parser.parseLine(line, (int) Math.min(Integer.MAX_VALUE, lineNumber));
        checkReference(r.getReferenceName(), r.getReferenceIndex());
        checkReference(r.getMateReferenceName(), r.getMateReferenceIndex());
        int start = out.size();
        codec.encode(r);
        order.ofLine(line).apply(out.bytes(), start, out.size());
      } catch (RuntimeException e) {
        throw new LineFailure(block.firstRecord() + i, lineNumber, e);
      }
    }
    return new DecodedRecords(Arrays.copyOf(out.bytes(), out.size()), out.size(), lines.size());
  }

  private static void checkReference(String name, Integer index) {
    if ((index == null || index < 0) && name != null && !name.equals("*")) {
      throw new IllegalArgumentException("reference " + name + " is not in the header's @SQ lines");
    }
  }
}
