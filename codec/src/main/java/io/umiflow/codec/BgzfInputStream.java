package io.umiflow.codec;

import java.io.IOException;
import java.io.InputStream;

/**
 * A plain sequential BGZF reader that inflates on the calling thread. Used for headers, tests and tools
 * that read small files; the pipeline inflates blocks on its workers instead.
 */
public final class BgzfInputStream extends InputStream {
  private final BgzfBlockReader blocks;
  private final BlockInflater inflater;
  private final String source;
  private byte[] current = new byte[0];
  private int pos;
  private boolean done;

  /** Reads the BGZF stream {@code in}; {@code source} names it in messages. */
  public BgzfInputStream(InputStream in, String source) {
    this(in, source, DeflateBackend.JDK);
  }

  /** Reads the BGZF stream {@code in} with the given inflater backend (GKL's inflates about twice as fast). */
  public BgzfInputStream(InputStream in, String source, DeflateBackend backend) {
    this.blocks = new BgzfBlockReader(in, source);
    this.source = source;
    this.inflater = new BlockInflater(backend);
  }

  private boolean fill() throws IOException {
    while (pos >= current.length) {
      if (done) {
        return false;
      }
      CompressedBlock b = blocks.next();
      if (b == null) {
        done = true;
        return false;
      }
      current = inflater.inflate(b, source);
      pos = 0;
    }
    return true;
  }

  @Override
  public int read() throws IOException {
    return fill() ? current[pos++] & 0xff : -1;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (!fill()) {
      return -1;
    }
    int n = Math.min(len, current.length - pos);
    System.arraycopy(current, pos, b, off, n);
    pos += n;
    return n;
  }

  @Override
  public void close() throws IOException {
    blocks.close();
  }
}
