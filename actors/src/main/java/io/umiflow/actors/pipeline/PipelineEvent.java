package io.umiflow.actors.pipeline;

import io.umiflow.actors.batch.BatchMetrics;
import io.umiflow.codec.BamHeader;

/**
 * What the pipeline's stages tell whoever runs them (the file job or the stream stage), which adapts them to
 * its own protocol.
 */
public sealed interface PipelineEvent {
  /**
   * The reader has read the header; {@code leftover} holds the records' first bytes, charged {@code credit}.
   * When the job sorts its input, {@code header} is the sorted records' and {@code sorting} says why (else
   * null).
   */
  record HeaderRead(BamHeader header, byte[] leftover, int credit, String sorting) implements PipelineEvent {
    public HeaderRead(BamHeader header, byte[] leftover, int credit) {
      this(header, leftover, credit, null);
    }
  }

  /**
   * A stage failed; {@code reason} is one line naming the file, record and cause. {@code neededBudget}: the
   * smallest budget that would have avoided the failure when more memory would, else 0.
   */
  record Failed(String reason, long neededBudget) implements PipelineEvent {
    /** The reason quotes input bytes (UMIs, names): control characters are escaped, so it stays one line. */
    public Failed {
      reason = oneLine(reason);
    }

    /** {@code s} with control characters as {@code \xNN}. */
    static String oneLine(String s) {
      if (s == null || s.chars().noneMatch(c -> c < 0x20 || c == 0x7f)) {
        return s;
      }
      StringBuilder b = new StringBuilder(s.length() + 8);
      s.chars().forEach(c -> b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", c) : String.valueOf((char) c)));
      return b.toString();
    }

    /** A failure more memory would not avoid. */
    public Failed(String reason) {
      this(reason, 0);
    }
  }

  /** Every batch is written (or delivered); {@code totals} are the run's metrics. */
  record Finished(BatchMetrics totals) implements PipelineEvent {}
}
