package io.umiflow.actors.pipeline;

import io.umiflow.actors.memory.MemoryLedger;
import io.umiflow.actors.memory.MemoryPlan;

/**
 * The credits of one worker, in the two accounts it uses. Its own account holds its kit and the scratch it
 * keeps between batches (at most {@link MemoryPlan#workerKeep()}), charged as they are. A batch that needs
 * more scratch than the keep takes it from the flow account at the batch's priority <em>before</em>
 * allocating, and gives it back when the batch is assigned; a batch's own credit (taken by the grouper) is
 * cut down to what its output still needs once its input is garbage ({@link #keepOnly}).
 */
final class WorkerCredits {
  private final MemoryPlan plan;
  private final MemoryLedger.Account own;
  private final MemoryLedger.Account flow;
  private long ownHeld;
  /** Flow credits held for the batch being assigned (including a request not yet granted). */
  private long workHeld;

  WorkerCredits(MemoryPlan plan, MemoryLedger.Account own, MemoryLedger.Account flow) {
    this.plan = plan;
    this.own = own;
    this.flow = flow;
    settleOwn(0);
  }

  /** The scratch the current batch may use now: the flow credits taken for it, or the worker's keep. */
  long covered() {
    return Math.max(workHeld, plan.workerKeep());
  }

  /**
   * Makes sure {@code need} bytes of scratch (counted from empty) are covered before they are allocated: by
   * the own account when they are within the keep (beside the {@code retained} scratch the worker keeps,
   * which new arrays may replace while the old ones are still alive), else by flow credits taken at
   * {@code priority}. False when the request waits; {@code onGrant} runs when it is granted.
   */
  boolean cover(long need, long retained, long priority, Runnable onGrant) {
    if (need <= plan.workerKeep()) {
      settleOwn(retained + need);
      return true;
    }
    if (need <= workHeld) {
      return true;
    }
    long more = need - workHeld;
    workHeld = need;
    return flow.acquireOrWait(priority, more, onGrant);
  }

  /** After a batch is assigned: the own account holds the kit and the {@code retained} scratch; flow credits go back. */
  void finish(long retained) {
    settleOwn(retained);
    if (workHeld > 0) {
      flow.release(workHeld);
      workHeld = 0;
    }
  }

  /** Makes the own account hold the kit and {@code scratch} bytes (at most its capacity: kit and twice the keep). */
  void settleOwn(long scratch) {
    long target = Math.min(MemoryPlan.WORKER_KIT_BYTES + scratch, own.capacity());
    if (target > ownHeld) {
      if (!own.tryAcquire(target - ownHeld)) {
        throw new IllegalStateException(own.name() + " is shared"); // it is this worker's alone
      }
    } else if (target < ownHeld) {
      own.release(ownHeld - target);
    }
    ownHeld = target;
  }

  /** Gives back a batch's credit beyond {@code keep} (its input is garbage once encoded); returns what it keeps. */
  long keepOnly(long credit, long keep) {
    if (keep < credit) {
      flow.release(credit - keep);
      return keep;
    }
    return credit;
  }
}
