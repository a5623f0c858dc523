package io.umiflow.actors.sort;

import io.umiflow.actors.outofcore.SpillFolder;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BamRecord;
import io.umiflow.codec.BgzfInputStream;
import io.umiflow.codec.BgzfOutputStream;
import io.umiflow.codec.DeflateBackend;
import io.umiflow.codec.InputFormatException;
import io.umiflow.codec.TemplateCoordinateKey;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Sorts a BAM into samtools' template-coordinate order ({@link TemplateCoordinateKey}), in memory when it
 * fits and otherwise through sorted runs on disk: records are gathered until their bytes and keys reach
 * {@code bufferBytes}, sorted (stably, so equal keys keep their input order, as samtools does), and written
 * as a BGZF run under the spill folder; the runs are then merged, earlier runs first on equal keys. Disk use
 * is about the input's size (runs at level 1), removed when the sort ends, however it ends.
 *
 * <p>Cost: one key object per record (about 150 bytes beyond the record, counted in the buffer); reading,
 * sorting and writing on the calling thread.
 */
public final class TemplateSorter {
  /** Bytes a buffered record costs beyond its own: the key, its arrays, the list entries. */
  static final int RECORD_OVERHEAD = 200;

  /** What a sort did. */
  public record Result(long records, int runs, long runBytes) {}

  private final long bufferBytes;
  private final SpillFolder spill;
  private final int level;
  private final DeflateBackend backend;

  /**
   * @param bufferBytes records and keys held at once before a run is written
   * @param spill       where runs go
   * @param level       the output's compression level
   * @param backend     the output's deflater
   */
  public TemplateSorter(long bufferBytes, SpillFolder spill, int level, DeflateBackend backend) {
    this.bufferBytes = bufferBytes;
    this.spill = spill;
    this.level = level;
    this.backend = backend;
  }

  /** The header a template-coordinate sort writes: {@code @HD} as samtools writes it, and a {@code @PG} line. */
  public static BamHeader sortedHeader(BamHeader in, String version, String commandLine) {
    String text = in.text();
    String hd = "@HD\tVN:1.6\tSO:unsorted\tGO:query\tSS:unsorted:template-coordinate";
    StringBuilder out = new StringBuilder(text.length() + 64);
    boolean replaced = false;
    for (String line : text.split("\n", -1)) {
      if (line.isEmpty()) {
        continue;
      }
      if (!replaced && line.startsWith("@HD")) {
        String vn = field(line, "VN");
        out.append(vn == null ? hd : hd.replace("VN:1.6", "VN:" + vn)).append('\n');
        replaced = true;
      } else {
        out.append(line).append('\n');
      }
    }
    String body = replaced ? out.toString() : hd + "\n" + out;
    return new BamHeader(body, in.references()).withProgram("umiflow", version, commandLine);
  }

  private static String field(String line, String tag) {
    for (String f : line.split("\t")) {
      if (f.startsWith(tag + ":")) {
        return f.substring(tag.length() + 1);
      }
    }
    return null;
  }

  /**
   * Sorts the BAM in {@code compressed} (named {@code source} in messages) into {@code out} with
   * {@code header} written first (see {@link #sortedHeader}); {@code out} is not closed.
   */
  public Result sort(InputStream compressed, String source, java.util.function.Function<BamHeader, BamHeader> header,
                     OutputStream out) throws IOException {
    List<Path> runs = new ArrayList<>();
    long runBytes = 0;
    long records = 0;
    try (InputStream in = new BgzfInputStream(new BufferedInputStream(compressed, 1 << 16), source)) {
      BamHeader inHeader = BamHeader.read(in, source);
      Map<String, String> libraries = inHeader.librariesByReadGroup();
      List<Entry> buffer = new ArrayList<>();
      long held = 0;
      byte[] rec;
      while ((rec = readRecord(in, source, records + 1)) != null) {
        records++;
        buffer.add(new Entry(TemplateCoordinateKey.of(rec, 0, libraries, source, records), rec));
        held += rec.length + RECORD_OVERHEAD;
        if (held >= bufferBytes) {
          Path run = spill.newFile("sort-run");
          runBytes += writeRun(buffer, run);
          runs.add(run);
          buffer.clear();
          held = 0;
        }
      }
      BgzfOutputStream bgzf = new BgzfOutputStream(out, level, backend);
      bgzf.write(header.apply(inHeader).encode());
      if (runs.isEmpty()) {
        buffer.sort(Comparator.naturalOrder());
        for (Entry e : buffer) {
          bgzf.write(e.record);
        }
      } else {
        if (!buffer.isEmpty()) {
          Path run = spill.newFile("sort-run");
          runBytes += writeRun(buffer, run);
          runs.add(run);
          buffer.clear();
        }
        merge(runs, libraries, bgzf);
      }
      bgzf.close();
      return new Result(records, runs.size(), runBytes);
    } finally {
      for (Path run : runs) {
        Files.deleteIfExists(run);
      }
    }
  }

