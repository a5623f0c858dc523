package io.umiflow.actors;

/** A failure that names the input and the record, thrown inside a worker; it ends the job with its message. */
final class JobFailure extends RuntimeException {
  JobFailure(String message) {
    super(message, null, false, false);
  }
}
