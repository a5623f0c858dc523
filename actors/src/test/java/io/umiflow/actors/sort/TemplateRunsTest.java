package io.umiflow.actors.sort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.umiflow.actors.JobRunner;
import io.umiflow.actors.outofcore.SpillFolder;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BamRecord;
import io.umiflow.codec.BgzfInputStream;
import io.umiflow.codec.DeflateBackend;
import io.umiflow.codec.TemplateCoordinateKey;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TemplateRuns} against the plain reference: a stable sort of every record by its key. Records of the
 * compat input, shuffled, with duplicated records so that equal keys occur (their input order must be kept);
 * buffer sizes from everything in memory to a few records per run, merge memory from many runs at once to
 * two at a time (merges of merges), and a last run kept in memory whole, in part or not at all.
 */
class TemplateRunsTest {
  @TempDir
  static Path dir;
  static List<byte[]> records;
  static Map<String, String> libraries;
  static ExecutorService pool;

  @BeforeAll
  static void load() throws Exception {
    Path bam = JobRunner.shared("paired.tc.bam");
    try (InputStream in = new BgzfInputStream(new BufferedInputStream(Files.newInputStream(bam)), bam.toString())) {
      libraries = BamHeader.read(in, bam.toString()).librariesByReadGroup();
    }
    List<byte[]> all = JobRunner.records(bam);
    records = new ArrayList<>(all.subList(0, 20_000));
    Random random = new Random(7);
    for (int i = 0; i < 2_000; i++) { // copies with another base quality: equal keys, different bytes
      byte[] copy = records.get(random.nextInt(records.size())).clone();
      int q = BamRecord.qualOffset(copy, 0);
      copy[q] = (byte) (copy[q] == 30 ? 31 : 30);
      records.add(copy);
    }
    Collections.shuffle(records, random);
    pool = Executors.newFixedThreadPool(2);
  }

  @AfterAll
  static void stop() {
    pool.shutdownNow();
  }

  /** The reference: stable sort by key, as identity indices so that equal records are still told apart. */
  private static List<Integer> reference() throws Exception {
    List<TemplateCoordinateKey> keys = new ArrayList<>();
    for (byte[] r : records) {
      keys.add(TemplateCoordinateKey.of(r, 0, libraries, "test", 0));
    }
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < records.size(); i++) {
      order.add(i);
    }
    order.sort(Comparator.comparing(keys::get)); // List.sort is stable
    return order;
  }

  @Test
  void everyBufferAndMergeSize_givesTheStableSortByKey() throws Exception {
    List<Integer> expected = reference();
    long total = records.stream().mapToLong(r -> r.length + 300L).sum();
    long[][] cases = { // buffer bytes, merge bytes
        {total * 2, total * 2}, // in memory
        {total / 3, total * 2}, // three runs, the last kept in memory
        {total / 10, total / 10}, // ten runs, the last split: part spilled, part kept
        {200_000, 4 * TemplateRuns.RUN_READER_BYTES}, // dozens of runs, merged a few at a time
        {20_000, 0}, // hundreds of runs, merged two at a time; nothing kept in memory
    };
    for (long[] c : cases) {
      SpillFolder spill = new SpillFolder(dir);
      List<byte[]> out = new ArrayList<>();
      try (TemplateRuns runs = new TemplateRuns(libraries, "test", spill, DeflateBackend.best(1), pool, 2)) {
        for (byte[] r : records) {
          runs.add(r);
          if (runs.held() >= c[0]) {
            runs.spill();
          }
        }
        try (InputStream sorted = runs.sorted(c[1])) {
          byte[] rec;
          while ((rec = TemplateRuns.RecordReading.next(sorted, "sorted", 0)) != null) {
            out.add(rec);
          }
        }
        assertTrue(c[0] > total || runs.runs() > 0, "spilled");
      }
      String label = "buffer " + c[0] + ", merge " + c[1];
      assertEquals(expected.size(), out.size(), label);
      for (int i = 0; i < out.size(); i++) {
        assertTrue(Arrays.equals(out.get(i), records.get(expected.get(i))), label + ": record " + i);
      }
      spill.deleteAll();
      try (Stream<Path> left = Files.list(dir)) {
        assertEquals(0, left.count(), label + ": runs removed");
      }
    }
  }
}
