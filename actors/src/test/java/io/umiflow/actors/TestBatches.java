package io.umiflow.actors;

import io.umiflow.actors.batch.Batch;
import io.umiflow.codec.BamRecord;
import io.umiflow.codec.PositionKey;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Tests' view of a BAM as templates, and batches built from them the way the grouper cuts them. */
public final class TestBatches {
  private TestBatches() {}

  /**
   * A template: its records (primary, secondary and supplementary, as in the file), its primary R1 and R2
   * (null when absent), the number of its first record, and its position key (null without primaries).
   */
  public record Template(List<byte[]> records, byte[] r1, byte[] r2, long firstRecord, PositionKey key) {}

  /** The records as runs of one read name. */
  public static List<Template> templates(List<byte[]> records) {
    List<Template> out = new ArrayList<>();
    for (int i = 0; i < records.size(); ) {
      int j = i;
      byte[] r1 = null;
      byte[] r2 = null;
      while (j < records.size() && BamRecord.sameName(records.get(i), 0, records.get(j), 0)) {
        byte[] r = records.get(j);
        int f = BamRecord.flag(r, 0);
        if ((f & (BamRecord.FLAG_SECONDARY | BamRecord.FLAG_SUPPLEMENTARY)) == 0) {
          if ((f & BamRecord.FLAG_READ2) != 0) {
            r2 = r;
          } else {
            r1 = r;
          }
        }
        j++;
      }
      PositionKey key = r1 == null && r2 == null ? null : new PositionKey().set(r1 == null ? r2 : r1,
          r1 == null ? -1 : 0, r2 == null ? r1 : r2, r2 == null ? -1 : 0);
      out.add(new Template(records.subList(i, j), r1, r2, i + 1, key));
      i = j;
    }
    return out;
  }

  /** The first {@code maxTemplates} templates of the compat single.tc.bam as one batch. */
  public static Batch batch(int maxTemplates, long credit) throws IOException {
    return batch(JobRunner.shared("single.tc.bam"), maxTemplates, credit);
  }

  /**
   * The first {@code maxTemplates} templates of {@code bam} with primary records as one batch of position
   * groups (number 0, charged {@code credit}).
   */
  public static Batch batch(Path bam, int maxTemplates, long credit) throws IOException {
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    List<Integer> r1 = new ArrayList<>();
    List<Integer> r2 = new ArrayList<>();
    List<Long> first = new ArrayList<>();
    List<Integer> starts = new ArrayList<>();
    PositionKey previous = null;
    for (Template t : templates(JobRunner.records(bam))) {
      if (t.key() == null) {
        continue;
      }
      if (r1.size() == maxTemplates) {
        break;
      }
      if (previous == null || !previous.samePosition(t.key())) {
        starts.add(r1.size());
      }
      previous = t.key();
      r1.add(t.r1() == null ? -1 : data.size());
      if (t.r1() != null) {
        data.writeBytes(t.r1());
      }
      r2.add(t.r2() == null ? -1 : data.size());
      if (t.r2() != null) {
        data.writeBytes(t.r2());
      }
      first.add(t.firstRecord());
    }
    byte[] d = data.toByteArray();
    int n = r1.size();
    int[] a = r1.stream().mapToInt(Integer::intValue).toArray();
    int[] z = r2.stream().mapToInt(Integer::intValue).toArray();
    boolean[] early = new boolean[n];
    long[] recNo = new long[n];
    int records = 0;
    for (int t = 0; t < n; t++) {
      early[t] = PositionKey.r1IsLower(d, a[t], d, z[t]);
      recNo[t] = first.get(t);
      records += (a[t] >= 0 ? 1 : 0) + (z[t] >= 0 ? 1 : 0);
    }
    starts.add(n);
    int[] groupStart = starts.stream().mapToInt(Integer::intValue).toArray();
    return new Batch(0, d, d.length, n, a, z, early, recNo, groupStart.length - 1, groupStart, records, credit);
  }
}
