package io.umiflow.actors.sort;

import io.umiflow.codec.Bgzf;
import io.umiflow.codec.BlockDeflater;
import io.umiflow.codec.DeflateBackend;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;

/**
 * A BGZF writer that compresses on an executor: bytes are gathered into segments of a few full blocks, each
 * segment is deflated by a task, and the results are written in order, at most {@code parallelism} segments
 * in flight (the writing thread waits for the oldest). {@link #close} writes the end-of-file marker and
 * closes the underlying stream. Used for sort runs and {@code umiflow sort}'s output, where compressing on
 * one thread would be the sort's bottleneck.
 *
 * <p>Cost: {@link #bytesHeld(int)} of heap; one deflater per task thread, kept for reuse until close.
 */
public final class ParallelBgzfOutput extends OutputStream {
  /** Uncompressed bytes per task: four full BGZF blocks. */
  static final int SEGMENT = 4 * Bgzf.MAX_PAYLOAD;

  private final OutputStream out;
  private final int level;
  private final DeflateBackend backend;
  private final Executor executor;
  private final int parallelism;
  private final ConcurrentLinkedQueue<BlockDeflater> deflaters = new ConcurrentLinkedQueue<>();
  private final ArrayDeque<CompletableFuture<byte[]>> inFlight = new ArrayDeque<>();
  private byte[] segment = new byte[SEGMENT];
  private int used;
  private boolean closed;

  public ParallelBgzfOutput(OutputStream out, int level, DeflateBackend backend, Executor executor, int parallelism) {
    this.out = out;
    this.level = level;
    this.backend = backend;
    this.executor = executor;
    this.parallelism = Math.max(1, parallelism);
  }

  /** The most this writer holds: the segment being filled and, per task, its input and its output. */
  public static long bytesHeld(int parallelism) {
    return SEGMENT + Math.max(1, parallelism) * (2L * SEGMENT + Bgzf.MAX_BLOCK_SIZE + 4096);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      int k = Math.min(len, SEGMENT - used);
      System.arraycopy(b, off, segment, used, k);
      used += k;
      off += k;
      len -= k;
      if (used == SEGMENT) {
        submit();
      }
    }
  }

  private void submit() throws IOException {
    if (used == 0) {
      return;
    }
    while (inFlight.size() >= parallelism) {
      out.write(join(inFlight.poll()));
    }
    byte[] raw = segment;
    int length = used;
    inFlight.add(CompletableFuture.supplyAsync(() -> {
      BlockDeflater d = deflaters.poll();
      if (d == null) {
        d = new BlockDeflater(level, backend);
      }
      try {
        return d.deflateAll(raw, 0, length);
      } finally {
        deflaters.add(d);
      }
    }, executor));
    segment = new byte[SEGMENT];
    used = 0;
  }

  private static byte[] join(CompletableFuture<byte[]> f) throws IOException {
    try {
      return f.join();
    } catch (CompletionException e) {
      throw new IOException("compression failed: " + e.getCause(), e.getCause());
    }
  }

  /** Writes what is gathered and waits for every segment; the stream stays open. */
  @Override
  public void flush() throws IOException {
    submit();
    while (!inFlight.isEmpty()) {
      out.write(join(inFlight.poll()));
    }
    out.flush();
  }

  /** Flushes, writes the end-of-file marker and closes the underlying stream; frees the deflaters. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      flush();
      out.write(Bgzf.eofBlock());
    } finally {
      for (CompletableFuture<byte[]> f : inFlight) {
        f.exceptionally(e -> null).join();
      }
      inFlight.clear();
      out.close();
      for (BlockDeflater d; (d = deflaters.poll()) != null; ) {
        d.close();
      }
    }
  }
}
