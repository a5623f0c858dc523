package io.umiflow.actors;

import htsjdk.samtools.BAMRecordCodec;
import htsjdk.samtools.SAMFileHeader;
import htsjdk.samtools.SAMRecord;
import io.umiflow.codec.BamRecord;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Consecutive position groups as the stream stage delivers them, in the deterministic output order: the
 * records of every kept template (raw BAM record bytes, each starting with its {@code block_size}, with
 * the molecule id tag set), and the boundaries of records, templates and position groups.
 *
 * @param records       the records back to back, {@code records[0..length)}
 * @param length        bytes used in {@code records}
 * @param recordStart   offset of record r; {@code recordStart[recordCount]} = length
 * @param templateStart first record of template t; {@code templateStart[templateCount]} = recordCount
 * @param groupStart    first template of group g; {@code groupStart[groupCount]} = templateCount
 */
public record GroupedBatch(byte[] records, int length, int[] recordStart, int recordCount, int[] templateStart,
                           int templateCount, int[] groupStart, int groupCount) {

  /** Bytes this batch holds (for the consumer's demand accounting). */
  public long bytes() {
    return records.length + 4L * (recordStart.length + templateStart.length + groupStart.length) + 64;
  }

  /** The molecule id of template {@code t} (the value of its first record's tag {@code tag}, e.g. MI). */
  public String moleculeId(int t, String tag) {
    return BamRecord.stringTag(records, recordStart[templateStart[t]], tag.charAt(0), tag.charAt(1));
  }

  /** The read name of template {@code t}. */
  public String readName(int t) {
    return BamRecord.readName(records, recordStart[templateStart[t]]);
  }

  /** Decodes every record with htsjdk (convenient, about a microsecond and a few objects per record). */
  public List<SAMRecord> samRecords(SAMFileHeader header) {
    BAMRecordCodec codec = new BAMRecordCodec(header);
    codec.setInputStream(new ByteArrayInputStream(records, 0, length));
    List<SAMRecord> out = new ArrayList<>(recordCount);
    for (int i = 0; i < recordCount; i++) {
      out.add(codec.decode());
    }
    return out;
  }
}
