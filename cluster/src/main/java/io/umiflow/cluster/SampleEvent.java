package io.umiflow.cluster;

/** What a sample's entity tells the cohort coordinator, from whichever node runs it. */
public sealed interface SampleEvent extends CborSerializable {
  /** The sample this event is about. */
  String sampleId();

  /** The job started on {@code node} (an Akka address). */
  record Started(String sampleId, String node) implements SampleEvent {}

  /**
   * Periodic progress of a running sample.
   *
   * @param inputBytesRead bytes of its input read (as stored)
   * @param inputBytes     its input's size, or -1 when unknown
   */
  record Progress(String sampleId, String node, long recordsRead, double recordsPerSecond, long inputBytesRead,
                  long inputBytes) implements SampleEvent {
    /** The fraction of the input read, 0..1, or -1 when its size is unknown. */
    public double fractionRead() {
      return inputBytes > 0 ? Math.min(1.0, inputBytesRead / (double) inputBytes) : -1;
    }
  }

  /** The sample's output is complete and in place. */
  record Completed(String sampleId, String node, long recordsRead, long recordsWritten, long molecules,
                   long wallMillis) implements SampleEvent {}

  /** The sample failed for a reason that running it again would not change (bad input, bad options). */
  record Failed(String sampleId, String node, String reason) implements SampleEvent {}
}
