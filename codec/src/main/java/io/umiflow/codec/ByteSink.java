package io.umiflow.codec;

import java.io.OutputStream;
import java.util.Arrays;

/**
 * A growable byte sink whose array is read directly, so that each record is copied once; unsynchronized,
 * unlike {@link java.io.ByteArrayOutputStream}, since htsjdk writes a record in many small pieces.
 */
final class ByteSink extends OutputStream {
  private byte[] buf = new byte[1 << 12];
  private int count;

  @Override
  public void write(int b) {
    ensure(1);
    buf[count++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) {
    ensure(len);
    System.arraycopy(b, off, buf, count, len);
    count += len;
  }

  private void ensure(int more) {
    if (count + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + more));
    }
  }

  void reset() {
    count = 0;
  }

  int size() {
    return count;
  }

  byte[] bytes() {
    return buf;
  }
}
