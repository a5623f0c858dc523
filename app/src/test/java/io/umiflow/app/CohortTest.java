package io.umiflow.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorSystem;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import io.umiflow.cluster.ClusterNode;
import io.umiflow.cluster.Cohort;
import io.umiflow.cluster.NodeSettings;
import io.umiflow.cluster.SampleEvent;
import io.umiflow.cluster.SampleOptions;
import io.umiflow.cluster.SampleWork;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 12-sample simulated cohort on a cluster of three worker nodes on 127.0.0.1, once as ActorSystems in this
 * JVM and once as separate processes; in each run one worker is stopped abruptly (terminated without
 * leaving, or SIGKILL) while it runs a sample. Every output must equal, byte for byte after decompression,
 * what the equivalent single-node {@code umiflow group} command writes, and no temporary file may remain.
 */
class CohortTest {
  private static final int SAMPLES = 12;
  /** Quick failure handling for tests: unreachable after 2 s of silence, downed 2 s later. */
  private static final String FAST_DOWNING = "akka.cluster.split-brain-resolver.stable-after = 2s\n"
      + "akka.cluster.failure-detector.acceptable-heartbeat-pause = 2s\n"
      + "akka.loglevel = ERROR\n";

  @TempDir
  static Path dir;
  static final List<Path> inputs = new ArrayList<>();
  static final List<Map<String, String>> options = new ArrayList<>();
  /** Output path -> the decompressed bytes the equivalent single-node umiflow group command writes there. */
  static final Map<Path, byte[]> expected = new java.util.HashMap<>();

  @BeforeAll
  static void cohortAndSingleNodeResults() throws IOException {
    String[] strategies = {"adjacency", "edit", "identity"};
    for (int i = 0; i < SAMPLES; i++) {
      inputs.add(TestBams.simulate(dir, "sample" + i + ".bam", TestBams.params(100 + i, 50_000)));
      options.add(i % 4 == 3 ? Map.of("strategy", strategies[i % 3], "mark-duplicates", "true")
          : Map.of("strategy", strategies[i % 3]));
    }
    // each sample's output path gets what 'umiflow group' typed by hand with the same options writes there,
    // @PG command line included; the file is removed again for the cluster to write
    for (String run : new String[] {"jvm-out", "process-out"}) {
      for (SampleWork w : cohort(Files.createDirectories(dir.resolve(run)))) {
        String commandLine = SampleOptions.commandLine(w);
        List<String> args = new ArrayList<>(List.of(commandLine.substring("umiflow ".length()).split(" ")));
        args.add("-q");
        System.setProperty("umiflow.commandLine", commandLine);
        try {
          CliTest.Run r = CliTest.run(args.toArray(String[]::new));
          assertEquals(0, r.code(), r.err());
        } finally {
          System.clearProperty("umiflow.commandLine");
        }
        Path output = Path.of(w.output());
        expected.put(output, TestBams.decompressed(output));
        Files.delete(output);
      }
    }
  }

  private static List<SampleWork> cohort(Path out) {
    List<SampleWork> samples = new ArrayList<>();
    for (int i = 0; i < SAMPLES; i++) {
      samples.add(new SampleWork("sample" + i, inputs.get(i).toString(), out.resolve("sample" + i + ".bam").toString(),
          options.get(i)));
    }
    return samples;
  }

