package io.umiflow.actors;

import io.umiflow.codec.Bgzf;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Reuses large byte arrays that pass from one actor to another: the arrays inflaters decompress chunks into
 * (the grouper gives each back once it has cut the chunk into records, copying every record it keeps), and
 * the arrays batches hold their records in (a processor gives each back once the batch is encoded). Without
 * reuse each was a fresh array of 1-5 MiB: together about twice the input's uncompressed bytes allocated,
 * zeroed, promoted by the collector while in flight, then collected again.
 *
 * <p>Every pooled array is {@link #size()} bytes, and a new one is made only when none is free, so they
 * never outnumber the arrays that were in flight at once, which the ledger's accounts already bound. Safe
 * to share between threads.
 */
final class ByteArrayPool {
  /** One chunk's largest inflated size: {@link Reader#BLOCKS_PER_CHUNK} blocks of at most 64 KiB. */
  static final int CHUNK_SIZE = Reader.BLOCKS_PER_CHUNK * Bgzf.MAX_BLOCK_SIZE;

  private final int size;
  private final ConcurrentLinkedQueue<byte[]> free = new ConcurrentLinkedQueue<>();

  /** A pool of arrays of {@code size} bytes. */
  ByteArrayPool(int size) {
    this.size = size;
  }

  /** The length of the arrays it keeps. */
  int size() {
    return size;
  }

  /** An array of at least {@code n} bytes: a free one, or a new one (longer ones are never pooled). */
  byte[] take(int n) {
    if (n > size) {
      return new byte[n];
    }
    byte[] b = free.poll();
    return b != null ? b : new byte[size];
  }

  /** Gives back an array from {@link #take}; the caller must not touch it afterwards. */
  void give(byte[] b) {
    if (b.length == size) {
      free.offer(b);
    }
  }
}
