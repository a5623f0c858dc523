package io.umiflow.actors;

import htsjdk.samtools.BAMRecordCodec;
import htsjdk.samtools.SAMFileHeader;
import htsjdk.samtools.SAMRecord;
import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * Converts htsjdk {@link SAMRecord}s to the raw BAM record bytes the {@link GroupStage} takes, for hosts
 * whose records are htsjdk objects. Costs one htsjdk encode per record; hosts that already hold BAM bytes
 * should push those directly.
 */
public final class SamRecords {
  private SamRecords() {}

  /** The records' BAM encoding, back to back, each starting with its {@code block_size}. */
  public static byte[] encode(SAMFileHeader header, List<SAMRecord> records) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(records.size() * 400 + 64);
    BAMRecordCodec codec = new BAMRecordCodec(header);
    codec.setOutputStream(out);
    for (SAMRecord r : records) {
      codec.encode(r);
    }
    return out.toByteArray();
  }
}