  private static void assertOutputs(Path out) throws IOException {
    for (SampleWork w : cohort(out)) {
      Path output = Path.of(w.output());
      assertArrayEquals(expected.get(output), TestBams.decompressed(output), w.sampleId() + ": decompressed output");
    }
    try (Stream<Path> files = Files.list(out)) {
      List<String> left = files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
      assertEquals(List.of(), left, "temporary files left");
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void awaitMembers(ActorSystem<?> system, int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      long up = StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
          .filter(m -> m.status() == MemberStatus.up()).count();
      if (up >= n) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the cluster did not reach " + n + " members");
  }

  @Test
  void threeActorSystems_oneStoppedAbruptlyMidRun_sameOutputsAsSingleNode() throws Exception {
    Path out = dir.resolve("jvm-out");
    int seed = freePort();
    List<String> seeds = List.of("127.0.0.1:" + seed);
    NodeSettings node = new NodeSettings(48L << 20, 1, 1, 0);
    List<ActorSystem<Void>> workers = new ArrayList<>();
    ActorSystem<Void> submitter = null;
    try {
      for (int i = 0; i < 3; i++) {
        // the third is the victim: terminating it must not leave the cluster gracefully
        String extra = FAST_DOWNING + (i == 2 ? "akka.coordinated-shutdown.run-by-actor-system-terminate = off\n" : "");
        workers.add(ClusterNode.start(new ClusterNode.Options("127.0.0.1", i == 0 ? seed : 0, seeds, true, node,
            extra)));
      }
      submitter = ClusterNode.start(new ClusterNode.Options("127.0.0.1", 0, seeds, false, null, FAST_DOWNING));
      awaitMembers(submitter, 4);
      ActorTestKit kit = ActorTestKit.create(submitter);
      TestProbe<Cohort.Report> reports = kit.createTestProbe();
      kit.spawn(Cohort.create(cohort(out), ClusterNode.proxy(submitter), reports.getRef(), Duration.ofMillis(500)));
      String victim = workers.get(2).address().toString();
      boolean killed = false;
      String interrupted = null;
      java.util.Set<String> victimCompleted = new java.util.HashSet<>();
      Cohort.Finished finished = null;
      while (finished == null) {
        Cohort.Report r = reports.receiveMessage(Duration.ofSeconds(120));
        if (r instanceof Cohort.SampleReport s && s.event() instanceof SampleEvent.Started st && !killed
            && st.node().equals(victim)) {
          workers.get(2).terminate(); // mid-run: its job is stopped, no goodbye to the cluster
          killed = true;
          interrupted = st.sampleId();
        } else if (r instanceof Cohort.Finished f) {
          finished = f;
        }
        if (r instanceof Cohort.SampleReport s && s.event() instanceof SampleEvent.Completed c
            && c.node().equals(victim)) {
          victimCompleted.add(c.sampleId());
        }
      }
      assertTrue(killed, "the victim never ran a sample");
      assertTrue(finished.allCompleted(), finished.outcomes().toString());
      // the sample it was running ran again elsewhere (unless it finished in the moment before the stop)
      String rerunOn = ((SampleEvent.Completed) finished.outcomes().get(interrupted)).node();
      assertTrue(!rerunOn.equals(victim) || victimCompleted.contains(interrupted),
          interrupted + " must have been run again elsewhere, not on " + rerunOn);
      assertOutputs(out);
    } finally {
      for (ActorSystem<Void> w : workers) {
        w.terminate();
      }
      if (submitter != null) {
        submitter.terminate();
      }
      for (ActorSystem<Void> w : workers) {
        w.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void threeProcesses_oneKilledMidRun_cohortCompletesWithSameOutputs() throws Exception {
    Path out = dir.resolve("process-out");
    StringBuilder tsv = new StringBuilder("sample\tinput\toutput\n");
    for (SampleWork s : cohort(out)) {
      tsv.append(s.sampleId()).append('\t').append(s.input()).append('\t').append(s.output());
      s.options().forEach((k, v) -> tsv.append('\t').append(k).append('=').append(v));
      tsv.append('\n');
    }
    Path manifest = Files.writeString(dir.resolve("cohort.tsv"), tsv);
    int[] ports = {freePort(), freePort(), freePort()};
    String seeds = "127.0.0.1:" + ports[0];
    List<Process> nodes = new ArrayList<>();
    Process cohort = null;
    try {
      for (int port : ports) {
        nodes.add(java("-Xmx256m", "io.umiflow.app.Main", "cluster", "node", "--port", String.valueOf(port),
            "--seed-nodes", seeds, "--memory", "256m", "--threads", "1", "--allow-path", dir.toString())
            .redirectError(dir.resolve("node-" + port + ".log").toFile()).start());
      }
      // every node started and its sharding region registered (a region retries registering every 2 s) before
      // the cohort sends samples: otherwise on a loaded machine all samples may go to the first two nodes
      for (int port : ports) {
        Path nodeLog = dir.resolve("node-" + port + ".log");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!(Files.exists(nodeLog) && Files.readString(nodeLog).contains("up at")) && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
      }
      Thread.sleep(4000);
      cohort = java("-Xmx256m", "io.umiflow.app.Main", "cohort", "--manifest", manifest.toString(),
          "--seed-nodes", seeds, "--redrive-interval", "0.5", "--min-workers", "3").redirectErrorStream(true).start();
      String victim = "akka://umiflow@127.0.0.1:" + ports[2];
      boolean killed = false;
      String interrupted = null;
      StringBuilder log = new StringBuilder();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(cohort.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          log.append(line).append('\n');
          if (!killed && line.contains("started on " + victim)) {
            nodes.get(2).destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup, no goodbye
            killed = true;
            interrupted = line.substring(line.indexOf("cohort: ") + 8, line.indexOf(": started"));
          }
        }
      }
      assertTrue(cohort.waitFor(120, TimeUnit.SECONDS));
      assertEquals(0, cohort.exitValue(), log.toString());
      assertTrue(killed, "the victim never ran a sample:\n" + log);
      assertTrue(log.toString().contains("12 of 12 samples completed"), log.toString());
      // the sample it was running is done once: on the victim only if it finished in the moment before the
      // kill, else on a survivor that started it again
      String prefix = "umiflow cohort: " + interrupted + ": ";
      List<String> done = log.toString().lines().filter(l -> l.startsWith(prefix + "done on ")).toList();
      assertEquals(1, done.size(), interrupted + " must be done exactly once:\n" + log);
      String doneOn = done.get(0).substring((prefix + "done on ").length()).split(" in ")[0];
      if (!doneOn.equals(victim)) {
        List<String> survivors = List.of("akka://umiflow@127.0.0.1:" + ports[0], "akka://umiflow@127.0.0.1:" + ports[1]);
        assertTrue(survivors.contains(doneOn), interrupted + " done on " + doneOn + ", not a survivor:\n" + log);
        assertTrue(log.toString().contains(prefix + "started on " + doneOn),
            interrupted + " must have been started again on " + doneOn + ":\n" + log);
      }
      assertOutputs(out);
    } finally {
      if (cohort != null) {
        cohort.destroyForcibly();
      }
      for (Process p : nodes) {
        p.destroy(); // SIGTERM: the survivors leave gracefully
      }
      for (Process p : nodes) {
        p.waitFor(30, TimeUnit.SECONDS);
        p.destroyForcibly();
      }
    }
  }

  private static ProcessBuilder java(String heap, String main, String... args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Dakka.cluster.split-brain-resolver.stable-after=2s",
        "-Dakka.cluster.failure-detector.acceptable-heartbeat-pause=2s",
        "-cp", System.getProperty("java.class.path"), main));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd);
  }
}
