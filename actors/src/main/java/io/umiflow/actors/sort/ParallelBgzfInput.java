package io.umiflow.actors.sort;

import io.umiflow.codec.Bgzf;
import io.umiflow.codec.BgzfBlockReader;
import io.umiflow.codec.BlockInflater;
import io.umiflow.codec.CompressedBlock;
import io.umiflow.codec.DeflateBackend;
import io.umiflow.codec.InputFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.function.LongConsumer;

/**
 * The inflated bytes of a BGZF stream, inflated ahead on an executor: the calling thread reads compressed
 * blocks (a few at a time) and hands them to tasks, keeping {@code parallelism} of them in flight, and reads
 * their results in order. For the sort, whose reading thread is busy computing keys.
 *
 * <p>Cost: {@link #bytesHeld(int)} of heap; one inflater per task thread, kept until the stream ends.
 */
public final class ParallelBgzfInput extends InputStream {
  private static final int BLOCKS_PER_TASK = 8;

  private final BgzfBlockReader blocks;
  private final String source;
  private final DeflateBackend backend;
  private final Executor executor;
  private final int parallelism;
  private final LongConsumer compressedRead;
  private final ConcurrentLinkedQueue<BlockInflater> inflaters = new ConcurrentLinkedQueue<>();
  private final ArrayDeque<CompletableFuture<byte[]>> inFlight = new ArrayDeque<>();
  private byte[] current = new byte[0];
  private int pos;
  private boolean blocksDone;

  /**
   * @param blocks         the compressed blocks (positioned anywhere; read from there on)
   * @param compressedRead told the compressed size of each block read, for progress
   */
  public ParallelBgzfInput(BgzfBlockReader blocks, String source, DeflateBackend backend, Executor executor,
                           int parallelism, LongConsumer compressedRead) {
    this.blocks = blocks;
    this.source = source;
    this.backend = backend;
    this.executor = executor;
    this.parallelism = Math.max(1, parallelism);
    this.compressedRead = compressedRead;
  }

  /** The most this stream holds at once: per task its blocks, compressed and inflated, and the current one. */
  public static long bytesHeld(int parallelism) {
    return (Math.max(1, parallelism) + 1L) * BLOCKS_PER_TASK * 2L * Bgzf.MAX_BLOCK_SIZE;
  }

  /** Whether the stream ended with BGZF's end-of-file marker (a truncated file does not). */
  public boolean sawEofMarker() {
    return blocks.sawEofMarker();
  }

  private void refill() throws IOException {
    while (!blocksDone && inFlight.size() < parallelism) {
      List<CompressedBlock> task = new ArrayList<>(BLOCKS_PER_TASK);
      CompressedBlock b = null;
      while (task.size() < BLOCKS_PER_TASK && (b = blocks.next()) != null) {
        task.add(b);
        compressedRead.accept(b.length());
      }
      if (b == null) {
        blocksDone = true;
      }
      if (!task.isEmpty()) {
        inFlight.add(CompletableFuture.supplyAsync(() -> inflate(task), executor));
      }
    }
  }

  private byte[] inflate(List<CompressedBlock> task) {
    BlockInflater inflater = inflaters.poll();
    if (inflater == null) {
      inflater = new BlockInflater(backend);
    }
    try {
      int total = 0;
      for (CompressedBlock b : task) {
        total += Math.max(0, b.uncompressedSize());
      }
      byte[] out = new byte[total];
      int at = 0;
      for (CompressedBlock b : task) {
        at += inflater.inflate(b, out, at, source);
      }
      return at == total ? out : java.util.Arrays.copyOf(out, at);
    } catch (InputFormatException e) {
      throw new CompletionException(e);
    } finally {
      inflaters.add(inflater);
    }
  }

  private boolean fill() throws IOException {
    while (pos == current.length) {
      refill();
      CompletableFuture<byte[]> next = inFlight.poll();
      if (next == null) {
        return false;
      }
      try {
        current = next.join();
      } catch (CompletionException e) {
        if (e.getCause() instanceof IOException io) {
          throw io;
        }
        throw e;
      }
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
    int n = 0;
    while (n < len && fill()) {
      int k = Math.min(len - n, current.length - pos);
      System.arraycopy(current, pos, b, off + n, k);
      pos += k;
      n += k;
    }
    return n == 0 ? -1 : n;
  }

  /** Waits for the tasks in flight and closes the blocks' stream. */
  @Override
  public void close() throws IOException {
    for (CompletableFuture<byte[]> f : inFlight) {
      f.exceptionally(e -> null).join();
    }
    inFlight.clear();
    blocks.close();
  }
}
