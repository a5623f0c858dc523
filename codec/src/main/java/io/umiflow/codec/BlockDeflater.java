package io.umiflow.codec;

import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Compresses up to {@link Bgzf#MAX_PAYLOAD} bytes into one complete BGZF block. Not thread-safe: keep
 * one per worker. Independent of every other block, so blocks can be compressed on any thread and
 * concatenated in order afterwards.
 */
public final class BlockDeflater implements AutoCloseable {
  /** The zlib compressor (JDK or GKL); null when {@link #libdeflate} compresses. */
  private final Deflater deflater;
  private final Libdeflate.Compressor libdeflate;
  private final Deflater storeOnly = new Deflater(0, true);
  private final CRC32 crc = new CRC32();
  /** GKL's deflater writes only at offset 0, so every backend compresses here first and is copied out. */
  private final byte[] scratch = new byte[Bgzf.MAX_BLOCK_SIZE];
  /** GKL's deflater also ignores the input offset, so input at another offset is staged here. */
  private final byte[] staged = new byte[Bgzf.MAX_PAYLOAD];
  private final int level;
  private final DeflateBackend backend;

  /**
   * @param level   0-9
   * @param backend which zlib; must be {@link DeflateBackend#available()}
   */
  public BlockDeflater(int level, DeflateBackend backend) {
    if (level < 0 || level > 9) {
      throw new IllegalArgumentException("compression level must be 0-9, got " + level);
    }
    this.level = level;
    this.backend = backend;
    if (backend == DeflateBackend.LIBDEFLATE) {
      this.libdeflate = new Libdeflate.Compressor(level);
      this.deflater = null;
    } else {
      this.libdeflate = null;
      this.deflater = backend.newDeflater(level);
    }
  }

  /** The compression level. */
  public int level() {
    return level;
  }

  /** The zlib implementation in use. */
  public DeflateBackend backend() {
    return backend;
  }

  /**
   * Compresses {@code src[off..off+len)} into {@code dst} at {@code dstOff}, which must have
   * {@link Bgzf#MAX_BLOCK_SIZE} bytes of room. Returns the block's total length.
   */
  public int deflate(byte[] src, int off, int len, byte[] dst, int dstOff) {
    if (len > Bgzf.MAX_PAYLOAD) {
      throw new IllegalArgumentException("BGZF payload " + len + " exceeds " + Bgzf.MAX_PAYLOAD);
    }
    int room = Bgzf.MAX_BLOCK_SIZE - Bgzf.HEADER_SIZE - Bgzf.FOOTER_SIZE;
    byte[] in = src;
    int inOff = off;
    if (off != 0 && backend == DeflateBackend.GKL) {
      System.arraycopy(src, off, staged, 0, len);
      in = staged;
      inOff = 0;
    }
    int n = libdeflate != null
        ? libdeflate.compress(src, off, len, scratch, room)
        : compress(deflater, in, inOff, len, scratch, room);
    if (n < 0) {
      n = compress(storeOnly, src, off, len, scratch, room);
    }
    System.arraycopy(scratch, 0, dst, dstOff + Bgzf.HEADER_SIZE, n);
    int total = Bgzf.HEADER_SIZE + n + Bgzf.FOOTER_SIZE;
    writeHeader(dst, dstOff, total);
    crc.reset();
    crc.update(src, off, len);
    Bgzf.putI32(dst, dstOff + total - 8, (int) crc.getValue());
    Bgzf.putI32(dst, dstOff + total - 4, len);
    return total;
  }

  /** Compresses, returning the deflate stream's length, or -1 when it did not fit in {@code room}. */
  private static int compress(Deflater d, byte[] src, int off, int len, byte[] out, int room) {
    d.reset();
    d.setInput(src, off, len);
    d.finish();
    int n = d.deflate(out, 0, room);
    return d.finished() ? n : -1;
  }

  private static void writeHeader(byte[] dst, int off, int total) {
    dst[off] = 31;
    dst[off + 1] = (byte) 139;
    dst[off + 2] = 8;
    dst[off + 3] = 4;
    dst[off + 4] = 0;
    dst[off + 5] = 0;
    dst[off + 6] = 0;
    dst[off + 7] = 0;
    dst[off + 8] = 0;
    dst[off + 9] = (byte) 255;
    dst[off + 10] = 6;
    dst[off + 11] = 0;
    dst[off + 12] = 'B';
    dst[off + 13] = 'C';
    dst[off + 14] = 2;
    dst[off + 15] = 0;
    dst[off + 16] = (byte) (total - 1);
    dst[off + 17] = (byte) ((total - 1) >>> 8);
  }

  /**
   * Compresses a whole buffer into consecutive blocks; returns the concatenated bytes. Used by the
   * pipeline's workers for one batch's output.
   */
  public byte[] deflateAll(byte[] src, int off, int len) {
    int blocks = Math.max(1, (len + Bgzf.MAX_PAYLOAD - 1) / Bgzf.MAX_PAYLOAD);
    byte[] scratch = new byte[Bgzf.MAX_BLOCK_SIZE];
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(Math.max(64, len / 3 + blocks * 26));
    int pos = off;
    int end = off + len;
    while (pos < end) {
      int chunk = Math.min(Bgzf.MAX_PAYLOAD, end - pos);
      int n = deflate(src, pos, chunk, scratch, 0);
      out.write(scratch, 0, n);
      pos += chunk;
    }
    return out.toByteArray();
  }

  @Override
  public void close() {
    if (deflater != null) {
      deflater.end();
    } else {
      libdeflate.close();
    }
    storeOnly.end();
  }
}
