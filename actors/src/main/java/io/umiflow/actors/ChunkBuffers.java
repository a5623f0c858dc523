package io.umiflow.actors;

import io.umiflow.codec.Bgzf;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Reuses the arrays inflaters decompress chunks into: the grouper hands each one back once it has cut the
 * chunk into records (it copies every record it keeps). Without reuse every chunk was a fresh 1 MiB array:
 * about as many bytes allocated as the input has uncompressed, each zeroed and then collected.
 *
 * <p>Every array here is {@link #SIZE} bytes, and a new one is made only when none is free, so the arrays
 * never outnumber the chunks that were in flight at once, which the reader's account already bounds. Shared
 * by one job's inflaters (any thread) and its grouper.
 */
final class ChunkBuffers {
  /** One chunk's largest inflated size: {@link Reader#BLOCKS_PER_CHUNK} blocks of at most 64 KiB. */
  static final int SIZE = Reader.BLOCKS_PER_CHUNK * Bgzf.MAX_BLOCK_SIZE;

  private final ConcurrentLinkedQueue<byte[]> free = new ConcurrentLinkedQueue<>();

  /** An array of at least {@code n} bytes: a free one, or a new one. */
  byte[] take(int n) {
    if (n > SIZE) {
      return new byte[n];
    }
    byte[] b = free.poll();
    return b != null ? b : new byte[SIZE];
  }

  /** Gives back an array from {@link #take}; the caller must not touch it afterwards. */
  void give(byte[] b) {
    if (b.length == SIZE) {
      free.offer(b);
    }
  }
}
