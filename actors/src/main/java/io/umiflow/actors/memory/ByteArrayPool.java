package io.umiflow.actors.memory;

import io.umiflow.codec.Bgzf;
import java.lang.ref.WeakReference;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Reuses large byte arrays that pass from one actor to another: the arrays inflaters decompress chunks into
 * (the grouper gives each back once it has cut the chunk into records, copying every record it keeps), and
 * the arrays open batches fill (a processor gives each back once the batch is encoded). Without reuse each
 * was a fresh array of 1-5 MiB: together about twice the input's uncompressed bytes allocated, zeroed,
 * promoted by the collector while in flight, then collected again.
 *
 * <p>An array is charged to {@code account} for as long as it lives, exactly once: by the holder that
 * acquired credits for it while in use, by the pool while idle. {@link #take} is called with the caller's
 * credit for {@link #charge(int)} bytes already acquired; when it hands out an idle array, the pool's own
 * credit for it is released. {@link #give} moves the caller's credit to the pool, or releases it when the
 * array is not kept. Idle arrays are reclaimable: a request on the account that would otherwise wait drops
 * as many as it lacks first (the rest stay for reuse), and none is kept while a request waits.
 *
 * <p>An array dropped to serve a request is kept weakly, uncharged: the collector may take it at any time,
 * but {@link #take} reuses it when it has not. The usual case is the very request it was dropped for (a
 * reader that reads ahead as far as its account allows waits for credit at every chunk, and each array the
 * grouper gives back is dropped to grant it); reusing it saves allocating and zeroing a new array, and the
 * collector promoting it, for almost every chunk.
 *
 * <p>Safe to share between threads.
 */
public final class ByteArrayPool implements MemoryLedger.Reclaimable {
  /** One chunk's largest inflated size: {@link MemoryPlan#BLOCKS_PER_CHUNK} blocks of at most 64 KiB. */
  public static final int CHUNK_SIZE = MemoryPlan.BLOCKS_PER_CHUNK * Bgzf.MAX_BLOCK_SIZE;

  private final int size;
  private final MemoryLedger.Account account;
  private final ConcurrentLinkedQueue<byte[]> free = new ConcurrentLinkedQueue<>();
  /** Arrays dropped by {@link #reclaim}, held weakly: at most {@link #DROPPED_KEPT} references. */
  private final ConcurrentLinkedQueue<WeakReference<byte[]>> dropped = new ConcurrentLinkedQueue<>();
  private static final int DROPPED_KEPT = 64;

  /** A pool of arrays of {@code size} bytes charged to {@code account}. */
  public ByteArrayPool(int size, MemoryLedger.Account account) {
    this.size = size;
    this.account = account;
    account.addReclaimable(this);
  }

  /** The length of the arrays it keeps. */
  public int size() {
    return size;
  }

  /** The credit an array for {@code n} bytes needs: pooled arrays are {@link #size()} long, longer ones exact. */
  public long charge(int n) {
    return Math.max(n, size);
  }

  /**
   * An array of at least {@code n} bytes: an idle one (whose idle credit is released, the caller's
   * {@link #charge(int)} bytes now covering it), or a new one.
   */
  public byte[] take(int n) {
    if (n > size) {
      return new byte[n];
    }
    byte[] b = free.poll();
    if (b == null) {
      return reuseDropped();
    }
    account.release(size);
    return b;
  }

  /** A dropped array the collector has not taken yet, else a new one. */
  private byte[] reuseDropped() {
    for (WeakReference<byte[]> r; (r = dropped.poll()) != null; ) {
      byte[] b = r.get();
      if (b != null) {
        return b;
      }
    }
    return new byte[size];
  }

  /**
   * Gives back an array from {@link #take} together with the caller's credit for it ({@code b.length}
   * bytes); the caller must not touch either afterwards.
   */
  public void give(byte[] b) {
    if (b.length != size) {
      account.release(b.length);
      return;
    }
    free.offer(b);
    if (account.hasWaiters()) {
      reclaim(size); // after the offer: a request queued before it is served here, one queued after reclaims itself
    }
  }

  @Override
  public long reclaim(long bytes) {
    long freed = 0;
    for (byte[] b; freed < bytes && (b = free.poll()) != null; ) {
      account.release(size);
      freed += size;
      if (dropped.size() < DROPPED_KEPT) { // size() counts, but the queue stays this short
        dropped.offer(new WeakReference<>(b));
      }
    }
    return freed;
  }
}
