package io.umiflow.app;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import io.umiflow.cluster.ClusterNode;
import io.umiflow.cluster.NodeSettings;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code umiflow cluster}: the members of a umiflow cluster. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
    description = "Run umiflow on a cluster of nodes (see docs/cluster.md).",
    subcommands = {ClusterCommand.Node.class})
final class ClusterCommand implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
  }

  /** Options every member shares. */
  static final class Membership {
    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST",
        description = "Address to bind and advertise to the other nodes (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--seed-nodes", required = true, paramLabel = "H:P[,H:P...]", split = ",",
        description = "Seed nodes to join, host:port, comma-separated; the first one to start forms the cluster.")
    List<String> seedNodes;

    void validate() {
      for (String s : seedNodes) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || !s.substring(colon + 1).matches("[0-9]{1,5}")) {
          throw new IllegalArgumentException("--seed-nodes: '" + s + "' is not host:port");
        }
      }
    }
  }

  /** {@code umiflow cluster node}: a worker that runs samples. */
  @Command(name = "node", mixinStandardHelpOptions = true,
      description = {
          "Start a worker node of a umiflow cluster and run until stopped (Ctrl-C or SIGTERM leave the cluster "
              + "gracefully: the node's samples move to the other nodes).",
          "",
          "Each sample placed on this node runs as a local 'umiflow group' job with this node's --memory and "
              + "--threads; samples beyond --concurrent-samples wait. Inputs and outputs are paths every node "
              + "can reach (shared storage)."})
  static final class Node implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    Membership membership = new Membership();

    @Option(names = "--port", defaultValue = "2551", paramLabel = "PORT",
        description = "Port for the other nodes (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--memory", paramLabel = "SIZE",
        description = "Ceiling for this whole process, e.g. 4g (default: a quarter of physical memory, at most 8g).")
    String memory;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads per sample (default: all cores).")
    Integer threads;

    @Option(names = "--concurrent-samples", defaultValue = "1", paramLabel = "N",
        description = "Samples run at once, each with 1/N of the memory budget (default: ${DEFAULT-VALUE}).")
    int concurrent;

    @Override
    public Integer call() {
      PrintStream err = System.err;
      int workers = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
      NodeSettings node;
      try {
        membership.validate();
        if (workers < 1 || concurrent < 1) {
          throw new IllegalArgumentException("--threads and --concurrent-samples must be >= 1");
        }
        node = new NodeSettings(MemorySize.budgetFor(memory), workers, concurrent, 5000);
      } catch (IllegalArgumentException e) {
        err.println("umiflow cluster node: " + e.getMessage());
        return 2;
      }
      String extra = LOGGING + "akka.coordinated-shutdown.run-by-jvm-shutdown-hook = on\n"
          + "umiflow.worker-dispatcher.fork-join-executor.parallelism-min = " + workers + "\n"
          + "umiflow.worker-dispatcher.fork-join-executor.parallelism-max = " + workers + "\n";
      ClusterCommand.initLogging("WARN");
      ActorSystem<Void> system;
      try {
        system = ClusterNode.start(new ClusterNode.Options(membership.host, port, membership.seedNodes, true, node,
            extra));
      } catch (RuntimeException e) {
        err.println("umiflow cluster node: cannot start on " + membership.host + ":" + port + " (" + e.getMessage() + ")");
        return 1;
      }
      err.printf("umiflow cluster node: up at %s, seeds %s, budget %s per sample, %d threads%n",
          system.address(), String.join(",", membership.seedNodes), MemorySize.format(node.budgetPerSample()), workers);
      try {
        system.getWhenTerminated().toCompletableFuture().join();
      } catch (RuntimeException e) {
        return 1;
      }
      err.println("umiflow cluster node: stopped");
      return 0;
    }
  }

  /**
   * Akka Typed and Cluster Sharding log through SLF4J; starting it before the ActorSystem keeps SLF4J from
   * warning about log calls made while it was still initialising on another thread.
   */
  static void initLogging(String level) {
    System.setProperty("umiflow.logLevel", level);
    org.slf4j.LoggerFactory.getILoggerFactory();
  }

  /** Cluster members log through SLF4J only (typed and classic alike), so each message appears once. */
  static final String LOGGING = "akka.loggers = [\"akka.event.slf4j.Slf4jLogger\"]\n"
      + "akka.logging-filter = \"akka.event.slf4j.Slf4jLoggingFilter\"\n";

  /** Leaves the cluster gracefully and waits, at most a minute. */
  static void leave(ActorSystem<?> system) {
    try {
      CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason())
          .toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception ignored) {
      system.terminate();
    }
  }
}
