package io.umiflow.streams;

/**
 * Why a {@link GroupingFlow} failed: its message is the one-line reason (the record and the cause), as
 * {@code umiflow group} would print it without the command-line words.
 */
public final class GroupingException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final long neededBudget;

  /** A failure; {@code neededBudget} is the smallest budget that would have done, or 0 when memory was not the cause. */
  public GroupingException(String reason, long neededBudget) {
    super(reason);
    this.neededBudget = neededBudget;
  }

  /**
   * For a failure for lack of memory, the smallest {@code memoryBudget} that would have done; 0 when more
   * memory would not help.
   */
  public long neededBudget() {
    return neededBudget;
  }
}
