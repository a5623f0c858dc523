package io.umiflow.actors.outofcore;

import io.umiflow.codec.BamRecord;
import io.umiflow.codec.BgzfInputStream;
import io.umiflow.codec.BgzfOutputStream;
import io.umiflow.codec.DeflateBackend;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Templates on disk, for position groups too large for memory: the grouper streams a giant group into one,
 * and the out-of-core path writes its sorted runs into more. BGZF at level 1 (fast, ~4x smaller than the
 * records). Each entry is one template:
 *
 * <pre>
 *   int   length of the rest of the entry
 *   byte  flags: 1 R1 present, 2 R2 present, 4 R1 is the earlier end
 *   long  number of the template's first record in the input (for messages)
 *   int   molecule (batch-local; -1 before assignment)
 *   byte  1 when on the /B strand
 *   long  duplicate-marking score
 *   R1 record, then R2 record, each as in BAM (with its block_size)
 * </pre>
 *
 * <p>Memory: a fixed ~200 KiB of buffers per open file, whatever its size.
 */
public final class SpillFile {
  // offsets of the header fields in an entry
  private static final int FLAGS = 4;
  private static final int RECORD_NUMBER = 5;
  private static final int MOLECULE = 13;
  private static final int STRAND = 17;
  private static final int SCORE = 18;
  static final int HEADER = SCORE + 8;
  private static final int BUFFER = 64 << 10;

  private SpillFile() {}

  /** Appends entries to a new file. */
  public static final class Appender implements AutoCloseable {
    private final Path path;
    private final OutputStream out;
    private final byte[] header = new byte[HEADER];
    private long templates;
    private long recordBytes;

    public Appender(Path path, DeflateBackend backend) throws IOException {
      this.path = path;
      // level 1, where ISA-L beats libdeflate
      DeflateBackend level1 = backend == DeflateBackend.LIBDEFLATE ? DeflateBackend.best(1) : backend;
      this.out = new BgzfOutputStream(new BufferedOutputStream(Files.newOutputStream(path), BUFFER), 1, level1);
    }

    public Path path() {
      return path;
    }

    public long templates() {
      return templates;
    }

    /** Bytes of the records appended by {@link #append(byte[], int, int, boolean, long, int, boolean, long)}. */
    public long recordBytes() {
      return recordBytes;
    }

    /** Appends a template whose records lie at {@code r1} and {@code r2} of {@code d} (-1 when absent). */
    public void append(byte[] d, int r1, int r2, boolean r1Earlier, long recordNumber, int molecule, boolean bStrand,
                long score) throws IOException {
      int len1 = r1 >= 0 ? BamRecord.totalSize(d, r1) : 0;
      int len2 = r2 >= 0 ? BamRecord.totalSize(d, r2) : 0;
      writeHeader(header, 0, len1 + len2, r1 >= 0, r2 >= 0, r1Earlier, recordNumber, molecule, bStrand, score);
      out.write(header, 0, HEADER);
      if (r1 >= 0) {
        out.write(d, r1, len1);
      }
      if (r2 >= 0) {
        out.write(d, r2, len2);
      }
      templates++;
      recordBytes += len1 + len2;
    }

    /** Appends the entry that starts at {@code off} of {@code b} (as {@link SpillFile#write} laid it out). */
    void appendRaw(byte[] b, int off) throws IOException {
      out.write(b, off, 4 + BamRecord.i32(b, off));
      templates++;
    }

    /** Appends the entry a cursor is on, as it is. */
    void append(Cursor c) throws IOException {
      out.write(c.buf, 0, c.length);
      templates++;
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }

  /** Reads entries one at a time into a reusable buffer. */
  static final class Cursor implements AutoCloseable {
    private final InputStream in;
    private final String source;
    byte[] buf = new byte[1 << 12];
    /** Bytes of the current entry in {@link #buf}, header included. */
    int length;

    Cursor(Path path, DeflateBackend backend) throws IOException {
      this.source = path.toString();
      this.in = new BgzfInputStream(new BufferedInputStream(Files.newInputStream(path), BUFFER), source, backend);
    }

