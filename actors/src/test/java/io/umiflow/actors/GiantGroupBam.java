package io.umiflow.actors;

import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BamRecord;
import io.umiflow.codec.BgzfOutputStream;
import io.umiflow.codec.DeflateBackend;
import io.umiflow.codec.PositionKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Test inputs with one giant position group, made from a compat input: the records up to its largest
 * position group, then {@code copies} copies of that group's first paired template under new names with
 * random UMIs (so about as many distinct UMIs as the UMI length allows), then at most {@code tail} records of
 * the rest of the file. The order stays template-coordinate: the copies share the group's position.
 */
public final class GiantGroupBam {
  private GiantGroupBam() {}

  public static Path write(Path out, String compat, int copies, int tail, long seed) throws IOException {
    return write(out, compat, copies, tail, seed, 0);
  }

  /** As above, the copies spread over {@code cells} cell barcodes (CB tags) when that is positive. */
  public static Path write(Path out, String compat, int copies, int tail, long seed, int cells) throws IOException {
    Path in = JobRunner.shared(compat);
    List<byte[]> records = JobRunner.records(in);
    List<TestBatches.Template> all = TestBatches.templates(records);
    List<int[]> templates = new ArrayList<>(); // first record, end record
    List<PositionKey> keys = new ArrayList<>();
    for (TestBatches.Template t : all) {
      int first = (int) t.firstRecord() - 1;
      templates.add(new int[] {first, first + t.records().size()});
      keys.add(t.key());
    }
    int best = -1;
    int bestSize = 0;
    for (int s = 0; s < templates.size(); ) {
      int e = s + 1;
      while (e < templates.size() && keys.get(s) != null && keys.get(e) != null && keys.get(e).compareTo(keys.get(s)) == 0) {
        e++;
      }
      if (keys.get(s) != null && !keys.get(s).unmapped() && e - s > bestSize && isPair(records, templates.get(s))) {
        best = s;
        bestSize = e - s;
      }
      s = e;
    }
    int[] model = templates.get(best);
    BamHeader header = BamHeader.of(htsjdk.samtools.SamReaderFactory.makeDefault().getFileHeader(in));
    Random rnd = new Random(seed);
    try (BgzfOutputStream o = new BgzfOutputStream(Files.newOutputStream(out), 1, DeflateBackend.JDK)) {
      o.write(header.encode());
      for (int r = 0; r < model[0]; r++) {
        o.write(records.get(r));
      }
      for (int c = 0; c < copies; c++) {
        byte[] name = String.format(java.util.Locale.ROOT, "giant:%09d", c).getBytes(StandardCharsets.US_ASCII);
        byte[] umi = null;
        for (int r = model[0]; r < model[1]; r++) {
          byte[] rec = records.get(r);
          if ((BamRecord.flag(rec, 0) & (BamRecord.FLAG_SECONDARY | BamRecord.FLAG_SUPPLEMENTARY)) != 0) {
            continue;
          }
          byte[] copy = renamed(rec, name);
          int tag = BamRecord.findTag(copy, 0, 'R', 'X');
          int len = BamRecord.stringLength(copy, tag, copy.length);
          if (umi == null) {
            umi = new byte[len];
            for (int i = 0; i < len; i++) {
              umi[i] = (byte) "ACGT".charAt(rnd.nextInt(4));
            }
          }
          System.arraycopy(umi, 0, copy, tag + 1, Math.min(len, umi.length));
          if (cells > 0) {
            copy = withTag(copy, "CB", String.format(java.util.Locale.ROOT, "CELL%04d-1", c % cells));
          }
          o.write(copy);
        }
      }
      int end = (int) Math.min(records.size(), (long) model[0] + tail);
      while (end < records.size() && BamRecord.sameName(records.get(end - 1), 0, records.get(end), 0)) {
        end++; // whole templates only
      }
      for (int r = model[0]; r < end; r++) {
        o.write(records.get(r));
      }
    }
    return out;
  }

  private static boolean isPair(List<byte[]> records, int[] template) {
    int primaries = 0;
    for (int r = template[0]; r < template[1]; r++) {
      int f = BamRecord.flag(records.get(r), 0);
      if ((f & (BamRecord.FLAG_SECONDARY | BamRecord.FLAG_SUPPLEMENTARY | BamRecord.FLAG_UNMAPPED)) == 0
          && BamRecord.mapq(records.get(r), 0) > 0) {
        primaries++;
      }
    }
    return primaries == 2;
  }

  /** The record with a string tag appended. */
  private static byte[] withTag(byte[] rec, String tag, String value) {
    byte[] v = value.getBytes(StandardCharsets.US_ASCII);
    byte[] out = Arrays.copyOf(rec, rec.length + 3 + v.length + 1);
    out[rec.length] = (byte) tag.charAt(0);
    out[rec.length + 1] = (byte) tag.charAt(1);
    out[rec.length + 2] = 'Z';
    System.arraycopy(v, 0, out, rec.length + 3, v.length);
    BamRecord.putI32(out, 0, out.length - 4);
    return out;
  }

  /** The record with another read name (and its lengths fixed accordingly). */
  private static byte[] renamed(byte[] rec, byte[] name) {
    int oldLen = BamRecord.readNameLength(rec, 0);
    int restFrom = 36 + oldLen;
    byte[] out = new byte[36 + name.length + 1 + rec.length - restFrom];
    System.arraycopy(rec, 0, out, 0, 36);
    System.arraycopy(name, 0, out, 36, name.length);
    out[36 + name.length] = 0;
    System.arraycopy(rec, restFrom, out, 36 + name.length + 1, rec.length - restFrom);
    out[12] = (byte) (name.length + 1);
    BamRecord.putI32(out, 0, out.length - 4);
    return Arrays.copyOf(out, out.length);
  }
}
