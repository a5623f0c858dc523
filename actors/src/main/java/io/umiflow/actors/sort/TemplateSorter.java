package io.umiflow.actors.sort;

import io.umiflow.actors.outofcore.SpillFolder;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BgzfBlockReader;
import io.umiflow.codec.DeflateBackend;
import io.umiflow.codec.InputFormatException;
import io.umiflow.codec.TemplateCoordinateKey;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * {@code umiflow sort}: a BAM in any order to samtools' template-coordinate order ({@link TemplateCoordinateKey})
 * through {@link TemplateRuns}: the input inflated ahead on the executor, records gathered until their heap
 * cost reaches the buffer, sorted and spilled as runs when they do not all fit, then merged into the output,
 * compressed on the executor. Disk use is about the input's size (runs at level 1), removed when the sort
 * ends, however it ends.
 */
public final class TemplateSorter {
  /** What a sort did. */
  public record Result(long records, int runs, long runBytes) {}

  /** What a running sort has done so far, for progress; read from any thread. */
  public static final class Counters {
    /** Compressed input bytes read. */
    public final java.util.concurrent.atomic.AtomicLong compressedRead = new java.util.concurrent.atomic.AtomicLong();
    /** Records read. */
    public volatile long recordsRead;
    /** Uncompressed record bytes read; once {@link #writing}, all of them. */
    public volatile long bytesRead;
    /** Uncompressed record bytes written to the output. */
    public volatile long bytesWritten;
    /** Whether the input is read and the output is being written. */
    public volatile boolean writing;
  }

  private final long budget;
  private final SpillFolder spill;
  private final int level;
  private final DeflateBackend backend;
  private final Executor executor;
  private final int threads;

  /**
   * @param budget   heap the sort may hold: records and keys, run readers, compression and inflation buffers
   * @param spill    where runs go
   * @param level    the output's compression level
   * @param backend  the output's deflater
   * @param executor where blocks are inflated and compressed
   * @param threads  tasks in flight on it at once
   */
  public TemplateSorter(long budget, SpillFolder spill, int level, DeflateBackend backend, Executor executor,
                        int threads) {
    this.budget = budget;
    this.spill = spill;
    this.level = level;
    this.backend = backend;
    this.executor = executor;
    this.threads = Math.max(1, threads);
  }

  /** The records and keys the sort buffers at once: the budget less the inflating and compressing buffers. */
  long bufferBytes() {
    return Math.max(1 << 20, Math.min(TemplateRuns.MAX_BUFFER,
        budget - ParallelBgzfInput.bytesHeld(threads) - ParallelBgzfOutput.bytesHeld(threads)));
  }

  /** The header a template-coordinate sort writes: {@code @HD} as samtools writes it, and a {@code @PG} line. */
  public static BamHeader sortedHeader(BamHeader in, String version, String commandLine) {
    return sortedHeader(in).withProgram("umiflow", version, commandLine);
  }

  /** {@code in} with the {@code @HD} line samtools writes for template-coordinate order (added if missing). */
  public static BamHeader sortedHeader(BamHeader in) {
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
    return new BamHeader(body, in.references());
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
   * {@code header} written first (see {@link #sortedHeader}); {@code out} is closed. {@code counters} are
   * kept up to date.
   */
  public Result sort(InputStream compressed, String source, Function<BamHeader, BamHeader> header,
                     OutputStream out, Counters counters) throws IOException {
    try (InputStream in = new ParallelBgzfInput(new BgzfBlockReader(new BufferedInputStream(compressed, 1 << 16),
        source), source, DeflateBackend.best(1), executor, threads, counters.compressedRead::addAndGet)) {
      BamHeader inHeader = BamHeader.read(in, source);
      try (TemplateRuns runs = new TemplateRuns(inHeader.librariesByReadGroup(), source, spill, DeflateBackend.best(1),
          executor, threads)) {
        long buffer = bufferBytes();
        byte[] rec;
        while ((rec = TemplateRuns.RecordReading.next(in, source, runs.records() + 1)) != null) {
          runs.add(rec);
          counters.recordsRead = runs.records();
          counters.bytesRead += rec.length;
          if (runs.held() >= buffer) {
            runs.spill();
          }
        }
        if (!((ParallelBgzfInput) in).sawEofMarker()) {
          throw new InputFormatException(source + ": missing BGZF end-of-file marker; the file is truncated");
        }
        try (OutputStream bgzf = new ParallelBgzfOutput(out, level, backend, executor, threads);
             InputStream sorted = runs.sorted(buffer)) {
          counters.writing = true;
          bgzf.write(header.apply(inHeader).encode());
          byte[] copy = new byte[1 << 16];
          for (int n; (n = sorted.read(copy)) > 0; ) {
            bgzf.write(copy, 0, n);
            counters.bytesWritten += n;
          }
        }
        return new Result(runs.records(), runs.runs(), runs.runBytes());
      }
    }
  }
}
