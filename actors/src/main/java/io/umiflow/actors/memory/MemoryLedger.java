package io.umiflow.actors.memory;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The byte budget of one grouping job. Everything that grows with the data takes credits (bytes) from one
 * of the ledger's accounts <em>before</em> it allocates, and gives them back when the bytes are garbage;
 * the accounts' capacities add up to at most the budget, so the sum of accounted bytes never exceeds it. A
 * holder that cannot get credits registers a callback (typically "send me a message") and waits; nothing
 * polls and nothing fails for lack of memory.
 *
 * <h2>Accounts</h2>
 * A fixed account ({@link #open}) serves one kind of holder with a bounded, self-releasing need: the
 * reader's chunks, each worker's reusable buffers. The <em>flow</em> account ({@link #openFlow}) holds
 * everything whose need depends on the data: the batch the grouper is filling, batches in flight, what a
 * processor needs to assign a batch, the reserve of a giant group grouped out of core.
 *
 * <h2>Why the flow account cannot deadlock</h2>
 * Every flow request carries a <em>priority</em>: the sequence number, in the output order, of the item it
 * serves (a batch or a spilled group); lower is earlier. The writer moves the <em>head</em> (the earliest
 * item not yet written) forward with {@link Account#advanceHead}. A request from the head may use the whole
 * account; any other request only what leaves {@code reserve} bytes free. Waiting requests are granted in
 * priority order. The argument:
 * <ol>
 *   <li>Every item after the head took its credits while at least {@code reserve} bytes stayed free, and
 *       never takes credits from the head; so together they hold at most {@code capacity - reserve}.</li>
 *   <li>Items before the head are written and hold nothing; idle pooled arrays are <em>reclaimable</em>:
 *       they are dropped and their credit returned the moment a request does not fit.</li>
 *   <li>So the head can always get {@code reserve} bytes in all (counting what it already holds), once
 *       whatever it waits on is reclaimed. The grouper and the processors never let one item need more:
 *       a position group that would is spilled to disk while it is read.</li>
 *   <li>The head therefore completes, is written, releases everything, and the next item becomes the
 *       head. Items never wait on later items (output order), so every item completes.</li>
 * </ol>
 * Giving credits from one item to a later one would break point 1, so transfers between items go through
 * the ledger: the receiving item acquires at its own priority before the giving item releases.
 *
 * <p>Thread-safe; every operation is a short synchronized section, and callbacks run outside it. Over 300
 * lines because the invariant above is kept under one lock by one class: the accounts, the head, the
 * waiters and the reclaimables.
 */
public final class MemoryLedger {
  private final long budget;
  private final List<Account> accounts = new ArrayList<>();
  private long used;
  private long peak;
  private long windowPeak;

  /** A ledger of {@code budget} bytes. */
  public MemoryLedger(long budget) {
    if (budget <= 0) {
      throw new IllegalArgumentException("budget must be positive");
    }
    this.budget = budget;
  }

  /** The whole budget in bytes. */
  public long budget() {
    return budget;
  }

  /** Bytes accounted right now, over all accounts. */
  public synchronized long used() {
    return used;
  }

  /** The most bytes ever accounted at once. */
  public synchronized long peak() {
    return peak;
  }

  /**
   * The most bytes accounted at once since the last call (or since the start), then starts a new window
   * at the current use. For tests that compare the ledger with the heap at a moment.
   */
  public synchronized long takeWindowPeak() {
    long p = windowPeak;
    windowPeak = used;
    return p;
  }

  /** Opens a fixed account of {@code capacity} bytes; fails if the accounts would exceed the budget. */
  public synchronized Account open(String name, long capacity) {
    return add(new Account(name, capacity, 0));
  }

  /**
   * Opens the flow account: {@code capacity} bytes of which only the head item may use the last
   * {@code reserve} (see the class comment).
   */
  public synchronized Account openFlow(String name, long capacity, long reserve) {
    if (reserve < 0 || reserve > capacity) {
      throw new IllegalArgumentException("reserve " + reserve + " outside [0, " + capacity + "]");
    }
    return add(new Account(name, capacity, reserve));
  }

  private Account add(Account a) {
    long total = a.capacity;
    for (Account o : accounts) {
      total += o.capacity;
    }
    if (total > budget) {
      throw new IllegalStateException("accounts exceed the budget: " + total + " > " + budget);
    }
    accounts.add(a);
    return a;
  }

  /** All accounts, for statistics. */
  public synchronized List<Account> accounts() {
    return List.copyOf(accounts);
  }

  /** Something that holds credits it can give back at once on request (idle pooled arrays). */
  interface Reclaimable {
    /** Drops idle holdings until at least {@code bytes} are released (or none is left); returns the bytes released. */
    long reclaim(long bytes);
  }

  /** Priority of holders that serve no particular item: they never use the head's reserve. */
  public static final long NO_ITEM = Long.MAX_VALUE;

  /** One holder's share of the budget. */
  public final class Account {
    private final String name;
    private final long capacity;
    private final long reserve;
    private long held;
    private long peakHeld;
    private long head;
    private long arrivals;
    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>();
    private final List<Reclaimable> reclaimables = new ArrayList<>(1);

    private record Waiter(long priority, long arrival, long bytes, Runnable callback) implements Comparable<Waiter> {
      @Override
      public int compareTo(Waiter o) {
        int c = Long.compare(priority, o.priority);
        return c != 0 ? c : Long.compare(arrival, o.arrival);
      }
    }

    private Account(String name, long capacity, long reserve) {
      this.name = name;
      this.capacity = capacity;
      this.reserve = reserve;
    }

    /** The account's name. */
    public String name() {
      return name;
    }

    /** The account's capacity in bytes. */
    public long capacity() {
      return capacity;
    }

    /** Bytes only the head item may use (0 for fixed accounts). */
    public long reserve() {
      return reserve;
    }

    /** Bytes held now. */
    public long held() {
      synchronized (MemoryLedger.this) {
        return held;
      }
    }

    /** The most bytes this account ever held. */
    public long peakHeld() {
      synchronized (MemoryLedger.this) {
        return peakHeld;
      }
    }

    /** True when a request waits for credits (a pool should not keep idle arrays then). */
    public boolean hasWaiters() {
      synchronized (MemoryLedger.this) {
        return !waiters.isEmpty();
      }
    }

    /** Registers a holder of idle credits that requests may reclaim. */
    void addReclaimable(Reclaimable r) {
      synchronized (MemoryLedger.this) {
        reclaimables.add(r);
      }
    }

    /** The largest request an item of {@code priority} can ever be granted. */
    public long limitFor(long priority) {
      synchronized (MemoryLedger.this) {
        return priority <= head ? capacity : capacity - reserve;
      }
    }

    /** Items before {@code seq} are written: {@code seq} is the head now. Grants what that lets through. */
    public void advanceHead(long seq) {
      List<Runnable> granted;
      synchronized (MemoryLedger.this) {
        if (seq <= head) {
          return;
        }
        head = seq;
        granted = grantWaiters();
      }
      granted.forEach(Runnable::run);
    }

    /**
     * Takes {@code bytes} for an item of {@code priority} if they fit now and no request with precedence
     * waits; else takes nothing and returns false. Never waits.
     */
    public boolean tryAcquire(long priority, long bytes) {
      check(bytes);
      if (tryTake(priority, bytes)) {
        return true;
      }
      return reclaim(shortfall(priority, bytes)) > 0 && tryTake(priority, bytes);
    }

    /** {@link #tryAcquire(long, long)} for a holder that serves no particular item. */
    public boolean tryAcquire(long bytes) {
      return tryAcquire(NO_ITEM, bytes);
    }

    /**
     * Takes {@code bytes} for an item of {@code priority} now if possible and returns true; otherwise queues
     * the request, which is granted (taken, then {@code onGranted} run on the thread that freed the credits)
     * as soon as it fits, in priority order, and returns false. A request larger than the item could ever be
     * granted is refused with an exception: it is a bug of the caller's sizing, not a lack of memory.
     */
    public boolean acquireOrWait(long priority, long bytes, Runnable onGranted) {
      check(bytes);
      if (bytes > capacity) {
        throw new IllegalStateException(name + " needs " + bytes + " bytes, more than its whole capacity " + capacity);
      }
      if (tryTake(priority, bytes) || (reclaim(shortfall(priority, bytes)) > 0 && tryTake(priority, bytes))) {
        return true;
      }
      synchronized (MemoryLedger.this) {
        if (takeIfFirst(priority, bytes)) {
          return true;
        }
        waiters.add(new Waiter(priority, arrivals++, bytes, onGranted));
      }
      // an array given to a pool between the reclaim above and the queueing is reclaimed here: pools check
      // for waiters after keeping an array, so one of the two always sees the other
      reclaim(shortfall(priority, bytes));
      return false;
    }

    /** {@link #acquireOrWait(long, long, Runnable)} for a holder that serves no particular item. */
    public boolean acquireOrWait(long bytes, Runnable onGranted) {
      return acquireOrWait(NO_ITEM, bytes, onGranted);
    }

    /** Returns {@code bytes} to the account and grants queued requests that now fit, in priority order. */
    public void release(long bytes) {
      List<Runnable> granted;
      synchronized (MemoryLedger.this) {
        if (bytes < 0 || bytes > held) {
          throw new IllegalStateException(name + ": releasing " + bytes + " of " + held + " held");
        }
        held -= bytes;
        used -= bytes;
        granted = grantWaiters();
      }
      granted.forEach(Runnable::run);
    }

    /** Drops queued requests (a stopping stage). */
    public void cancelWaiters() {
      synchronized (MemoryLedger.this) {
        waiters.clear();
      }
    }

    private boolean tryTake(long priority, long bytes) {
      synchronized (MemoryLedger.this) {
        return takeIfFirst(priority, bytes);
      }
    }

    /** Takes the bytes when they fit and no queued request has precedence (call holding the lock). */
    private boolean takeIfFirst(long priority, long bytes) {
      Waiter first = waiters.peek();
      if ((first == null || first.priority > priority) && fits(priority, bytes)) {
        take(bytes);
        return true;
      }
      return false;
    }

    /** Bytes missing for a request of {@code bytes} at {@code priority} to fit now (at least 1). */
    private long shortfall(long priority, long bytes) {
      synchronized (MemoryLedger.this) {
        return Math.max(1, held + bytes - (priority <= head ? capacity : capacity - reserve));
      }
    }

    /**
     * Asks the reclaimables to give back idle holdings worth {@code bytes} (outside the lock: they call
     * release); returns what they released.
     */
    private long reclaim(long bytes) {
      List<Reclaimable> rs;
      synchronized (MemoryLedger.this) {
        if (reclaimables.isEmpty()) {
          return 0;
        }
        rs = List.copyOf(reclaimables);
      }
      long freed = 0;
      for (Reclaimable r : rs) {
        if (freed >= bytes) {
          break;
        }
        freed += r.reclaim(bytes - freed);
      }
      return freed;
    }

    private boolean fits(long priority, long bytes) {
      return held + bytes <= (priority <= head ? capacity : capacity - reserve);
    }

    /** Grants waiters in priority order while the first one fits; returns their callbacks. */
    private List<Runnable> grantWaiters() {
      List<Runnable> granted = List.of();
      while (!waiters.isEmpty() && fits(waiters.peek().priority, waiters.peek().bytes)) {
        Waiter w = waiters.poll();
        take(w.bytes);
        if (granted.isEmpty()) {
          granted = new ArrayList<>(2);
        }
        granted.add(w.callback);
      }
      return granted;
    }

    private void check(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("negative credit");
      }
    }

    private void take(long bytes) {
      held += bytes;
      used += bytes;
      peakHeld = Math.max(peakHeld, held);
      peak = Math.max(peak, used);
      windowPeak = Math.max(windowPeak, used);
    }
  }
}
