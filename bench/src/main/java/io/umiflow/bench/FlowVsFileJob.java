package io.umiflow.bench;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Behaviors;
import io.umiflow.actors.GroupJob;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.JobSummary;
import io.umiflow.assign.Strategy;
import io.umiflow.streams.BamSink;
import io.umiflow.streams.BamSource;
import io.umiflow.streams.GroupingFlow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The stream API's cost against the file job's on the same BAM, in one JVM and one actor system: a graph
 * {@code BamSource -> GroupingFlow -> BamSink} against {@code GroupJob} (what {@code umiflow group} runs),
 * alternating which goes first, after one warm-up run of each. Prints each run and the medians' ratio.
 *
 * <pre>
 *   java -Xmx2g -cp bench/target/benchmarks.jar io.umiflow.bench.FlowVsFileJob IN.bam [RUNS] [THREADS] [BUDGET_MIB]
 * </pre>
 */
public final class FlowVsFileJob {
  /** Runs of each before the measured ones: the flow's path (Akka Streams' stages) takes longer to compile. */
  private static final int WARM_UPS = 2;

  private FlowVsFileJob() {}

  public static void main(String[] args) throws Exception {
    Path in = Paths.get(args[0]);
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    long budget = (args.length > 3 ? Long.parseLong(args[3]) : 256) << 20;
    Path dir = Files.createTempDirectory("umiflow-flow-bench");
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "flow-bench");
    try {
      GroupSettings s = GroupSettings.builder().input(in.toString()).output(dir.resolve("file.bam").toString())
          .strategy(Strategy.ADJACENCY).threads(threads).memoryBudget(budget).compressionLevel(1).progressMillis(0)
          .commandLine("bench").build();
      List<Double> file = new ArrayList<>();
      List<Double> flow = new ArrayList<>();
      for (int run = -WARM_UPS; run < runs; run++) {
        boolean fileFirst = (run & 1) == 0;
        for (int k = 0; k < 2; k++) {
          boolean doFile = (k == 0) == fileFirst;
          long t0 = System.nanoTime();
          double cpu0 = cpuSeconds();
          double gc0 = gcSeconds();
          JobSummary summary = doFile ? fileJob(system, s) : flow(system, in, dir.resolve("flow.bam"), s);
          double seconds = (System.nanoTime() - t0) / 1e9;
          System.out.printf("%s %-8s %6.2f s  %6.2f CPU s  %5.2f GC s  %,d records%n", run < 0 ? "warm-up" : "run " + run,
              doFile ? "file-job" : "flow", seconds, cpuSeconds() - cpu0, gcSeconds() - gc0, summary.recordsWritten());
          if (run >= 0) {
            (doFile ? file : flow).add(seconds);
          }
        }
      }
      double mf = median(file);
      double ms = median(flow);
      System.out.printf("median file job %.2f s, flow %.2f s, flow / file job %.3f%n", mf, ms, ms / mf);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      try (var files = Files.list(dir)) {
        for (Path p : files.toList()) {
          Files.delete(p);
        }
      }
      Files.delete(dir);
    }
  }

  private static JobSummary fileJob(ActorSystem<Void> system, GroupSettings s) throws Exception {
    CompletableFuture<JobSummary> done = new CompletableFuture<>();
    var listener = system.systemActorOf(Behaviors.receive(GroupJob.Event.class)
        .onMessage(GroupJob.Completed.class, c -> {
          done.complete(c.summary());
          return Behaviors.stopped();
        })
        .onMessage(GroupJob.Failed.class, f -> {
          done.completeExceptionally(new IllegalStateException(f.reason()));
          return Behaviors.stopped();
        })
        .onAnyMessage(m -> Behaviors.same()).build(), "listener-" + System.nanoTime(), Props.empty());
    var job = system.systemActorOf(GroupJob.create(), "job-" + System.nanoTime(), Props.empty());
    job.tell(new GroupJob.Start(s, listener));
    return done.get(30, TimeUnit.MINUTES);
  }

  private static JobSummary flow(ActorSystem<Void> system, Path in, Path out, GroupSettings s) throws Exception {
    BamSource source = BamSource.open(in);
    var ends = source.records(s.threads())
        .viaMat(GroupingFlow.create(s, source.header()), akka.stream.javadsl.Keep.right())
        .toMat(BamSink.toPath(out, source.header(), s), akka.stream.javadsl.Keep.both())
        .run(system);
    ends.second().toCompletableFuture().get(30, TimeUnit.MINUTES);
    return ends.first().toCompletableFuture().get(30, TimeUnit.MINUTES);
  }

  /** CPU seconds of this process so far (all threads, user and system). */
  private static double cpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
  }

  /** Seconds the collectors have spent so far (pauses of the stop-the-world collectors). */
  private static double gcSeconds() {
    long ms = 0;
    for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
      ms += Math.max(0, gc.getCollectionTime());
    }
    return ms / 1e3;
  }

  private static double median(List<Double> xs) {
    List<Double> sorted = new ArrayList<>(xs);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
