package io.umiflow.codec;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Cuts a BGZF stream into its compressed members without inflating them, so that inflating can run on
 * other threads. Costs one read and one copy per block; validates each header and says where it broke.
 */
public final class BgzfBlockReader implements AutoCloseable {
  private final InputStream in;
  private final String source;
  /** The byte offset of the next block in the source, for messages. */
  private long offset;
  private boolean sawEof;

  /**
   * @param in     the raw (compressed) bytes; buffered by the caller if it wants
   * @param source a name for messages, usually the file path or {@code "-"}
   */
  public BgzfBlockReader(InputStream in, String source) {
    this.in = in;
    this.source = source;
  }

  /** True when the last block returned so far was the EOF marker (a well-formed end). */
  public boolean sawEofMarker() {
    return sawEof;
  }

  /**
   * Reads the next block. Returns null at the end of the stream; throws when the stream ends inside a
   * block or a header is not BGZF.
   */
  public CompressedBlock next() throws IOException {
    byte[] header = new byte[Bgzf.HEADER_SIZE];
    long start = offset;
    int got = readFully(header, 0, Bgzf.HEADER_SIZE);
    if (got == 0) {
      return null;
    }
    if (got < Bgzf.HEADER_SIZE) {
      throw new InputFormatException(source + ": truncated BGZF block header at byte offset " + start
          + " (file ends after " + got + " bytes of it)");
    }
    if ((header[0] & 0xff) != 31 || (header[1] & 0xff) != 139 || header[2] != 8 || (header[3] & 4) == 0) {
      throw new InputFormatException(source + ": not a BGZF block at byte offset " + start
          + " (bad gzip magic or no extra field); is this a BAM file?");
    }
    int xlen = Bgzf.u16(header, 10);
    if (xlen != 6 || header[12] != 'B' || header[13] != 'C' || Bgzf.u16(header, 14) != 2) {
      throw new InputFormatException(source + ": BGZF block at byte offset " + start
          + " lacks the BC extra subfield; the file is gzip but not BGZF");
    }
    int blockSize = Bgzf.u16(header, 16) + 1;
    if (blockSize < Bgzf.HEADER_SIZE + Bgzf.FOOTER_SIZE) {
      throw new InputFormatException(source + ": BGZF block at byte offset " + start + " declares an impossible size "
          + blockSize);
    }
    byte[] block = new byte[blockSize];
    System.arraycopy(header, 0, block, 0, Bgzf.HEADER_SIZE);
    int rest = blockSize - Bgzf.HEADER_SIZE;
    int body = readFully(block, Bgzf.HEADER_SIZE, rest);
    if (body < rest) {
      throw new InputFormatException(source + ": truncated BGZF block at byte offset " + start + " (expected "
          + blockSize + " bytes, file ends after " + (Bgzf.HEADER_SIZE + body) + ")");
    }
    sawEof = Bgzf.isEofBlock(block, blockSize);
    return new CompressedBlock(block, blockSize, start);
  }

  private int readFully(byte[] b, int off, int len) throws IOException {
    int total = 0;
    while (total < len) {
      int n;
      try {
        n = in.read(b, off + total, len - total);
      } catch (EOFException e) {
        n = -1;
      }
      if (n < 0) {
        break;
      }
      total += n;
      offset += n;
    }
    return total;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
