package io.umiflow.codec;

import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Inflates single BGZF blocks, checking the CRC32 and the stated size. Not thread-safe: keep one per
 * worker thread. Reuses one {@link Inflater}, so a call allocates nothing but what the caller gives.
 */
public final class BlockInflater {
  /** The zlib inflater (JDK or GKL); null when {@link #libdeflate} inflates. */
  private final Inflater inflater;
  private final Libdeflate.Decompressor libdeflate;
  private final CRC32 crc = new CRC32();
  private final byte[] overflow = new byte[1];

  /** An inflater on {@code java.util.zip}. */
  public BlockInflater() {
    this(DeflateBackend.JDK);
  }

  /** An inflater on the given backend (GKL's inflater when it loaded, else the JDK's). */
  public BlockInflater(DeflateBackend backend) {
    if (backend == DeflateBackend.LIBDEFLATE) {
      this.libdeflate = new Libdeflate.Decompressor();
      this.inflater = null;
    } else {
      this.libdeflate = null;
      this.inflater = backend.newInflater();
    }
  }

  /**
   * Inflates {@code block} into {@code out} at {@code outOff}; returns the number of bytes written.
   *
   * @param source name of the input, for the message when the block is corrupt
   */
  public int inflate(CompressedBlock block, byte[] out, int outOff, String source) throws InputFormatException {
    byte[] b = block.data();
    int len = block.length();
    int expected = block.uncompressedSize();
    if (expected < 0 || expected > Bgzf.MAX_BLOCK_SIZE || out.length - outOff < expected) {
      throw new InputFormatException(source + ": corrupt BGZF block at byte offset " + block.fileOffset()
          + " (uncompressed size " + expected + ")");
    }
    int n;
    if (libdeflate != null) {
      String failure = libdeflate.decompress(b, Bgzf.HEADER_SIZE, len - Bgzf.HEADER_SIZE - Bgzf.FOOTER_SIZE, out,
          outOff, expected);
      if (failure != null) {
        throw new InputFormatException(source + ": corrupt BGZF block at byte offset " + block.fileOffset() + " ("
            + failure + ")");
      }
      n = expected;
    } else {
      n = inflateZlib(b, len, out, outOff, expected, block, source);
    }
    if (n != expected) {
      throw new InputFormatException(source + ": corrupt BGZF block at byte offset " + block.fileOffset()
          + " (inflated " + n + " bytes, footer says " + expected + ")");
    }
    crc.reset();
    crc.update(out, outOff, n);
    if ((int) crc.getValue() != Bgzf.i32(b, len - 8)) {
      throw new InputFormatException(source + ": corrupt BGZF block at byte offset " + block.fileOffset()
          + " (CRC32 mismatch)");
    }
    return n;
  }

  private int inflateZlib(byte[] b, int len, byte[] out, int outOff, int expected, CompressedBlock block,
      String source) throws InputFormatException {
    inflater.reset();
    inflater.setInput(b, Bgzf.HEADER_SIZE, len - Bgzf.HEADER_SIZE - Bgzf.FOOTER_SIZE);
    try {
      int n = inflater.inflate(out, outOff, expected);
      if (expected > 0 && !inflater.finished() && inflater.inflate(overflow, 0, 1) != 0) {
        throw new DataFormatException("more data than ISIZE");
      }
      return n;
    } catch (DataFormatException e) {
      throw new InputFormatException(source + ": corrupt BGZF block at byte offset " + block.fileOffset() + " ("
          + e.getMessage() + ")", e);
    }
  }

  /** Convenience: inflates into a new array of exactly the block's size. */
  public byte[] inflate(CompressedBlock block, String source) throws InputFormatException {
    int size = block.uncompressedSize();
    if (size < 0 || size > Bgzf.MAX_BLOCK_SIZE) {
      throw new InputFormatException(source + ": corrupt BGZF block at byte offset " + block.fileOffset()
          + " (uncompressed size " + size + ")");
    }
    byte[] out = new byte[size];
    inflate(block, out, 0, source);
    return out;
  }
}
