package io.umiflow.streams;

import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Keep;
import akka.util.ByteString;
import htsjdk.samtools.SAMFileHeader;
import htsjdk.samtools.SAMRecord;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.GroupStage;
import io.umiflow.actors.GroupedBatch;
import io.umiflow.actors.JobSummary;
import io.umiflow.actors.SamRecords;
import io.umiflow.codec.BamHeader;
import java.util.concurrent.CompletionStage;

/**
 * UMI grouping as an Akka Streams {@link Flow}: raw BAM records in, grouped position groups out, in the
 * order {@code umiflow group} writes them, with molecule ids set. Each materialization runs one grouping job
 * (a {@link GroupStage} actor and its workers under {@code /system}) within {@code settings.memoryBudget()}.
 *
 * <p>Back-pressure both ways through the job's byte credits: upstream is pulled only as the budget grants
 * bytes, and downstream demand limits what is delivered; a slow downstream therefore holds the job at its
 * budget and stops the pulls. The flow holds, beyond the budget, at most its window of delivered batches plus
 * one batch ({@link GroupStage#maxBatchBytes}).
 *
 * <p>Ends: when upstream completes, the flow completes after the last group, and its materialized value
 * completes with the job's summary. Upstream failure fails the flow with that cause; downstream cancellation
 * (or a {@code KillSwitch}) stops the job and frees its memory, and the materialized value fails with a
 * {@link java.util.concurrent.CancellationException}; a grouping error (a corrupt record, a missing UMI, a
 * group larger than the budget can hold even out of core) fails the flow with a {@link GroupingException}
 * whose message is the one-line reason.
 *
 * <p>Records must arrive in template-coordinate order ({@code samtools sort --template-coordinate}) and the
 * header must say so, as for the file job; the flow does not sort.
 */
public final class GroupingFlow {
  /** Records per htsjdk encode call of {@link #samRecords}: enough to amortize the call, small enough to stream. */
  private static final int ENCODE_RECORDS = 512;

  private GroupingFlow() {}

  /**
   * The grouping flow for records of {@code header}: raw BAM records back to back, each with its
   * {@code block_size}, in chunks of any size (a chunk may end inside a record).
   */
  public static Flow<ByteString, GroupedBatch, CompletionStage<JobSummary>> create(GroupSettings settings,
                                                                                    BamHeader header) {
    return create(settings, header, defaultWindow(settings));
  }

  /**
   * As {@link #create(GroupSettings, BamHeader)}, keeping {@code windowBytes} of delivered-but-not-yet-pulled
   * output (counted in {@link GroupedBatch#bytes()}) ready for downstream. A larger window smooths a bursty
   * downstream at the cost of that much memory beyond the budget.
   */
  public static Flow<ByteString, GroupedBatch, CompletionStage<JobSummary>> create(GroupSettings settings,
                                                                                    BamHeader header, long windowBytes) {
    if (windowBytes <= 0) {
      throw new IllegalArgumentException("the window must be positive, got " + windowBytes);
    }
    return Flow.fromGraph(new GroupingStage(settings, header, windowBytes));
  }

  /**
   * The grouping flow over htsjdk records: the records of {@code header} in, the grouped records out (each
   * a new {@link SAMRecord} with the molecule id tag set). Costs one htsjdk encode and one decode per record
   * (about a microsecond each); hosts holding BAM bytes should use {@link #create}.
   */
  public static Flow<SAMRecord, SAMRecord, CompletionStage<JobSummary>> samRecords(GroupSettings settings,
                                                                                   SAMFileHeader header) {
    return Flow.<SAMRecord>create()
        .grouped(ENCODE_RECORDS)
        .map(records -> ByteString.fromArrayUnsafe(SamRecords.encode(header, records)))
        .viaMat(create(settings, BamHeader.of(header)), Keep.right())
        .mapConcat(batch -> batch.samRecords(header));
  }

  /**
   * The window {@link #create(GroupSettings, BamHeader)} uses: a sixteenth of the budget, between 1 and 32 MiB,
   * so that a batch pushed on is replaced while the next is being delivered.
   */
  public static long defaultWindow(GroupSettings settings) {
    return Math.max(1L << 20, Math.min(32L << 20, settings.memoryBudget() / 16));
  }
}
