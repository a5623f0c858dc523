package io.umiflow.actors.outofcore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.umiflow.codec.DeflateBackend;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pieces of the out-of-core path: the byte-key index against a HashMap, spill files, the folder. */
class SpillPartsTest {
  @TempDir
  Path tmp;

  @Test
  void byteKeyIndex_randomKeys_sameIdsAsHashMap() {
    for (long seed = 1; seed <= 20; seed++) {
      Random r = new Random(seed);
      ByteKeyIndex index = new ByteKeyIndex();
      Map<ByteBuffer, Integer> reference = new HashMap<>();
      int alphabet = 1 + r.nextInt(4);
      for (int i = 0; i < 20_000; i++) {
        byte[] key = new byte[r.nextInt(12)]; // short keys over a small alphabet: many repeats and collisions
        for (int j = 0; j < key.length; j++) {
          key[j] = (byte) r.nextInt(alphabet);
        }
        Integer before = reference.get(ByteBuffer.wrap(key));
        assertEquals(before == null ? -1 : before, index.find(key, 0, key.length));
        int want = reference.computeIfAbsent(ByteBuffer.wrap(key), k -> reference.size());
        assertEquals(want, index.add(key, 0, key.length), "seed " + seed + " key " + Arrays.toString(key));
        assertArrayEquals(key, Arrays.copyOfRange(index.arena(), index.start(want), index.end(want)));
      }
      assertEquals(reference.size(), index.size());
      assertEquals(-1, index.find(new byte[] {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9}, 0, 13));
      assertTrue(index.bytesAfter(0, 12) >= index.retainedBytes() - 64);
    }
  }

  private static byte[] record(String name, int flag) {
    byte[] n = (name + "\0").getBytes();
    byte[] r = new byte[4 + 32 + n.length];
    io.umiflow.codec.BamRecord.putI32(r, 0, r.length - 4);
    r[4 + 8] = (byte) n.length; // l_read_name
    io.umiflow.codec.BamRecord.putI32(r, 4 + 12, flag << 16); // flag in the high half of flag_nc
    System.arraycopy(n, 0, r, 36, n.length);
    return r;
  }

  @Test
  void spillFile_roundTripsEntries_andSortsByMoleculeStrandNameInput() throws IOException {
    Path file = tmp.resolve("s.bgzf");
    List<byte[]> entries = new ArrayList<>();
    try (SpillFile.Appender out = new SpillFile.Appender(file, DeflateBackend.JDK)) {
      for (int i = 0; i < 3000; i++) {
        byte[] a = record("read" + (i % 97), 0x41);
        byte[] b = record("read" + (i % 97), 0x81);
        byte[] d = new byte[a.length + b.length];
        System.arraycopy(a, 0, d, 0, a.length);
        System.arraycopy(b, 0, d, a.length, b.length);
        boolean onlyR2 = i % 5 == 0;
        out.append(d, onlyR2 ? -1 : 0, a.length, i % 2 == 0, 1000L + i, i % 7, i % 3 == 0, 31L * i);
        byte[] e = new byte[SpillFile.HEADER + d.length];
        entries.add(Arrays.copyOf(e, SpillFile.write(e, 0, d, onlyR2 ? -1 : 0, a.length, i % 2 == 0, 1000L + i, i % 7,
            i % 3 == 0, 31L * i)));
      }
      assertEquals(3000, out.templates());
    }
    try (SpillFile.Cursor in = new SpillFile.Cursor(file, DeflateBackend.best())) {
      for (int i = 0; i < 3000; i++) {
        assertTrue(in.next());
        assertArrayEquals(entries.get(i), Arrays.copyOf(in.buf, in.length), "entry " + i);
        assertEquals(1000L + i, in.recordNumber());
        assertEquals(i % 7, in.molecule());
        assertEquals(i % 3 == 0, in.bStrand());
        assertEquals(31L * i, in.score());
        assertEquals(i % 5 == 0, in.r1() < 0);
        assertTrue(in.r2() >= SpillFile.HEADER);
      }
      assertFalse(in.next());
    }
    // the merge order: molecule, then /A before /B, then name, then input order
    List<byte[]> sorted = new ArrayList<>(entries);
    sorted.sort((x, y) -> SpillFile.compareEntries(x, 0, y, 0));
    for (int i = 1; i < sorted.size(); i++) {
      byte[] x = sorted.get(i - 1);
      byte[] y = sorted.get(i);
      int mx = io.umiflow.codec.BamRecord.i32(x, 13);
      int my = io.umiflow.codec.BamRecord.i32(y, 13);
      assertTrue(mx < my || (mx == my && x[17] <= y[17]), "molecule and strand order");
      if (mx == my && x[17] == y[17]) {
        int c = io.umiflow.codec.BamRecord.compareNames(x, SpillFile.HEADER, y, SpillFile.HEADER);
        assertTrue(c < 0 || (c == 0 && SpillFile.getI64(x, 5) < SpillFile.getI64(y, 5)), "name, then input order");
      }
    }
  }

  @Test
  void spillFolder_createdOnDemand_deletedWithItsFiles_andAFullDiskSaysSo() throws IOException {
    SpillFolder folder = new SpillFolder(tmp);
    assertEquals(null, folder.folder());
    Path f = folder.newFile("group");
    Files.writeString(f, "x");
    assertTrue(Files.isDirectory(folder.folder()));
    assertTrue(folder.folder().getFileName().toString().startsWith(".umiflow-spill-"));
    folder.deleteAll();
    try (java.util.stream.Stream<Path> left = Files.list(tmp)) {
      assertEquals(0, left.count());
    }
    String message = folder.describe(new IOException("No space left on device"));
    assertTrue(message.contains("the disk is full") && message.contains(tmp.toString()), message);
    assertTrue(new SpillFolder(tmp.resolve("missing")).describe(new IOException("x")).contains("--tmp-dir"));
  }
}
