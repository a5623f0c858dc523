package io.umiflow.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RecordSplitterTest {
  private static byte[] recordBytes(List<byte[]> records) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] r : records) all.writeBytes(r);
    return all.toByteArray();
  }

  /** The grouper sizes its buffers on this bound: one feed emits at most the chunk plus what was carried in. */
  @Test
  void feed_randomChunking_emitsEveryRecordOnceAndWithinChunkPlusCarry() throws IOException {
    BamHeader[] h = new BamHeader[1];
    List<byte[]> records = BamCodecTest.readRaw(Files.newInputStream(CompatData.file("single.tc.bam")), "s", h)
        .subList(0, 20_000);
    byte[] all = recordBytes(records);
    Random rnd = new Random(1);
    for (int round = 0; round < 20; round++) {
      RecordSplitter splitter = new RecordSplitter("test");
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      long[] emitted = new long[1];
      int p = 0;
      while (p < all.length) {
        int len = Math.min(all.length - p, 1 + rnd.nextInt(round < 10 ? 700 : 70_000));
        long allowed = len + splitter.carriedBytes();
        emitted[0] = 0;
        splitter.feed(all, p, len, (b, off, n, no) -> {
          out.write(b, off, n);
          emitted[0] += n;
        });
        assertTrue(emitted[0] <= allowed, "emitted " + emitted[0] + " > chunk + carry " + allowed);
        p += len;
      }
      splitter.finish();
      assertEquals(records.size(), splitter.records());
      assertArrayEquals(all, out.toByteArray());
    }
  }

  /**
   * Feeding with a record limit stops at record boundaries and loses nothing; the carry buffer never grows
   * past the constant-time bound the grouper takes credits for.
   */
  @Test
  void feed_recordLimitAndRandomChunking_sameRecords_carryWithinItsBound() throws IOException {
    BamHeader[] h = new BamHeader[1];
    List<byte[]> records = BamCodecTest.readRaw(Files.newInputStream(CompatData.file("single.tc.bam")), "s", h)
        .subList(0, 20_000);
    byte[] all = recordBytes(records);
    Random rnd = new Random(2);
    for (int round = 0; round < 20; round++) {
      RecordSplitter splitter = new RecordSplitter("test");
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int[] emitted = new int[1];
      int p = 0;
      while (p < all.length) {
        int len = Math.min(all.length - p, 1 + rnd.nextInt(round < 10 ? 700 : 70_000));
        int max = 1 + rnd.nextInt(round % 2 == 0 ? 3 : 300);
        int bound = splitter.carryCapacityBound(all, p, len);
        emitted[0] = 0;
        int consumed = splitter.feed(all, p, len, max, (b, off, n, no) -> {
          out.write(b, off, n);
          emitted[0]++;
        });
        assertTrue(emitted[0] <= max, "emitted " + emitted[0] + " records with a limit of " + max);
        assertTrue(consumed == len || emitted[0] == max, "stopped early without reaching the limit");
        assertTrue(consumed > 0 && consumed <= len);
        assertTrue(splitter.carryCapacity() <= bound, "carry " + splitter.carryCapacity() + " > bound " + bound);
        p += consumed;
      }
      splitter.finish();
      assertEquals(records.size(), splitter.records());
      assertArrayEquals(all, out.toByteArray());
    }
  }

  @Test
  void finish_insideARecord_failsAsTruncated() throws IOException {
    BamHeader[] h = new BamHeader[1];
    byte[] all = recordBytes(BamCodecTest.readRaw(Files.newInputStream(CompatData.file("single.tc.bam")), "s", h)
        .subList(0, 10));
    RecordSplitter splitter = new RecordSplitter("x.bam");
    splitter.feed(all, 0, all.length - 5, (b, off, n, no) -> { });
    InputFormatException e = assertThrows(InputFormatException.class, splitter::finish);
    assertTrue(e.getMessage().contains("x.bam: file ends inside record 10"), e.getMessage());
  }

  @Test
  void garbageLength_failsWithRecordNumber() {
    byte[] junk = new byte[64];
    junk[0] = 5; // block_size 5 is below the fixed fields
    RecordSplitter splitter = new RecordSplitter("x.bam");
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> splitter.feed(junk, 0, junk.length, (b, off, n, no) -> { }));
    assertTrue(e.getMessage().contains("x.bam: malformed record 1"), e.getMessage());
  }

  /** The watched tag is seen from the first record that holds it on, and never before. */
  @Test
  void watchTag_seenOnceARecordHoldsIt_notBefore() throws IOException {
    BamHeader[] h = new BamHeader[1];
    List<byte[]> records = BamCodecTest.readRaw(Files.newInputStream(CompatData.file("single.tc.bam")), "s", h)
        .subList(0, 3000);
    RecordSplitter plain = new RecordSplitter("s");
    assertTrue(plain.watchedTagSeen(), "with nothing watched, callers must search");
    RecordSplitter absent = new RecordSplitter("s");
    absent.watchTag("MI");
    absent.feed(recordBytes(records), 0, recordBytes(records).length, (b, off, len, no) -> { });
    assertTrue(!absent.watchedTagSeen());

    java.util.List<byte[]> tagged = new java.util.ArrayList<>(records);
    byte[] r = tagged.get(2000);
    byte[] withMi = new byte[TagEditor.maxEditedSize(r, 0, 3)];
    int n = TagEditor.copyWithStringTag(r, 0, 'M', 'I', "7/A".getBytes(), 3, withMi, 0);
    tagged.set(2000, java.util.Arrays.copyOf(withMi, n));
    byte[] all = recordBytes(tagged);
    RecordSplitter watching = new RecordSplitter("s");
    watching.watchTag("MI");
    boolean[] seenBefore = new boolean[tagged.size() + 1];
    watching.feed(all, 0, all.length, (b, off, len, no) -> seenBefore[(int) no] = watching.watchedTagSeen());
    for (int i = 1; i <= tagged.size(); i++) {
      assertEquals(i >= 2001, seenBefore[i], "record " + i);
    }
  }
}
