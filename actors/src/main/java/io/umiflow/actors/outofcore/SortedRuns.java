package io.umiflow.actors.outofcore;

import io.umiflow.assign.IntSort;
import io.umiflow.codec.DeflateBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The sorted runs of one spilled group on disk, in the out-of-core output order (molecule, /A before /B,
 * read name, input order; {@link SpillFile#compareEntries}), and their merge. Memory: a run is sorted in the
 * caller's buffer; a merge holds one cursor ({@link #CURSOR_BYTES}) per run merged at once, so many runs
 * merge in levels.
 */
final class SortedRuns {
  /** What one open run costs while merging: its BGZF input buffers and entry buffer. */
  static final long CURSOR_BYTES = 256L << 10;
  private static final int MAX_FAN_IN = 64;

  /** Where merged entries go. */
  interface EntrySink {
    void accept(SpillFile.Cursor c) throws IOException;
  }

  private final SpillFolder folder;
  private final DeflateBackend backend;
  private final List<Path> runs = new ArrayList<>();

  SortedRuns(SpillFolder folder, DeflateBackend backend) {
    this.folder = folder;
    this.backend = backend;
  }

  /**
   * Sorts the {@code n} entries at {@code offsets} of {@code run} and writes them as a new run. Sorts like the
   * in-memory path sorts a group: a primitive sort on (molecule, strand, position in the run) first, then
   * names (and input order) only inside each family, where they differ.
   */
  void write(byte[] run, int[] offsets, int n) throws IOException {
    long[] keys = new long[n];
    for (int i = 0; i < n; i++) {
      int at = offsets[i];
      keys[i] = ((long) SpillFile.molecule(run, at) << 32) | (SpillFile.bStrand(run, at) ? 1L << 31 : 0) | i;
    }
    Arrays.sort(keys);
    int[] sorted = new int[n];
    for (int i = 0; i < n; i++) {
      sorted[i] = offsets[(int) (keys[i] & 0x7fffffffL)];
    }
    int[] scratch = new int[n];
    for (int s = 0; s < n; ) {
      int e = s + 1;
      while (e < n && (keys[e] >>> 31) == (keys[s] >>> 31)) {
        e++;
      }
      if (e - s > 1) {
        int[] family = Arrays.copyOfRange(sorted, s, e);
        int[] byName = IntSort.sort(family, e - s, scratch, (x, y) -> SpillFile.compareEntries(run, x, run, y));
        System.arraycopy(byName, 0, sorted, s, e - s);
      }
      s = e;
    }
    Path path = folder.newFile("run");
    try (SpillFile.Appender out = new SpillFile.Appender(path, backend)) {
      for (int i = 0; i < n; i++) {
        out.appendRaw(run, sorted[i]);
      }
    }
    runs.add(path);
  }

  /**
   * Merges every run into {@code sink} in order, deleting each once read, within {@code free} bytes of
   * cursors: first merges runs in levels until one merge of the fan-in that allows is left.
   */
  void mergeInto(EntrySink sink, long free) throws IOException {
    int fanIn = (int) Math.max(2, Math.min(MAX_FAN_IN, free / CURSOR_BYTES));
    while (runs.size() > fanIn) {
      List<Path> some = new ArrayList<>(runs.subList(0, fanIn));
      runs.subList(0, fanIn).clear();
      Path merged = folder.newFile("run");
      try (SpillFile.Appender out = new SpillFile.Appender(merged, backend)) {
        merge(some, out::append);
      }
      runs.add(merged);
    }
    List<Path> last = new ArrayList<>(runs);
    runs.clear();
    merge(last, sink);
  }

  private void merge(List<Path> paths, EntrySink sink) throws IOException {
    PriorityQueue<SpillFile.Cursor> heads = new PriorityQueue<>(
        (a, b) -> SpillFile.compareEntries(a.buf, 0, b.buf, 0));
    List<SpillFile.Cursor> open = new ArrayList<>();
    try {
      for (Path p : paths) {
        SpillFile.Cursor c = new SpillFile.Cursor(p, backend);
        open.add(c);
        if (c.next()) {
          heads.add(c);
        }
      }
      while (!heads.isEmpty()) {
        SpillFile.Cursor c = heads.poll();
        sink.accept(c);
        if (c.next()) {
          heads.add(c);
        }
      }
    } finally {
      for (SpillFile.Cursor c : open) {
        c.close();
      }
      for (Path p : paths) {
        Files.deleteIfExists(p);
      }
    }
  }
}