  /** Sorts {@code buffer} and writes it to {@code run} at level 1; returns the run's size. */
  private long writeRun(List<Entry> buffer, Path run) throws IOException {
    buffer.sort(Comparator.naturalOrder()); // List.sort is stable: equal keys keep their input order
    try (OutputStream o = new BgzfOutputStream(new BufferedOutputStream(Files.newOutputStream(run), 1 << 16), 1,
        backend)) {
      for (Entry e : buffer) {
        o.write(e.record);
      }
    }
    return Files.size(run);
  }

  /** Merges sorted runs into {@code out}; on equal keys the earlier run (earlier input) first. */
  private static void merge(List<Path> runs, Map<String, String> libraries, OutputStream out) throws IOException {
    List<InputStream> readers = new ArrayList<>();
    try {
      PriorityQueue<Head> heads = new PriorityQueue<>();
      for (int i = 0; i < runs.size(); i++) {
        InputStream r = new BgzfInputStream(new BufferedInputStream(Files.newInputStream(runs.get(i)), 1 << 16),
            runs.get(i).toString());
        readers.add(r);
        Head h = Head.next(r, i, libraries);
        if (h != null) {
          heads.add(h);
        }
      }
      Head h;
      while ((h = heads.poll()) != null) {
        out.write(h.record);
        Head next = Head.next(readers.get(h.run), h.run, libraries);
        if (next != null) {
          heads.add(next);
        }
      }
    } finally {
      for (InputStream r : readers) {
        r.close();
      }
    }
  }

  /**
   * The next whole record of {@code in} (with its {@code block_size}), checked; null at the end. A stream
   * ending inside a record, or a record whose lengths do not fit, fails naming the record.
   */
  static byte[] readRecord(InputStream in, String source, long recordNumber) throws IOException {
    byte[] size = in.readNBytes(4);
    if (size.length == 0) {
      return null;
    }
    if (size.length < 4) {
      throw new InputFormatException(source + ": the file ends inside record " + recordNumber);
    }
    int blockSize = BamRecord.i32(size, 0);
    if (blockSize < BamRecord.FIXED_SIZE || blockSize > io.umiflow.codec.RecordSplitter.MAX_RECORD) {
      throw new InputFormatException(source + ": malformed record " + recordNumber + " (block_size " + blockSize + ")");
    }
    byte[] rec = new byte[blockSize + 4];
    System.arraycopy(size, 0, rec, 0, 4);
    int got = in.readNBytes(rec, 4, blockSize);
    if (got < blockSize) {
      throw new InputFormatException(source + ": the file ends inside record " + recordNumber);
    }
    String problem = BamRecord.checkLayout(rec, 0, rec.length);
    if (problem != null) {
      throw new InputFormatException(source + ": malformed record " + recordNumber + " (" + problem + ")");
    }
    return rec;
  }

  /** A buffered record and its key; ordered by key only (the stable sort keeps input order on ties). */
  private record Entry(TemplateCoordinateKey key, byte[] record) implements Comparable<Entry> {
    @Override
    public int compareTo(Entry o) {
      return key.compareTo(o.key);
    }
  }

  /** The current record of one run in the merge. */
  private record Head(TemplateCoordinateKey key, byte[] record, int run) implements Comparable<Head> {
    static Head next(InputStream in, int run, Map<String, String> libraries) throws IOException {
      byte[] rec;
      try {
        rec = readRecord(in, "sort run " + run, 0);
      } catch (EOFException e) {
        rec = null;
      }
      return rec == null ? null : new Head(TemplateCoordinateKey.of(rec, 0, libraries, "sort run " + run, 0), rec, run);
    }

    @Override
    public int compareTo(Head o) {
      int c = key.compareTo(o.key);
      return c != 0 ? c : Integer.compare(run, o.run);
    }
  }
}
