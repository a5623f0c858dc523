package io.umiflow.actors.sort;

import io.umiflow.actors.outofcore.SpillFolder;
import io.umiflow.codec.BamRecord;
import io.umiflow.codec.Bgzf;
import io.umiflow.codec.BgzfInputStream;
import io.umiflow.codec.DeflateBackend;
import io.umiflow.codec.InputFormatException;
import io.umiflow.codec.RecordSplitter;
import io.umiflow.codec.TemplateCoordinateKey;
import java.io.BufferedInputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.Executor;

/**
 * The engine of the template-coordinate sort ({@link TemplateCoordinateKey}), shared by {@code umiflow sort}
 * and {@code group}'s own sort: records are {@link #add added} with their keys into a buffer whose heap cost
 * the caller watches ({@link #held()}); a full buffer is {@link #spill spilled} as a stably sorted run of
 * level-1 BGZF blocks under the spill folder, compressed on the given executor; {@link #sorted} then
 * streams every record in order, merging the runs and the buffer's last records (kept in memory), earlier
 * input first on equal keys as samtools' stable merge does.
 *
 * <p>Cost: the records' bytes plus about {@link #overhead} each for the key and the entry; beside the buffer,
 * {@link #workBytes} while a run is written, and {@link #RUN_READER_BYTES} per run while merging (more runs
 * than the merge's memory reads at once are first merged into fewer, larger ones). Disk: about the input's
 * size at level 1.
 * Not thread-safe: one caller drives it.
 */
public final class TemplateRuns implements AutoCloseable {
  /** What merging holds per run: its file buffer, one compressed and one inflated block, the head record. */
  public static final long RUN_READER_BYTES = (16 << 10) + 2L * Bgzf.MAX_BLOCK_SIZE + (16 << 10);
  /**
   * The most a sort should buffer: larger buffers make fewer runs but no faster sort (merging more runs costs
   * little), while the fresh heap they touch costs kernel time and RSS (2M records at a 2.3 GiB budget: 7.5 s
   * and 1.7 GB RSS with one 1.8 GiB buffer; 6.6 s with 256 MiB buffers; 6.1 s and 600 MiB with 128 MiB).
   */
  public static final long MAX_BUFFER = 128L << 20;
  /** What a buffered record costs beyond its bytes: the key, its arrays and the entry (see {@link #overhead}). */
  static final int FIXED_OVERHEAD = 176;

  private final Map<String, String> libraries;
  private final String source;
  private final SpillFolder spill;
  private final DeflateBackend backend;
  private final Executor executor;
  private final int parallelism;
  private final List<Path> runs = new ArrayList<>();
  private final List<InputStream> openReaders = new ArrayList<>();
  private Entry[] buffer = new Entry[1024];
  private int size;
  private long held;
  private long records;
  private long runBytes;
  private int intermediateMerges;
  /** While merging: the heap the in-memory last run still holds, by {@link #overhead}. */
  private long tailHeld;
  /** While merging: run files read at once. */
  private int filesMerged;

  /**
   * @param libraries   read group ID to library ({@link io.umiflow.codec.BamHeader#librariesByReadGroup()})
   * @param source      the input, as messages name it
   * @param spill       where runs go
   * @param backend     the runs' deflater
   * @param executor    where runs are compressed (the caller's thread waits for them)
   * @param parallelism compression tasks in flight at once
   */
  public TemplateRuns(Map<String, String> libraries, String source, SpillFolder spill, DeflateBackend backend,
                      Executor executor, int parallelism) {
    this.libraries = libraries;
    this.source = source;
    this.spill = spill;
    this.backend = backend;
    this.executor = executor;
    this.parallelism = Math.max(1, parallelism);
  }

  /** Bytes writing a run holds beside the buffer: the segments in flight, raw and compressed. */
  public static long workBytes(int parallelism) {
    return ParallelBgzfOutput.bytesHeld(parallelism);
  }

  /** The heap a buffered record of {@code length} bytes costs beyond them: key fields, name, MI, entry. */
  static long overhead(byte[] rec) {
    return FIXED_OVERHEAD + 2L * BamRecord.readNameLength(rec, 0);
  }

  /** Takes the whole record {@code rec} (its {@code block_size} first; kept, not copied), number {@code n}. */
  public void add(byte[] rec) throws InputFormatException {
    records++;
    TemplateCoordinateKey key = TemplateCoordinateKey.of(rec, 0, libraries, source, records);
    if (size == buffer.length) {
      buffer = Arrays.copyOf(buffer, size + (size >> 1));
    }
    buffer[size++] = new Entry(key, rec);
    held += cost(rec);
  }

