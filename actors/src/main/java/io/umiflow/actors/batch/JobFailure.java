package io.umiflow.actors.batch;

/**
 * A failure that names the input and the record, thrown inside a worker; it ends the job with its message.
 * {@code neededBudget} is, for a failure a larger memory budget would have avoided, the smallest such
 * budget in bytes (0 otherwise).
 */
public final class JobFailure extends RuntimeException {
  private final long neededBudget;

  public JobFailure(String message) {
    this(message, 0);
  }

  public JobFailure(String message, long neededBudget) {
    super(message, null, false, false);
    this.neededBudget = neededBudget;
  }

  public long neededBudget() {
    return neededBudget;
  }
}
