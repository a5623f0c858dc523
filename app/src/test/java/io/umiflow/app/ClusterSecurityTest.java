package io.umiflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorSystem;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import io.umiflow.cluster.AllowedPaths;
import io.umiflow.cluster.ClusterNode;
import io.umiflow.cluster.Cohort;
import io.umiflow.cluster.NodeSettings;
import io.umiflow.cluster.SampleEvent;
import io.umiflow.cluster.SampleWork;
import io.umiflow.cluster.Tls;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may join and what a node may touch: members over TLS with mutual authentication, a member whose
 * certificate another CA signed kept out; samples naming files outside a node's --allow-path refused; plain
 * TCP off loopback refused without --insecure; the split brain resolver counting workers only.
 */
class ClusterSecurityTest {
  @TempDir
  static Path dir;
  static Path input;

  @BeforeAll
  static void pki() throws Exception {
    input = TestBams.simulate(dir, "in.bam", TestBams.params(9, 5_000));
    // the cluster's CA and a member certificate; another CA and a certificate it signed; the same name in both
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=umiflow test CA",
        "-keyout", "ca.key", "-out", "ca.crt");
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=other CA",
        "-keyout", "other-ca.key", "-out", "other-ca.crt");
    Files.writeString(dir.resolve("san.ext"), "subjectAltName = DNS:umiflow-cluster\n");
    for (String[] m : new String[][] {{"node", "ca"}, {"rogue", "other-ca"}}) {
      openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=umiflow-cluster", "-keyout", m[0] + ".key",
          "-out", m[0] + ".csr");
      openssl("x509", "-req", "-in", m[0] + ".csr", "-CA", m[1] + ".crt", "-CAkey", m[1] + ".key",
          "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", m[0] + ".crt");
    }
  }

  private static void openssl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
  }

  private static Tls tls(String member, String ca) {
    return Tls.pem(dir.resolve(member + ".key"), dir.resolve(member + ".crt"), dir.resolve(ca + ".crt"));
  }

  /** Stops every system and waits for each, at most 30 s. */
  private static void terminate(List<? extends ActorSystem<?>> systems) throws Exception {
    systems.forEach(ActorSystem::terminate);
    for (ActorSystem<?> s : systems) {
      s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static long up(ActorSystem<?> system) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up()).count();
  }

  private static void awaitUp(ActorSystem<?> system, int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (up(system) < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the cluster did not reach " + n + " members");
      }
      Thread.sleep(100);
    }
  }

  /** Runs {@code samples} through {@code submitter}'s cluster; returns the outcome. */
  private static Cohort.Finished runCohort(ActorSystem<Void> submitter, List<SampleWork> samples) {
    ActorTestKit kit = ActorTestKit.create(submitter);
    TestProbe<Cohort.Report> reports = kit.createTestProbe();
    kit.spawn(Cohort.create(samples, ClusterNode.proxy(submitter), reports.getRef(), Duration.ofMillis(500)));
    while (true) {
      if (reports.receiveMessage(Duration.ofSeconds(120)) instanceof Cohort.Finished f) {
        return f;
      }
    }
  }

  @Test
  void tls_threeMembersComplete_aCertificateFromAnotherCaCannotJoin() throws Exception {
    int seed = freePort();
    List<String> seeds = List.of("127.0.0.1:" + seed);
    NodeSettings node = new NodeSettings(48L << 20, 1, 1, 0);
    List<ActorSystem<Void>> members = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        members.add(ClusterNode.start(new ClusterNode.Options("127.0.0.1", i == 0 ? seed : 0, seeds, true, node,
            "akka.loglevel = ERROR\n", tls("node", "ca"))));
      }
      ActorSystem<Void> submitter = ClusterNode.start(new ClusterNode.Options("127.0.0.1", 0, seeds, false, null,
          "akka.loglevel = ERROR\n", tls("node", "ca")));
      members.add(submitter);
      awaitUp(submitter, 4);
      ActorSystem<Void> rogue = ClusterNode.start(new ClusterNode.Options("127.0.0.1", 0, seeds, true, node,
          "akka.loglevel = OFF\n", tls("rogue", "other-ca")));
      members.add(rogue);

      Path out = Files.createDirectories(dir.resolve("tls-out"));
      List<SampleWork> samples = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        samples.add(new SampleWork("s" + i, input.toString(), out.resolve("s" + i + ".bam").toString(),
            Map.of("strategy", "adjacency")));
      }
      Cohort.Finished f = runCohort(submitter, samples);
      assertTrue(f.allCompleted(), f.outcomes().toString());
      for (SampleEvent e : f.outcomes().values()) {
        assertFalse(((SampleEvent.Completed) e).node().equals(rogue.address().toString()));
      }
      // the rogue's handshakes are refused: it never became a member, and the others never saw it
      assertEquals(4, up(members.get(0)));
      assertTrue(StreamSupport.stream(Cluster.get(members.get(0)).state().getMembers().spliterator(), false)
          .noneMatch(m -> m.address().equals(rogue.address())), "the rogue is not a member");
      assertFalse(Cluster.get(rogue).selfMember().status() == MemberStatus.up(), "the rogue is not up");
    } finally {
      terminate(members);
    }
  }

  @Test
  void tls_keyStores_membersJoinAndRun() throws Exception {
    openssl("pkcs12", "-export", "-in", "node.crt", "-inkey", "node.key", "-out", "node.p12", "-passout", "pass:s3cret");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-importcert", "-file", "ca.crt", "-alias", "ca", "-keystore", "trust.p12", "-storetype", "PKCS12",
        "-storepass", "s3cret", "-noprompt").directory(dir.toFile()).redirectErrorStream(true).start();
    String log = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(keytool.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, keytool.exitValue(), log);
    Tls stores = Tls.keyStores(dir.resolve("node.p12"), dir.resolve("trust.p12"), "s3cret");
    assertFalse(stores.toString().contains("s3cret"), "the password is never printed");
    assertEquals("tls-tcp", ClusterNode.config(new ClusterNode.Options("127.0.0.1", 0, List.of("127.0.0.1:1"), false,
        null, "", stores)).getString("akka.remote.artery.transport"));
    int seed = freePort();
    List<String> seeds = List.of("127.0.0.1:" + seed);
    ActorSystem<Void> worker = ClusterNode.start(new ClusterNode.Options("127.0.0.1", seed, seeds, true,
        new NodeSettings(48L << 20, 1, 1, 0), "akka.loglevel = ERROR\n", stores));
    ActorSystem<Void> submitter = ClusterNode.start(new ClusterNode.Options("127.0.0.1", 0, seeds, false, null,
        "akka.loglevel = ERROR\n", stores));
    try {
      awaitUp(submitter, 2);
      Path out = Files.createDirectories(dir.resolve("stores-out"));
      Cohort.Finished f = runCohort(submitter, List.of(new SampleWork("k", input.toString(),
          out.resolve("k.bam").toString(), Map.of("strategy", "identity"))));
      assertTrue(f.allCompleted(), f.outcomes().toString());
    } finally {
      terminate(List.of(submitter, worker));
    }
  }

  @Test
  void allowPath_sampleOutsideIsRefusedSayingWhich() throws Exception {
    Path allowed = Files.createDirectories(dir.resolve("allowed"));
    Path inside = Files.copy(input, allowed.resolve("in.bam"));
    int seed = freePort();
    List<String> seeds = List.of("127.0.0.1:" + seed);
    NodeSettings node = new NodeSettings(48L << 20, 1, 1, 0, AllowedPaths.under(List.of(allowed)));
    ActorSystem<Void> worker = ClusterNode.start(new ClusterNode.Options("127.0.0.1", seed, seeds, true, node,
        "akka.loglevel = ERROR\n"));
    ActorSystem<Void> submitter = ClusterNode.start(new ClusterNode.Options("127.0.0.1", 0, seeds, false, null,
        "akka.loglevel = ERROR\n"));
    try {
      awaitUp(submitter, 2);
      Path link = Files.createSymbolicLink(allowed.resolve("escape"), dir);
      Cohort.Finished f = runCohort(submitter, List.of(
          new SampleWork("ok", inside.toString(), allowed.resolve("ok.bam").toString(), Map.of("strategy", "identity")),
          new SampleWork("in", input.toString(), allowed.resolve("in-out.bam").toString(), Map.of("strategy", "identity")),
          new SampleWork("out", inside.toString(), dir.resolve("x.bam").toString(), Map.of("strategy", "identity")),
          new SampleWork("link", inside.toString(), link.resolve("y.bam").toString(), Map.of("strategy", "identity")),
          new SampleWork("metrics", inside.toString(), allowed.resolve("m.bam").toString(),
              Map.of("strategy", "identity", "family-size-histogram", "/etc/f.txt"))));
      assertInstanceOf(SampleEvent.Completed.class, f.outcomes().get("ok"));
      assertEquals("refused: the input " + input + " is outside this node's --allow-path folders ("
          + allowed.toRealPath() + ")", ((SampleEvent.Failed) f.outcomes().get("in")).reason());
      assertTrue(((SampleEvent.Failed) f.outcomes().get("out")).reason().startsWith("refused: the output "));
      assertTrue(((SampleEvent.Failed) f.outcomes().get("link")).reason().startsWith("refused: the output "),
          "a symbolic link does not lead outside");
      assertTrue(((SampleEvent.Failed) f.outcomes().get("metrics")).reason()
          .startsWith("refused: the --family-size-histogram /etc/f.txt is outside"));
      assertFalse(Files.exists(dir.resolve("x.bam")) || Files.exists(dir.resolve("y.bam")));
    } finally {
      terminate(List.of(submitter, worker));
    }
  }

  @Test
  void plainTcpOffLoopback_refusedWithoutInsecure_tlsOptionsChecked() {
    CliTest.Run r = CliTest.run("cluster", "node", "--host", "0.0.0.0", "--seed-nodes", "127.0.0.1:2551");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("not a loopback address and no TLS is set") && r.err().contains("--insecure"), r.err());
    r = CliTest.run("cohort", "--manifest", "m.tsv", "--host", "0.0.0.0", "--seed-nodes", "127.0.0.1:2551");
    assertEquals(2, r.code(), r.err());
    r = CliTest.run("cluster", "node", "--seed-nodes", "127.0.0.1:2551", "--tls-key", dir.resolve("node.key").toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("TLS needs all of --tls-key, --tls-cert and --tls-ca"), r.err());
    r = CliTest.run("cluster", "node", "--seed-nodes", "127.0.0.1:2551", "--allow-path", dir.resolve("none").toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--allow-path " + dir.resolve("none") + ": no such folder"), r.err());
  }

  @Test
  void splitBrainResolver_countsWorkersOnly() {
    com.typesafe.config.Config c = ClusterNode.config(new ClusterNode.Options("127.0.0.1", 0, List.of("127.0.0.1:1"),
        false, null, ""));
    assertEquals("keep-majority", c.getString("akka.cluster.split-brain-resolver.active-strategy"));
    assertEquals(ClusterNode.WORKER_ROLE, c.getString("akka.cluster.split-brain-resolver.keep-majority.role"));
  }

  /**
   * One worker and the submitter, cut apart both ways (Artery's test mode blackholes the link). Counting
   * all members, the halves are even and the one with the lowest address, the submitter's here, would stay:
   * the worker would be downed. Counting workers only, the worker's half is the majority and stays up.
   */
  @Test
  void partition_oneWorkerAndTheSubmitter_theWorkerStaysUp() throws Exception {
    int low = freePort();
    int high = freePort();
    if (low > high) {
      int t = low;
      low = high;
      high = t;
    }
    String fast = "akka.loglevel = OFF\nakka.remote.artery.advanced.test-mode = on\n"
        + "akka.cluster.split-brain-resolver.stable-after = 2s\n"
        + "akka.cluster.failure-detector.acceptable-heartbeat-pause = 2s\n";
    List<String> seeds = List.of("127.0.0.1:" + high);
    ActorSystem<Void> worker = ClusterNode.start(new ClusterNode.Options("127.0.0.1", high, seeds, true,
        new NodeSettings(48L << 20, 1, 1, 0), fast));
    ActorSystem<Void> submitter = ClusterNode.start(new ClusterNode.Options("127.0.0.1", low, seeds, false, null, fast));
    try {
      awaitUp(worker, 2);
      blackhole(worker, submitter);
      blackhole(submitter, worker);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
      while (!submitter.getWhenTerminated().toCompletableFuture().isDone()
          && Cluster.get(submitter).selfMember().status() != MemberStatus.down()
          && Cluster.get(submitter).selfMember().status() != MemberStatus.removed()) {
        assertTrue(System.nanoTime() < deadline, "the partition was never resolved");
        Thread.sleep(200);
      }
      Thread.sleep(2000);
      assertEquals(MemberStatus.up(), Cluster.get(worker).selfMember().status(), "the worker stays up");
      assertFalse(worker.getWhenTerminated().toCompletableFuture().isDone(), "the worker keeps running");
    } finally {
      terminate(List.of(submitter, worker));
    }
  }

  private static void blackhole(ActorSystem<?> from, ActorSystem<?> to) throws Exception {
    akka.remote.RemoteActorRefProvider provider = (akka.remote.RemoteActorRefProvider)
        ((akka.actor.ExtendedActorSystem) akka.actor.typed.javadsl.Adapter.toClassic(from)).provider();
    boolean done = (Boolean) scala.jdk.javaapi.FutureConverters.asJava(provider.transport().managementCommand(
        new akka.remote.transport.ThrottlerTransportAdapter.SetThrottle(to.address(),
            akka.remote.transport.ThrottlerTransportAdapter.bothDirection(),
            akka.remote.transport.ThrottlerTransportAdapter.blackholeThrottleMode())))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertTrue(done, "the transport took the blackhole");
  }
}
