package io.umiflow.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class BgzfTest {
  /** CI installs libdeflate0 and GKL always loads on its x86-64 Linux, so no backend test is skipped there. */
  @Test
  void nativeBackends_loadInCi() {
    Assumptions.assumeTrue(System.getenv("CI") != null, "only CI promises the native libraries");
    assertTrue(DeflateBackend.GKL.available(), "GKL");
    assertTrue(DeflateBackend.LIBDEFLATE.available(), "libdeflate.so.0 (Debian package libdeflate0)");
  }

  @Test
  void best_isaLAtLevelOne_libdeflateAbove() {
    Assumptions.assumeTrue(DeflateBackend.GKL.available() && DeflateBackend.LIBDEFLATE.available());
    assertEquals(DeflateBackend.GKL, DeflateBackend.best(1));
    assertEquals(DeflateBackend.GKL, DeflateBackend.best(0));
    assertEquals(DeflateBackend.LIBDEFLATE, DeflateBackend.best(5));
    assertEquals(DeflateBackend.LIBDEFLATE, DeflateBackend.parse("auto", 9));
    assertEquals(DeflateBackend.JDK, DeflateBackend.parse("JDK", 5));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DeflateBackend.parse("zstd", 5));
    assertTrue(e.getMessage().contains("unknown deflate backend zstd"), e.getMessage());
  }


  /** The named backend; skips the test where its native library does not load (never under CI, see above). */
  private static DeflateBackend usable(String backend) {
    DeflateBackend b = DeflateBackend.valueOf(backend);
    Assumptions.assumeTrue(b.available(), backend + " does not load here");
    return b;
  }

  private static byte[] compress(byte[] data, int level, DeflateBackend backend) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (BgzfOutputStream out = new BgzfOutputStream(bytes, level, backend)) {
      out.write(data);
    }
    return bytes.toByteArray();
  }

  private static byte[] decompress(byte[] bgzf, DeflateBackend backend) throws IOException {
    BgzfBlockReader reader = new BgzfBlockReader(new ByteArrayInputStream(bgzf), "test");
    BlockInflater inflater = new BlockInflater(backend);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CompressedBlock b;
    while ((b = reader.next()) != null) {
      out.writeBytes(inflater.inflate(b, "test"));
    }
    assertTrue(reader.sawEofMarker());
    return out.toByteArray();
  }

  @ParameterizedTest
  @CsvSource({"JDK,0", "JDK,1", "JDK,5", "JDK,9", "GKL,1", "GKL,5", "GKL,9", "LIBDEFLATE,0", "LIBDEFLATE,1",
      "LIBDEFLATE,5", "LIBDEFLATE,9"})
  void deflateInflate_textAndRandomData_roundTrips(String backend, int level) throws IOException {
    DeflateBackend b = usable(backend);
    Random rnd = new Random(level);
    byte[] random = new byte[200_000];
    rnd.nextBytes(random);
    byte[] text = new byte[300_000];
    for (int i = 0; i < text.length; i++) text[i] = (byte) "ACGT".charAt(rnd.nextInt(4));
    for (byte[] data : new byte[][] {random, text, new byte[0], new byte[Bgzf.MAX_PAYLOAD]}) {
      assertArrayEquals(data, decompress(compress(data, level, b), b));
      assertArrayEquals(data, decompress(compress(data, level, b), DeflateBackend.JDK));
    }
  }

  @ParameterizedTest
  @CsvSource({"JDK,1", "GKL,1", "GKL,6", "LIBDEFLATE,6"})
  void deflateAll_inputAtNonZeroOffsets_roundTrips(String backend, int level) throws IOException {
    DeflateBackend b = usable(backend);
    Random rnd = new Random(11);
    byte[] data = new byte[3 * Bgzf.MAX_PAYLOAD + 1234];
    for (int i = 0; i < data.length; i++) data[i] = (byte) "ACGTN".charAt(rnd.nextInt(5));
    try (BlockDeflater deflater = new BlockDeflater(level, b)) {
      byte[] bgzf = deflater.deflateAll(data, 77, data.length - 77);
      byte[] withEof = Arrays.copyOf(bgzf, bgzf.length + 28);
      System.arraycopy(Bgzf.eofBlock(), 0, withEof, bgzf.length, 28);
      assertArrayEquals(Arrays.copyOfRange(data, 77, data.length), decompress(withEof, DeflateBackend.JDK));
    }
  }

  @Test
  void truncatedFile_failsWithByteOffset() throws IOException {
    byte[] full = Files.readAllBytes(CompatData.file("single.tc.bam"));
    byte[] cut = Arrays.copyOf(full, 100_000);
    InputFormatException e = assertThrows(InputFormatException.class, () -> decompress(cut, DeflateBackend.JDK));
    assertTrue(e.getMessage().contains("truncated BGZF block at byte offset"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"JDK", "GKL", "LIBDEFLATE"})
  void flippedByte_failsWithCorruptBlock(String backend) throws IOException {
    DeflateBackend b = usable(backend);
    byte[] full = Files.readAllBytes(CompatData.file("single.tc.bam"));
    for (int at : new int[] {50_000, 50_001, 70_000}) {
      byte[] bad = full.clone();
      bad[at] ^= 0x5a;
      InputFormatException e = assertThrows(InputFormatException.class, () -> decompress(bad, b));
      assertTrue(e.getMessage().contains("corrupt BGZF block at byte offset"), e.getMessage());
    }
  }

  /** A footer whose ISIZE is one byte short or long of the stream must fail, never truncate or pad. */
  @ParameterizedTest
  @ValueSource(strings = {"JDK", "GKL", "LIBDEFLATE"})
  void wrongUncompressedSize_failsWithCorruptBlock(String backend) throws IOException {
    DeflateBackend b = usable(backend);
    byte[] text = "ACGTNACGGT".repeat(500).getBytes();
    byte[] good = compress(text, 1, DeflateBackend.JDK);
    int blockLength = Bgzf.u16(good, 16) + 1;
    for (int delta : new int[] {-1, 1}) {
      byte[] bad = good.clone();
      Bgzf.putI32(bad, blockLength - 4, text.length + delta);
      InputFormatException e = assertThrows(InputFormatException.class, () -> decompress(bad, b));
      assertTrue(e.getMessage().contains("corrupt BGZF block at byte offset 0"), e.getMessage());
    }
  }

  @Test
  void plainText_failsAsNotBgzf() {
    byte[] text = "@HD\tVN:1.6\n".repeat(10).getBytes();
    InputFormatException e = assertThrows(InputFormatException.class, () -> decompress(text, DeflateBackend.JDK));
    assertTrue(e.getMessage().contains("not a BGZF block at byte offset 0"), e.getMessage());
  }
}