  /** Heap the buffered records cost now, by {@link #overhead}. */
  public long held() {
    return held;
  }

  public long records() {
    return records;
  }

  public int runs() {
    return runs.size() + intermediateMerges;
  }

  /** Bytes the runs took on disk, intermediate merges included. */
  public long runBytes() {
    return runBytes;
  }

  /** Sorts the buffer and writes it as a run; the buffer is empty afterwards. */
  public void spill() throws IOException {
    sortBuffer();
    spillPrefix(0);
    if (buffer.length > 1 << 16) {
      buffer = new Entry[1024]; // the next run may be smaller; do not keep a large empty array
    }
  }

  /**
   * Writes the sorted buffer's first records as a run, keeping in the buffer its last records that cost at
   * most {@code keep}: they follow the run's in key order (or in input order on equal keys), so the two stay
   * two sorted runs in input order.
   */
  private void spillPrefix(long keep) throws IOException {
    int from = size;
    long kept = 0;
    while (from > 0 && kept + cost(buffer[from - 1].record) <= keep) {
      kept += cost(buffer[--from].record);
    }
    if (from == 0) {
      return;
    }
    Path run = spill.newFile("sort-run");
    try (OutputStream out = runOutput(run)) {
      for (int i = 0; i < from; i++) {
        out.write(buffer[i].record);
      }
    }
    runBytes += Files.size(run);
    runs.add(run);
    System.arraycopy(buffer, from, buffer, 0, size - from);
    Arrays.fill(buffer, size - from, size, null);
    size -= from;
    held = kept;
  }

  private static long cost(byte[] rec) {
    return rec.length + overhead(rec);
  }

  private OutputStream runOutput(Path run) throws IOException {
    return new ParallelBgzfOutput(new FileOutputStream(run.toFile()), 1, backend, executor, parallelism);
  }

  /** Stable: equal keys keep their input order. */
  private void sortBuffer() {
    Arrays.parallelSort(buffer, 0, size);
  }

  /**
   * Every record added, in template-coordinate order, as a stream of raw BAM records (each with its
   * {@code block_size}). Merging may hold {@code mergeBytes}: the buffer's last records in order stay in
   * memory as the last run, as many as fit in it (in half of it when there are runs on disk too), the others
   * are spilled as a run before it, and each run read at once takes {@link #RUN_READER_BYTES}; with more runs than that allows, the
   * earliest are merged into larger runs first. Call once, after the last add.
   */
  public InputStream sorted(long mergeBytes) throws IOException {
    sortBuffer();
    spillPrefix(runs.isEmpty() ? mergeBytes : mergeBytes / 2);
    int fanIn = (int) Math.max(2, Math.min(1024, (mergeBytes - held) / RUN_READER_BYTES));
    int maxFiles = Math.max(2, fanIn - (size > 0 ? 1 : 0));
    while (runs.size() > maxFiles) {
      mergeEarliest(Math.max(2, fanIn));
    }
    List<Cursor> cursors = new ArrayList<>();
    for (Path run : runs) {
      cursors.add(new FileCursor(open(run), libraries, run.toString()));
    }
    filesMerged = runs.size();
    if (size > 0) {
      cursors.add(new MemoryCursor(Arrays.copyOf(buffer, size)));
    }
    tailHeld = held;
    buffer = new Entry[0];
    size = 0;
    held = 0;
    return new MergedRecords(cursors);
  }

  /** Merges the first {@code n} runs into one run in their place (it holds the earliest input). */
  private void mergeEarliest(int n) throws IOException {
    List<Cursor> cursors = new ArrayList<>();
    List<Path> merged = new ArrayList<>(runs.subList(0, n));
    for (Path run : merged) {
      cursors.add(new FileCursor(open(run), libraries, run.toString()));
    }
    Path into = spill.newFile("sort-run");
    try (InputStream in = new MergedRecords(cursors); OutputStream out = runOutput(into)) {
      in.transferTo(out);
    }
    for (Path run : merged) {
      Files.deleteIfExists(run);
    }
    runBytes += Files.size(into);
    runs.subList(0, n).clear();
    runs.add(0, into);
    intermediateMerges += n - 1;
  }

  private InputStream open(Path run) throws IOException {
    InputStream in = new BgzfInputStream(new BufferedInputStream(new FileInputStream(run.toFile()), 16 << 10),
        run.toString(), backend);
    openReaders.add(in);
    return in;
  }

