package io.umiflow.app;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.typed.Cluster;
import io.umiflow.cluster.ClusterNode;
import io.umiflow.cluster.Cohort;
import io.umiflow.cluster.Manifest;
import io.umiflow.cluster.SampleEvent;
import io.umiflow.cluster.SampleWork;
import io.umiflow.cluster.Tls;
import io.umiflow.codec.Bgzf;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code umiflow cohort}: submits a cohort to a running cluster and waits for every sample's outcome. */
@Command(name = "cohort", mixinStandardHelpOptions = true,
    description = {
        "Group every sample of a cohort on a umiflow cluster (nodes started with 'umiflow cluster node') and "
            + "wait until each has completed or failed. Exits 0 only if every sample completed.",
        "",
        "The manifest is tab-separated, one sample per line: sample id, input BAM, output BAM, then optional "
            + "option=value fields with 'umiflow group' option names (strategy, edits, min-map-q, "
            + "include-non-pf-reads, raw-tag, assign-tag, cell-tag, min-umi-length, mark-duplicates, "
            + "compression-level, family-size-histogram, grouping-metrics, tmp-dir). Relative paths are taken "
            + "from the manifest's folder; every node must reach them.",
        "",
        "A sample whose node leaves or dies is started again on another node; outputs appear only when "
            + "complete, so a restart never leaves a partial or doubled output."})
final class CohortCommand implements Callable<Integer> {
  @Option(names = "--manifest", required = true, paramLabel = "TSV", description = "The cohort (see above).")
  Path manifest;

  @Mixin
  ClusterCommand.Membership membership = new ClusterCommand.Membership();

  @Option(names = "--port", defaultValue = "0", paramLabel = "PORT",
      description = "Port of this submitting process in the cluster (default: any free port).")
  int port;

  @Option(names = {"-s", "--strategy"}, defaultValue = "adjacency", paramLabel = "STRATEGY",
      description = "Strategy of samples that do not name one (default: ${DEFAULT-VALUE}).")
  String strategy;

  @Option(names = "--resume", description = "Skip samples whose output is already complete.")
  boolean resume;

  @Option(names = "--redrive-interval", defaultValue = "5", paramLabel = "SECONDS",
      description = "How often unfinished samples are sent again, which restarts those whose node died "
          + "(default: ${DEFAULT-VALUE}).")
  double redrive;

  @Option(names = "--join-timeout", defaultValue = "60", paramLabel = "SECONDS",
      description = "Fail when fewer than --min-workers worker nodes are up after this long "
          + "(default: ${DEFAULT-VALUE}).")
  double joinTimeout;

  @Option(names = "--min-workers", defaultValue = "1", paramLabel = "N",
      description = "Send no sample before N worker nodes are up, so that all of them get a share from the start "
          + "(default: ${DEFAULT-VALUE}; nodes that join later take samples only when sharding rebalances).")
  int minWorkers;

  @Option(names = "--timeout", paramLabel = "SECONDS",
      description = "Give up when samples are still unfinished after this long, and exit 1 (default: wait as long "
          + "as it takes).")
  Double timeout;

  @Option(names = {"-q", "--quiet"}, description = "Print only failures and the final line.")
  boolean quiet;

  @picocli.CommandLine.Mixin
  ProgressOptions progress = new ProgressOptions();