    /** Moves to the next entry; false at the end of the file. */
    boolean next() throws IOException {
      int first = in.readNBytes(buf, 0, 4);
      if (first == 0) {
        return false;
      }
      if (first < 4) {
        throw new EOFException(source + ": spill file ends inside an entry");
      }
      int rest = BamRecord.i32(buf, 0);
      if (rest < HEADER - 4 || rest > Integer.MAX_VALUE - 64) {
        throw new IOException(source + ": corrupt spill entry of " + rest + " bytes");
      }
      length = 4 + rest;
      if (buf.length < length) {
        buf = Arrays.copyOf(buf, Math.max(length, buf.length * 2));
      }
      if (in.readNBytes(buf, 4, rest) != rest) {
        throw new EOFException(source + ": spill file ends inside an entry");
      }
      return true;
    }

    int r1() {
      return (buf[FLAGS] & 1) != 0 ? HEADER : -1;
    }

    int r2() {
      if ((buf[FLAGS] & 2) == 0) {
        return -1;
      }
      return (buf[FLAGS] & 1) != 0 ? HEADER + BamRecord.totalSize(buf, HEADER) : HEADER;
    }

    /** Offset of the first present record (the one that names the template). */
    int first() {
      return HEADER;
    }

    boolean r1Earlier() {
      return (buf[FLAGS] & 4) != 0;
    }

    long recordNumber() {
      return getI64(buf, RECORD_NUMBER);
    }

    int molecule() {
      return SpillFile.molecule(buf, 0);
    }

    boolean bStrand() {
      return SpillFile.bStrand(buf, 0);
    }

    long score() {
      return getI64(buf, SCORE);
    }

    /** Bytes of the current entry's records. */
    public int recordBytes() {
      return length - HEADER;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** Writes an entry into {@code out} at {@code at} (room is the caller's); returns its length. */
  static int write(byte[] out, int at, byte[] d, int r1, int r2, boolean r1Earlier, long recordNumber, int molecule,
                   boolean bStrand, long score) {
    int len1 = r1 >= 0 ? BamRecord.totalSize(d, r1) : 0;
    int len2 = r2 >= 0 ? BamRecord.totalSize(d, r2) : 0;
    writeHeader(out, at, len1 + len2, r1 >= 0, r2 >= 0, r1Earlier, recordNumber, molecule, bStrand, score);
    if (r1 >= 0) {
      System.arraycopy(d, r1, out, at + HEADER, len1);
    }
    if (r2 >= 0) {
      System.arraycopy(d, r2, out, at + HEADER + len1, len2);
    }
    return HEADER + len1 + len2;
  }

  private static void writeHeader(byte[] h, int at, int recordBytes, boolean hasR1, boolean hasR2, boolean r1Earlier,
                                  long recordNumber, int molecule, boolean bStrand, long score) {
    BamRecord.putI32(h, at, HEADER - 4 + recordBytes);
    h[at + FLAGS] = (byte) ((hasR1 ? 1 : 0) | (hasR2 ? 2 : 0) | (r1Earlier ? 4 : 0));
    putI64(h, at + RECORD_NUMBER, recordNumber);
    BamRecord.putI32(h, at + MOLECULE, molecule);
    h[at + STRAND] = (byte) (bStrand ? 1 : 0);
    putI64(h, at + SCORE, score);
  }

  /** The molecule of the entry at {@code at} of {@code b}. */
  static int molecule(byte[] b, int at) {
    return BamRecord.i32(b, at + MOLECULE);
  }

  /** True when the entry at {@code at} of {@code b} is on the /B strand. */
  static boolean bStrand(byte[] b, int at) {
    return b[at + STRAND] != 0;
  }

  /** Order of the out-of-core output: molecule, /A before /B, read name, then input order. */
  static int compareEntries(byte[] a, int ao, byte[] b, int bo) {
    int c = Integer.compare(molecule(a, ao), molecule(b, bo));
    if (c != 0) {
      return c;
    }
    c = Byte.compare(a[ao + STRAND], b[bo + STRAND]);
    if (c != 0) {
      return c;
    }
    c = BamRecord.compareNames(a, ao + HEADER, b, bo + HEADER);
    if (c != 0) {
      return c;
    }
    return Long.compare(getI64(a, ao + RECORD_NUMBER), getI64(b, bo + RECORD_NUMBER));
  }

  static void putI64(byte[] b, int off, long v) {
    BamRecord.putI32(b, off, (int) v);
    BamRecord.putI32(b, off + 4, (int) (v >>> 32));
  }

  static long getI64(byte[] b, int off) {
    return (BamRecord.i32(b, off) & 0xffffffffL) | ((long) BamRecord.i32(b, off + 4) << 32);
  }
}
