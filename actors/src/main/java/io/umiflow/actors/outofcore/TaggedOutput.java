package io.umiflow.actors.outofcore;

import io.umiflow.actors.GroupedBatch;
import io.umiflow.actors.batch.BatchMetrics;
import io.umiflow.actors.batch.MoleculeIdTag;
import io.umiflow.codec.BgzfOutputStream;
import io.umiflow.codec.DeflateBackend;
import io.umiflow.codec.TagEditor;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Turns merged entries of a spilled group into output records: counts families and marks duplicates as
 * they pass (families arrive contiguous, in name order), formats each molecule id and hands the tagged
 * records to {@link #emit}. Two forms: a BGZF file for the writer ({@link ToFile}), or one message of
 * records for a stream stage ({@link ToRecords}).
 */
abstract class TaggedOutput implements SortedRuns.EntrySink {
  /** The molecule id tag and how ids are written; {@code bestScore} per family when marking duplicates. */
  record Tagging(byte[] assignTag, boolean paired, long[] bestScore, BatchMetrics metrics) {}

  final Tagging tagging;
  private final long base;
  private final byte[] value = new byte[MoleculeIdTag.MAX_LENGTH];
  private long family = -1;
  private int familySize;
  private boolean bestSeen;
  long records;
  private long templates;

  TaggedOutput(Tagging tagging, long base) {
    this.tagging = tagging;
    this.base = base;
  }

  @Override
  public void accept(SpillFile.Cursor c) throws IOException {
    long f = 2L * c.molecule() + (c.bStrand() ? 1 : 0);
    if (f != family) {
      finishFamily();
      family = f;
      bestSeen = false;
    }
    familySize++;
    boolean duplicate = false;
    long[] bestScore = tagging.bestScore();
    if (bestScore != null) {
      // in name order within the family, the first template with the best score is the one kept
      duplicate = bestSeen || c.score() != bestScore[(int) f];
      bestSeen |= !duplicate;
    }
    int vlen = MoleculeIdTag.format(base + c.molecule(), tagging.paired(), c.bStrand(), value);
    templates++;
    startTemplate();
    for (int r = 0; r < 2; r++) {
      int rec = r == 0 ? c.r1() : c.r2();
      if (rec < 0) {
        continue;
      }
      emit(c.buf, rec, value, vlen, duplicate);
      records++;
    }
  }

  /** Counts the family that just ended. */
  void finishFamily() {
    if (familySize > 0) {
      tagging.metrics().addFamily(familySize);
      familySize = 0;
    }
  }

  /** Every entry has passed: counts the last family and the position group. */
  void finish() {
    finishFamily();
    tagging.metrics().addGroup(templates);
    templates = 0;
  }

  /** A template's records follow. */
  void startTemplate() {}

  /** One output record: {@code rec} of {@code src} with the id {@code value[0..vlen)} and the duplicate flag. */
  abstract void emit(byte[] src, int rec, byte[] value, int vlen, boolean duplicate) throws IOException;

  /** Writes the record into {@code out} at {@code at}; returns its length. */
  int write(byte[] src, int rec, byte[] value, int vlen, boolean duplicate, byte[] out, int at) {
    return MoleculeIdTag.write(src, rec, tagging.assignTag(), value, vlen, tagging.bestScore() != null, duplicate,
        out, at);
  }

  /** Writes merged entries as BGZF-compressed output records (no EOF marker: the writer copies them in). */
  static final class ToFile extends TaggedOutput implements AutoCloseable {
    private final BgzfOutputStream out;
    private byte[] record = new byte[1 << 12];

    ToFile(Tagging tagging, long base, Path path, int level, DeflateBackend backend) throws IOException {
      super(tagging, base);
      this.out = new BgzfOutputStream(new BufferedOutputStream(Files.newOutputStream(path), 1 << 16), level, backend);
    }

    @Override
    void emit(byte[] src, int rec, byte[] value, int vlen, boolean duplicate) throws IOException {
      int room = TagEditor.maxEditedSize(src, rec, vlen);
      if (record.length < room) {
        record = new byte[Math.max(room, record.length * 2)];
      }
      out.write(record, 0, write(src, rec, value, vlen, duplicate, record, 0));
    }

    @Override
    public void close() throws IOException {
      finish();
      out.closeWithoutEofMarker();
    }
  }

  /** Collects merged entries as one {@link GroupedBatch} of records (one position group). */
  static final class ToRecords extends TaggedOutput {
    private final byte[] out;
    private final int[] recordStart;
    private final int[] templateStart;
    private int used;
    private int templates;

    ToRecords(Tagging tagging, long base, int bytes, int records, int templates) {
      super(tagging, base);
      this.out = new byte[bytes];
      this.recordStart = new int[records + 1];
      this.templateStart = new int[templates + 1];
    }

    @Override
    void startTemplate() {
      templateStart[templates++] = (int) records;
    }

    @Override
    void emit(byte[] src, int rec, byte[] value, int vlen, boolean duplicate) {
      recordStart[(int) records] = used;
      used += write(src, rec, value, vlen, duplicate, out, used);
    }

    /** The position group's records, once every entry has passed. */
    GroupedBatch batch() {
      finish();
      recordStart[(int) records] = used;
      templateStart[templates] = (int) records;
      int[] groupStart = templates > 0 ? new int[] {0, templates} : new int[] {0};
      return new GroupedBatch(out, used, recordStart, (int) records, templateStart, templates, groupStart,
          templates > 0 ? 1 : 0);
    }
  }
}
