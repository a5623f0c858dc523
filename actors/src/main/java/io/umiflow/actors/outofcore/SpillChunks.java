package io.umiflow.actors.outofcore;

import io.umiflow.actors.batch.Batch;
import io.umiflow.codec.DeflateBackend;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a spill file a chunk of templates at a time, each chunk viewed as a one-group {@link Batch} over
 * arrays reused from chunk to chunk and pass to pass, so the filters and key code of the in-memory path
 * apply unchanged. Memory: the chunk buffer (its initial size, or one template when a template is larger)
 * and 21 bytes per template slot ({@link #retainedBytes()}).
 */
final class SpillChunks {
  private final Path file;
  private final DeflateBackend backend;
  private final long seq;
  private byte[] data;
  private int[] r1 = new int[1024];
  private int[] r2 = new int[1024];
  private boolean[] early = new boolean[1024];
  private long[] recNo = new long[1024];

  SpillChunks(Path file, DeflateBackend backend, long seq, int chunkBytes) {
    this.file = file;
    this.backend = backend;
    this.seq = seq;
    this.data = new byte[chunkBytes];
  }

  /** Bytes of the chunk buffers. */
  long retainedBytes() {
    return data.length + 21L * r1.length;
  }

  /** Drops the chunk buffers (after the last pass). */
  void release() {
    data = new byte[1];
  }

  /** A new pass over the file from its start. */
  Pass pass() throws IOException {
    return new Pass(new SpillFile.Cursor(file, backend));
  }

  /** One read of the file; the chunks it returns are valid until its next {@link #next()}. */
  final class Pass implements AutoCloseable {
    private final SpillFile.Cursor in;
    /** The cursor holds an entry not yet copied into a chunk. */
    private boolean pending;

    private Pass(SpillFile.Cursor in) {
      this.in = in;
    }

    /** The next templates of the file as a one-group batch; null at the end. */
    Batch next() throws IOException {
      int n = 0;
      int used = 0;
      int records = 0;
      while (true) {
        if (!pending) {
          if (!in.next()) {
            break;
          }
          pending = true;
        }
        int size = in.recordBytes();
        if (used + size > data.length) {
          if (n > 0) {
            break;
          }
          data = new byte[size]; // one template larger than the chunk
        }
        if (n == r1.length) {
          int cap = n * 2;
          r1 = Arrays.copyOf(r1, cap);
          r2 = Arrays.copyOf(r2, cap);
          early = Arrays.copyOf(early, cap);
          recNo = Arrays.copyOf(recNo, cap);
        }
        int first = in.first();
        System.arraycopy(in.buf, first, data, used, size);
        int a = in.r1();
        int z = in.r2();
        r1[n] = a < 0 ? -1 : used + a - first;
        r2[n] = z < 0 ? -1 : used + z - first;
        records += (a >= 0 ? 1 : 0) + (z >= 0 ? 1 : 0);
        early[n] = in.r1Earlier();
        recNo[n] = in.recordNumber();
        used += size;
        n++;
        pending = false;
      }
      if (n == 0) {
        return null;
      }
      return new Batch(seq, data, used, n, r1, r2, early, recNo, 1, new int[] {0, n}, records, 0);
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
