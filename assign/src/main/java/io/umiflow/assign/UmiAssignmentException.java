package io.umiflow.assign;

/**
 * A UMI the strategy cannot work with (mixed lengths, a paired UMI without exactly one dash). Carries the
 * index of the offending template in the {@link UmiSet} so the caller can name the read.
 */
public final class UmiAssignmentException extends RuntimeException {
  private final int template;

  /** @param template index in the UmiSet of the template at fault */
  public UmiAssignmentException(int template, String message) {
    super(message);
    this.template = template;
  }

  /** Index in the UmiSet of the template at fault. */
  public int template() {
    return template;
  }
}
