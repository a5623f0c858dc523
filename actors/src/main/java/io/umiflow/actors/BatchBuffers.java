package io.umiflow.actors;

import java.util.ArrayDeque;

/**
 * Reuses the arrays that hold a batch's records. The grouper takes one for each new batch; a processor
 * gives it back once the batch is encoded. Without it every batch (4-5 MiB) was a fresh array that lived
 * through a few young collections and was promoted, and the old generation filled with them: about a
 * tenth of a 2M-record run went to collections. At most {@code max} idle arrays are kept; their bytes are
 * reserved from the batches account once, up front, so the ledger still covers them. Thread-safe.
 */
final class BatchBuffers {
  private final int size;
  private final int max;
  private final ArrayDeque<byte[]> free = new ArrayDeque<>();

  /** Keeps up to {@code max} idle arrays of {@code size} bytes; {@code max} 0 turns reuse off. */
  BatchBuffers(int size, int max) {
    this.size = size;
    this.max = max;
  }

  /** Bytes the idle arrays can hold at most: what the caller reserves for them. */
  long reservedBytes() {
    return (long) size * max;
  }

  /** An array of at least {@code minLength} bytes: a reused one when it is large enough, else a new one. */
  synchronized byte[] take(int minLength) {
    if (minLength <= size && !free.isEmpty()) {
      return free.pop();
    }
    return new byte[Math.max(minLength, size)];
  }

  /** Takes back an array nothing refers to any more; kept only if it has the standard size and there is room. */
  synchronized void give(byte[] array) {
    if (array.length == size && free.size() < max) {
      free.push(array);
    }
  }
}
