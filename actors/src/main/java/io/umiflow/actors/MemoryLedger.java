package io.umiflow.actors;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The byte budget of one grouping job. The budget is split into accounts with fixed capacities that add up
 * to at most the budget, one per kind of holder (the reader's chunks, the batches in flight, each
 * processor's working memory), so the sum of accounted bytes never exceeds the budget and no holder can
 * starve another into a deadlock. Credits are bytes: a stage acquires before it allocates or forwards
 * data and releases when the bytes are garbage. A stage that cannot get credits registers a callback
 * (typically "send me a message") and waits; nothing polls.
 *
 * <p>Thread-safe; every operation is a short synchronized section.
 */
public final class MemoryLedger {
  private final long budget;
  private final List<Account> accounts = new ArrayList<>();
  private long used;
  private long peak;

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

  /** Opens an account of {@code capacity} bytes; fails if the accounts would exceed the budget. */
  public synchronized Account open(String name, long capacity) {
    long total = capacity;
    for (Account a : accounts) {
      total += a.capacity;
    }
    if (total > budget) {
      throw new IllegalStateException("accounts exceed the budget: " + total + " > " + budget);
    }
    Account a = new Account(name, capacity);
    accounts.add(a);
    return a;
  }

  /** All accounts, for statistics. */
  public synchronized List<Account> accounts() {
    return List.copyOf(accounts);
  }

  /** One holder's share of the budget. */
  public final class Account {
    private final String name;
    private final long capacity;
    private long held;
    private long peakHeld;
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();

    private record Waiter(long bytes, Runnable callback) {}

    private Account(String name, long capacity) {
      this.name = name;
      this.capacity = capacity;
    }

    /** The account's name. */
    public String name() {
      return name;
    }

    /** The account's capacity in bytes. */
    public long capacity() {
      return capacity;
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

    /** Takes {@code bytes} if they fit in the account now (and nobody queued before); else takes nothing. */
    public boolean tryAcquire(long bytes) {
      synchronized (MemoryLedger.this) {
        if (bytes < 0) {
          throw new IllegalArgumentException("negative credit");
        }
        if (!waiters.isEmpty() || held + bytes > capacity) {
          return false;
        }
        take(bytes);
        return true;
      }
    }

    /**
     * Takes {@code bytes} now if possible and returns true; otherwise queues a request that is granted
     * (taken and then {@code onGranted} run, on the releasing thread) as soon as credits free up, and
     * returns false. Requests larger than the capacity are refused with an exception.
     */
    public boolean acquireOrWait(long bytes, Runnable onGranted) {
      synchronized (MemoryLedger.this) {
        if (bytes > capacity) {
          throw new IllegalStateException(name + " needs " + bytes + " bytes, more than its whole share " + capacity);
        }
        if (waiters.isEmpty() && held + bytes <= capacity) {
          take(bytes);
          return true;
        }
        waiters.add(new Waiter(bytes, onGranted));
        return false;
      }
    }

    /** True when {@code bytes} more could ever fit, i.e. the request is within the capacity at all. */
    public boolean couldEverFit(long bytes) {
      synchronized (MemoryLedger.this) {
        return held + bytes <= capacity;
      }
    }

    /** Returns {@code bytes} to the account and grants queued requests that now fit, in order. */
    public void release(long bytes) {
      List<Runnable> granted = new ArrayList<>(1);
      synchronized (MemoryLedger.this) {
        if (bytes < 0 || bytes > held) {
          throw new IllegalStateException(name + ": releasing " + bytes + " of " + held + " held");
        }
        held -= bytes;
        used -= bytes;
        while (!waiters.isEmpty() && held + waiters.peek().bytes <= capacity) {
          Waiter w = waiters.poll();
          take(w.bytes);
          granted.add(w.callback);
        }
      }
      for (Runnable r : granted) {
        r.run();
      }
    }

    /** Drops queued requests (a stopping stage). */
    public void cancelWaiters() {
      synchronized (MemoryLedger.this) {
        waiters.clear();
      }
    }

    private void take(long bytes) {
      held += bytes;
      used += bytes;
      peakHeld = Math.max(peakHeld, held);
      peak = Math.max(peak, used);
    }
  }
}
