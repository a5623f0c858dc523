package io.umiflow.example;

import akka.actor.ClassicActorSystemProvider;
import akka.japi.Pair;
import akka.stream.javadsl.Keep;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.JobSummary;
import io.umiflow.streams.BamSink;
import io.umiflow.streams.BamSource;
import io.umiflow.streams.GroupingFlow;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletionStage;

/**
 * The stream example of docs/embedding.md: a BAM file through the grouping flow into a BAM file, what
 * {@code umiflow group -i in -o out} does, as one Akka Streams graph a host can extend (a different source,
 * a tee to another sink, a KillSwitch).
 */
public final class StreamsExample {
  private StreamsExample() {}

  /** Groups {@code in} into {@code out}; completes with the job's summary once {@code out} is in place. */
  public static CompletionStage<JobSummary> groupFile(ClassicActorSystemProvider system, Path in, Path out,
                                                      GroupSettings settings) throws IOException {
    BamSource source = BamSource.open(in); // reads the header now: the flow and the sink need it
    Pair<CompletionStage<JobSummary>, CompletionStage<akka.Done>> ends = source.records()
        .viaMat(GroupingFlow.create(settings, source.header()), Keep.right())
        .toMat(BamSink.toPath(out, source.header(), settings), Keep.both())
        .run(system);
    // the summary comes when the last group is out of the flow; the file is complete when the sink is done
    return ends.first().thenCombine(ends.second(), (summary, written) -> summary);
  }
}