  @Override
  public Integer call() {
    PrintStream err = System.err;
    List<SampleWork> samples;
    Tls tls;
    try {
      tls = membership.validate();
      if (timeout != null && timeout <= 0) {
        throw new IllegalArgumentException("--timeout must be > 0 seconds, got " + timeout);
      }
      if (minWorkers < 1) {
        throw new IllegalArgumentException("--min-workers must be >= 1, got " + minWorkers);
      }
      samples = Manifest.read(manifest, Map.of("strategy", strategy));
      display = progress.display(err, false, "umiflow cohort");
    } catch (IllegalArgumentException e) {
      err.println("umiflow cohort: " + e.getMessage());
      return 2;
    } catch (Manifest.ManifestException e) {
      err.println("umiflow cohort: " + e.getMessage());
      return 2;
    }
    List<SampleWork> todo = new ArrayList<>();
    for (SampleWork s : samples) {
      String why = resume ? ResumeCheck.whyRerun(s) : null;
      if (resume && why == null) {
        if (!quiet) {
          err.println("umiflow cohort: " + s.sampleId() + ": skipped, " + s.output() + " is complete");
        }
      } else {
        if (why != null && !quiet && !why.equals("no output yet")) {
          err.println("umiflow cohort: " + s.sampleId() + ": runs again, " + why);
        }
        todo.add(s);
      }
    }
    if (todo.isEmpty()) {
      err.printf("umiflow cohort: all %d samples were already complete%n", samples.size());
      return 0;
    }
    ClusterCommand.initLogging("ERROR");
    ActorSystem<Void> system;
    try {
      system = ClusterNode.start(new ClusterNode.Options(membership.host, port, membership.seedNodes, false, null,
          ClusterCommand.LOGGING + "akka.loglevel = ERROR\n"
              // Ctrl-C leaves the cluster gracefully instead of waiting to be downed
              + "akka.coordinated-shutdown.run-by-jvm-shutdown-hook = on\n", tls));
    } catch (RuntimeException e) {
      err.println("umiflow cohort: cannot join the cluster (" + e.getMessage() + ")");
      return 1;
    }
    try {
      awaitWorkers(system, minWorkers, tls);
    } catch (IllegalStateException e) {
      err.println("umiflow cohort: " + e.getMessage());
      ClusterCommand.leave(system);
      return 1;
    }
    CohortProgress shown = new CohortProgress(display, quiet, todo.size());
    CompletableFuture<Cohort.Finished> finished = new CompletableFuture<>();
    ActorRef<Cohort.Report> listener = system.systemActorOf(Behaviors.receive(Cohort.Report.class)
        .onAnyMessage(r -> {
          if (r instanceof Cohort.SampleReport s) {
            shown.on(s.event());
          } else if (r instanceof Cohort.Finished f) {
            finished.complete(f);
          }
          return Behaviors.same();
        }).build(), "cohort-listener", Props.empty());
    system.systemActorOf(Cohort.create(todo, ClusterNode.proxy(system), listener,
        Duration.ofMillis((long) (redrive * 1000))), "cohort", Props.empty());
    if (!quiet) {
      display.println(String.format(Locale.ROOT, "umiflow cohort: %d samples sent to the cluster at %s", todo.size(),
          String.join(",", membership.seedNodes)));
    }
    Cohort.Finished result;
    try {
      result = await(finished, system, err);
    } catch (IllegalStateException e) {
      shown.finish();
      err.println("umiflow cohort: " + e.getMessage());
      ClusterCommand.leave(system);
      return 1;
    }
    shown.finish();
    ClusterCommand.leave(system);
    List<String> failed = new ArrayList<>();
    result.outcomes().forEach((id, e) -> {
      if (!(e instanceof SampleEvent.Completed)) {
        failed.add(id);
      }
    });
    err.printf("umiflow cohort: %d of %d samples completed%s%n", todo.size() - failed.size(), todo.size(),
        failed.isEmpty() ? "" : "; failed: " + String.join(", ", failed));
    return failed.isEmpty() ? 0 : 1;
  }

  /** Worker members that are up. */
  private static long workersUp(ActorSystem<Void> system) {
    return java.util.stream.StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(m -> m.hasRole(ClusterNode.WORKER_ROLE) && m.status() == akka.cluster.MemberStatus.up())
        .count();
  }

  /** Waits until {@code n} worker nodes are up, at most the join timeout. */
  private void awaitWorkers(ActorSystem<Void> system, int n, Tls tls) {
    long deadline = System.nanoTime() + (long) (joinTimeout * 1e9);
    while (workersUp(system) < n) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(workersUp(system) + " of " + n + " worker nodes up after " + joinTimeout
            + " s (seed nodes " + String.join(",", membership.seedNodes) + "); start them with 'umiflow cluster node'"
            + (tls == null ? ", and if they use TLS give this command the same --tls options" : ""));
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted");
      }
    }
  }

  /** Waits for the cohort's outcome. */
  /**
   * Waits for the cohort's outcome, at most --timeout; says once when no worker node is reachable (the
   * samples wait for one to come back), and again when one is.
   */
  private Cohort.Finished await(CompletableFuture<Cohort.Finished> finished, ActorSystem<Void> system,
                                PrintStream err) {
    long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + (long) (timeout * 1e9);
    boolean saidNone = false;
    try {
      while (true) {
        try {
          return finished.get(1, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          boolean none = reachableWorkers(system) == 0;
          if (none != saidNone) {
            display.println("umiflow cohort: " + (none ? "no worker node is reachable; samples wait for one"
                + (timeout == null ? " (set --timeout to give up)" : "") : "a worker node is reachable again"));
            saidNone = none;
          }
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("--timeout of " + timeout + " s reached with samples unfinished");
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage());
    }
  }

  /** Worker members that are up and that this member can reach. */
  private static long reachableWorkers(ActorSystem<Void> system) {
    akka.cluster.ClusterEvent.CurrentClusterState state = Cluster.get(system).state();
    java.util.Set<akka.cluster.Member> unreachable = state.getUnreachable();
    return java.util.stream.StreamSupport.stream(state.getMembers().spliterator(), false)
        .filter(m -> m.hasRole(ClusterNode.WORKER_ROLE) && m.status() == akka.cluster.MemberStatus.up()
            && !unreachable.contains(m))
        .count();
  }

  private ProgressDisplay display;
}
