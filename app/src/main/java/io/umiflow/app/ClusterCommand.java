package io.umiflow.app;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import io.umiflow.actors.outofcore.SpillFolder;
import io.umiflow.cluster.AllowedPaths;
import io.umiflow.cluster.ClusterNode;
import io.umiflow.cluster.NodeSettings;
import io.umiflow.cluster.Tls;
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

    @Option(names = "--tls-key", paramLabel = "PEM",
        description = "This member's private key (PEM), for TLS with mutual authentication; with --tls-cert and --tls-ca.")
    java.nio.file.Path tlsKey;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "This member's certificate (PEM), signed by the CA.")
    java.nio.file.Path tlsCert;

    @Option(names = "--tls-ca", paramLabel = "PEM", description = "The cluster's CA certificate (PEM): only members "
        + "with a certificate it signed may join.")
    java.nio.file.Path tlsCa;

    @Option(names = "--tls-keystore", paramLabel = "FILE",
        description = "Instead of PEM files: a key store (PKCS12 or JKS) with this member's key and certificate; "
            + "with --tls-truststore and --tls-password-file.")
    java.nio.file.Path tlsKeyStore;

    @Option(names = "--tls-truststore", paramLabel = "FILE", description = "A key store with the CA certificate.")
    java.nio.file.Path tlsTrustStore;

    @Option(names = "--tls-password-file", paramLabel = "FILE",
        description = "A file whose first line is the stores' (and the key's) password.")
    java.nio.file.Path tlsPasswordFile;

    @Option(names = "--insecure", description = "Allow plain TCP on an address other than loopback: anything that "
        + "reaches the port can join the cluster and send it samples.")
    boolean insecure;

    /** Checks the options; returns the TLS settings, or null for plain TCP (loopback, or --insecure). */
    Tls validate() {
      for (String s : seedNodes) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || !s.substring(colon + 1).matches("[0-9]{1,5}")) {
          throw new IllegalArgumentException("--seed-nodes: '" + s + "' is not host:port");
        }
      }
      Tls tls = tls();
      if (tls == null && !insecure && !loopback(host)) {
        throw new IllegalArgumentException("--host " + host + " is not a loopback address and no TLS is set: anything "
            + "that reaches the port could join the cluster and send it samples; give --tls-key, --tls-cert and "
            + "--tls-ca (docs/cluster.md), or --insecure on a network you trust");
      }
      return tls;
    }

    private Tls tls() {
      boolean pem = tlsKey != null || tlsCert != null || tlsCa != null;
      boolean stores = tlsKeyStore != null || tlsTrustStore != null || tlsPasswordFile != null;
      if (pem && stores) {
        throw new IllegalArgumentException("give either --tls-key/--tls-cert/--tls-ca or the --tls-keystore options, "
            + "not both");
      }
      if (pem) {
        if (tlsKey == null || tlsCert == null || tlsCa == null) {
          throw new IllegalArgumentException("TLS needs all of --tls-key, --tls-cert and --tls-ca");
        }
        return Tls.pem(tlsKey, tlsCert, tlsCa);
      }
      if (stores) {
        if (tlsKeyStore == null || tlsTrustStore == null || tlsPasswordFile == null) {
          throw new IllegalArgumentException("TLS needs all of --tls-keystore, --tls-truststore and --tls-password-file");
        }
        String password;
        try {
          password = java.nio.file.Files.readAllLines(tlsPasswordFile).stream().findFirst().orElse("");
        } catch (java.io.IOException e) {
          throw new IllegalArgumentException("--tls-password-file " + tlsPasswordFile + ": cannot read");
        }
        return Tls.keyStores(tlsKeyStore, tlsTrustStore, password);
      }
      return null;
    }

    private static boolean loopback(String host) {
      try {
        return java.net.InetAddress.getByName(host).isLoopbackAddress();
      } catch (java.net.UnknownHostException e) {
        throw new IllegalArgumentException("--host " + host + ": unknown host");
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

    @Option(names = "--allow-path", paramLabel = "DIR",
        description = "A folder under which samples may read and write (repeatable; default: the current folder). "
            + "A sample naming a file elsewhere is refused, saying which.")
    List<java.nio.file.Path> allowPaths;

    @Override
    public Integer call() {
      PrintStream err = System.err;
      int workers = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
      NodeSettings node;
      Tls tls;
      try {
        tls = membership.validate();
        if (workers < 1 || concurrent < 1) {
          throw new IllegalArgumentException("--threads and --concurrent-samples must be >= 1");
        }
        node = new NodeSettings(MemorySize.budgetFor(memory), workers, concurrent, 5000, AllowedPaths.under(
            allowPaths == null || allowPaths.isEmpty() ? List.of(java.nio.file.Path.of("")) : allowPaths));
      } catch (IllegalArgumentException e) {
        err.println("umiflow cluster node: " + e.getMessage());
        return 2;
      }
      // what processes killed outright (SIGKILL, a lost node) left in the folders this node's samples use
      List<java.nio.file.Path> folders = new java.util.ArrayList<>(
          allowPaths == null || allowPaths.isEmpty() ? List.of(java.nio.file.Path.of("")) : allowPaths);
      folders.add(java.nio.file.Path.of(System.getProperty("java.io.tmpdir")));
      int stale = 0;
      for (java.nio.file.Path f : folders) {
        stale += SpillFolder.removeStale(f.toAbsolutePath());
      }
      if (stale > 0) {
        err.printf("umiflow cluster node: removed %d spill folder(s) left by processes that are gone%n", stale);
      }
      String extra = LOGGING + "akka.coordinated-shutdown.run-by-jvm-shutdown-hook = on\n"
          + "umiflow.worker-dispatcher.fork-join-executor.parallelism-min = " + workers + "\n"
          + "umiflow.worker-dispatcher.fork-join-executor.parallelism-max = " + workers + "\n";
      ClusterCommand.initLogging("WARN");
      ActorSystem<Void> system;
      try {
        system = ClusterNode.start(new ClusterNode.Options(membership.host, port, membership.seedNodes, true, node,
            extra, tls));
      } catch (RuntimeException e) {
        err.println("umiflow cluster node: cannot start on " + membership.host + ":" + port + " (" + e.getMessage() + ")");
        return 1;
      }
      err.printf("umiflow cluster node: up at %s, seeds %s, budget %s per sample, %d threads, %s%n",
          system.address(), String.join(",", membership.seedNodes), MemorySize.format(node.budgetPerSample()), workers,
          tls == null ? "plain TCP" : "TLS");
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