  /** Deletes the runs and closes their readers; the buffer is dropped. */
  @Override
  public void close() {
    for (InputStream in : openReaders) {
      try {
        in.close();
      } catch (IOException ignored) {
        // being deleted anyway
      }
    }
    openReaders.clear();
    for (Path run : runs) {
      try {
        Files.deleteIfExists(run);
      } catch (IOException ignored) {
        // the spill folder's own clean-up removes what is left
      }
    }
    runs.clear();
    buffer = new Entry[0];
    size = 0;
    held = 0;
  }

  /** A buffered record and its key; ordered by key only (the stable sort keeps input order on ties). */
  private record Entry(TemplateCoordinateKey key, byte[] record) implements Comparable<Entry> {
    @Override
    public int compareTo(Entry o) {
      return key.compareTo(o.key);
    }
  }

  /** One sorted run being merged. */
  private interface Cursor extends java.io.Closeable {
    /** The next record and its key, or null at the end. */
    Entry next() throws IOException;

    @Override
    default void close() throws IOException {}
  }

  /** The heap the merge holds now: run readers and what the in-memory last run has not yet given out. */
  public long mergeHeld() {
    return filesMerged * RUN_READER_BYTES + tailHeld;
  }

  /** The buffer's last records, sorted, given out and forgotten one by one. */
  private final class MemoryCursor implements Cursor {
    private final Entry[] entries;
    private int at;

    MemoryCursor(Entry[] entries) {
      this.entries = entries;
    }

    @Override
    public Entry next() {
      if (at == entries.length) {
        return null;
      }
      Entry e = entries[at];
      entries[at++] = null; // merged records can be collected
      tailHeld -= cost(e.record);
      return e;
    }
  }

  private record FileCursor(InputStream in, Map<String, String> libraries, String name) implements Cursor {
    @Override
    public Entry next() throws IOException {
      byte[] rec = RecordReading.next(in, name, 0);
      return rec == null ? null : new Entry(TemplateCoordinateKey.of(rec, 0, libraries, name, 0), rec);
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** The k-way merge of sorted cursors as a byte stream; on equal keys the earlier cursor's record first. */
  private static final class MergedRecords extends InputStream {
    private record Head(Entry entry, int cursor) implements Comparable<Head> {
      @Override
      public int compareTo(Head o) {
        int c = entry.key.compareTo(o.entry.key);
        return c != 0 ? c : Integer.compare(cursor, o.cursor);
      }
    }

    private final List<Cursor> cursors;
    private final PriorityQueue<Head> heads = new PriorityQueue<>();
    private byte[] current = new byte[0];
    private int pos;

    MergedRecords(List<Cursor> cursors) throws IOException {
      this.cursors = cursors;
      for (int i = 0; i < cursors.size(); i++) {
        Entry e = cursors.get(i).next();
        if (e != null) {
          heads.add(new Head(e, i));
        }
      }
    }

    private boolean advance() throws IOException {
      Head h = heads.poll();
      if (h == null) {
        return false;
      }
      current = h.entry.record;
      pos = 0;
      Entry next = cursors.get(h.cursor).next();
      if (next != null) {
        heads.add(new Head(next, h.cursor));
      }
      return true;
    }

    @Override
    public void close() throws IOException {
      for (Cursor c : cursors) {
        c.close();
      }
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      int n = 0;
      while (n < len) {
        if (pos == current.length && !advance()) {
          break;
        }
        int k = Math.min(len - n, current.length - pos);
        System.arraycopy(current, pos, b, off + n, k);
        pos += k;
        n += k;
      }
      return n == 0 ? -1 : n;
    }
  }

  /** Whole records from a stream of raw BAM records. */
  public static final class RecordReading {
    private RecordReading() {}

    /**
     * The next whole record of {@code in} (with its {@code block_size}), checked; null at the end. A stream
     * ending inside a record, or a record whose lengths do not fit, fails naming the record.
     */
    public static byte[] next(InputStream in, String source, long recordNumber) throws IOException {
      byte[] size = in.readNBytes(4);
      if (size.length == 0) {
        return null;
      }
      if (size.length < 4) {
        throw new InputFormatException(source + ": the file ends inside record " + recordNumber);
      }
      int blockSize = BamRecord.i32(size, 0);
      if (blockSize < BamRecord.FIXED_SIZE || blockSize > RecordSplitter.MAX_RECORD) {
        throw new InputFormatException(source + ": malformed record " + recordNumber + " (block_size " + blockSize
            + ")");
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
  }
}
