package io.umiflow.codec;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A plain sequential BGZF writer: buffers up to one block's payload, compresses it on the calling
 * thread, and writes the EOF marker on {@link #close()}. For the simulator, headers and tests; the
 * grouping pipeline compresses blocks on its worker threads instead.
 */
public final class BgzfOutputStream extends OutputStream {
  private final OutputStream out;
  private final BlockDeflater deflater;
  private final byte[] buffer = new byte[Bgzf.MAX_PAYLOAD];
  private final byte[] block = new byte[Bgzf.MAX_BLOCK_SIZE];
  private int used;
  private boolean closed;

  /** Writes to {@code out} at {@code level} with the given backend. */
  public BgzfOutputStream(OutputStream out, int level, DeflateBackend backend) {
    this.out = out;
    this.deflater = new BlockDeflater(level, backend);
  }

  @Override
  public void write(int b) throws IOException {
    if (used == buffer.length) {
      flushBlock();
    }
    buffer[used++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      if (used == buffer.length) {
        flushBlock();
      }
      int n = Math.min(len, buffer.length - used);
      System.arraycopy(b, off, buffer, used, n);
      used += n;
      off += n;
      len -= n;
    }
  }

  /** Ends the current block early (the next byte starts a new block). */
  public void endBlock() throws IOException {
    if (used > 0) {
      flushBlock();
    }
  }

  private void flushBlock() throws IOException {
    int n = deflater.deflate(buffer, 0, used, block, 0);
    out.write(block, 0, n);
    used = 0;
  }

  @Override
  public void flush() throws IOException {
    endBlock();
    out.flush();
  }

  @Override
  public void close() throws IOException {
    close(true);
  }

  /**
   * Closes without the EOF marker: for a piece of BGZF that will be copied into the middle of a larger
   * file (an empty block mid-file is legal, but a marker there would be misleading).
   */
  public void closeWithoutEofMarker() throws IOException {
    close(false);
  }

  private void close(boolean eofMarker) throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      endBlock();
      if (eofMarker) {
        out.write(Bgzf.eofBlock());
      }
      out.flush();
    } finally {
      deflater.close();
      out.close();
    }
  }
}
