package io.umiflow.codec;

import java.io.IOException;

/**
 * Input that is not what it claims to be: a corrupt or truncated BGZF block, a malformed BAM record,
 * a header that does not declare the order we need. The message is one line that names the source,
 * the place (byte offset or record number) and the cause, so the CLI can print it as it is.
 */
public final class InputFormatException extends IOException {
  /** Creates the exception with a complete one-line message. */
  public InputFormatException(String message) {
    super(message);
  }

  /** Creates the exception with a complete one-line message and the low-level cause. */
  public InputFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
