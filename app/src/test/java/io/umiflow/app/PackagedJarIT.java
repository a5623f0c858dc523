package io.umiflow.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.umiflow.cluster.ClusterNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar as the launcher runs it (integration test, after {@code package}). Its reference.conf is
 * split: local runs see only akka-actor, -typed, -stream and umiflow's settings, and a cluster member layers
 * in {@code umiflow-cluster-reference.conf}. The unit tests run on the module classpath, where neither split
 * exists, so only this test shows that both halves still work from the jar.
 */
class PackagedJarIT {
  private static final Path JAR = Path.of("target", "umiflow.jar");

  @TempDir
  Path dir;

  @Test
  void referenceConf_splitIntoLocalAndClusterHalves() throws IOException {
    try (ZipFile zip = new ZipFile(JAR.toFile())) {
      Config local = parse(zip, "reference.conf");
      Config cluster = parse(zip, ClusterNode.CLUSTER_REFERENCE);
      assertTrue(local.hasPath("akka.actor.default-dispatcher"), "akka-actor's settings");
      assertTrue(local.hasPath("akka.stream.materializer"), "akka-stream's settings");
      assertTrue(local.hasPath("umiflow.worker-dispatcher"), "umiflow's settings");
      assertFalse(local.hasPath("akka.cluster"), "no cluster settings in the local half");
      assertFalse(local.hasPath("akka.remote"), "no remoting settings in the local half");
      assertFalse(local.hasPath("akka.serialization.jackson"), "no Jackson settings in the local half");
      for (String path : new String[] {"akka.cluster.sharding", "akka.cluster.split-brain-resolver",
          "akka.remote.artery", "akka.cluster.distributed-data", "akka.serialization.jackson"}) {
        assertTrue(cluster.hasPath(path), path + " in " + ClusterNode.CLUSTER_REFERENCE);
      }
      assertEquals("jackson-cbor",
          cluster.getConfig("akka.actor.serialization-bindings").root().get("io.umiflow.cluster.CborSerializable")
              .unwrapped());
    }
  }

  @Test
  void groupAndOneNodeCohort_runFromTheJar() throws Exception {
    Path input = dir.resolve("in.bam");
    run(List.of("simulate", "-o", input.toString(), "--records", "4000", "--seed", "3"));
    Path single = dir.resolve("single.bam");
    run(List.of("group", "-i", input.toString(), "-o", single.toString(), "-s", "adjacency", "-q"));
    assertTrue(Files.size(single) > 1000);

    Path out = Files.createDirectory(dir.resolve("out"));
    String manifest = "sample\tinput\toutput\n"
        + "a\t" + input + "\t" + out.resolve("a.bam") + "\tstrategy=adjacency\n"
        + "b\t" + input + "\t" + out.resolve("b.bam") + "\tstrategy=identity\n";
    Path tsv = Files.writeString(dir.resolve("cohort.tsv"), manifest);
    int port = freePort();
    String seeds = "127.0.0.1:" + port;
    // a spill folder a process killed outright left behind: the node removes it as it starts
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    String host = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim().replaceAll("[^A-Za-z0-9.]", "_");
    Path stale = Files.createDirectory(dir.resolve(".umiflow-spill-" + host + "-" + gone.pid() + "-1"));
    Files.writeString(stale.resolve("run-0.bgzf"), "x");
    Process node = java(List.of("cluster", "node", "--port", String.valueOf(port), "--seed-nodes", seeds,
        "--memory", "256m", "--threads", "1", "--allow-path", dir.toString())).redirectError(dir.resolve("node.log").toFile()).start();
    try {
      Process cohort = java(List.of("cohort", "--manifest", tsv.toString(), "--seed-nodes", seeds,
          "--min-workers", "1")).redirectErrorStream(true).start();
      String log = new String(cohort.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(cohort.waitFor(120, TimeUnit.SECONDS), log);
      assertEquals(0, cohort.exitValue(), log + "\nnode log:\n" + Files.readString(dir.resolve("node.log")));
      assertTrue(log.contains("2 of 2 samples completed"), log);
      assertTrue(Files.size(out.resolve("a.bam")) > 1000 && Files.size(out.resolve("b.bam")) > 1000);
      assertFalse(Files.exists(stale), "the dead process's spill folder is gone");
      assertTrue(Files.readString(dir.resolve("node.log")).contains("removed 1 spill folder(s)"));
    } finally {
      node.destroy();
      node.waitFor(30, TimeUnit.SECONDS);
      node.destroyForcibly();
    }
  }

  /**
   * The progress display as a user sees it: through a pseudo-terminal ({@code script}), stderr is a terminal
   * and the bar is redrawn in place; redirected to a file, the same run writes plain lines and no control
   * characters.
   */
  @Test
  void progress_barOnATerminal_plainLinesInALog() throws Exception {
    Path input = dir.resolve("in.bam");
    run(List.of("simulate", "-o", input.toString(), "--records", "400000", "--seed", "5", "--progress", "none"));
    List<String> group = List.of("group", "-i", input.toString(), "-s", "adjacency", "--progress-millis", "40");

    List<String> cmd = new ArrayList<>(java(List.of()).command());
    cmd.addAll(group);
    cmd.addAll(List.of("-o", dir.resolve("tty.bam").toString()));
    String line = cmd.stream().map(a -> "'" + a + "'").collect(java.util.stream.Collectors.joining(" "));
    Process tty = new ProcessBuilder("script", "-qefc", line, "/dev/null").redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.PIPE).start();
    String screen = new String(tty.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(tty.waitFor(120, TimeUnit.SECONDS), screen);
    assertEquals(0, tty.exitValue(), screen);
    assertTrue(screen.matches("(?s).*\rumiflow group +\\d+% \\[[#>-]+\\] .*MiB/.*MiB .*ETA.*\u001b\\[K.*"), screen);
    assertTrue(screen.contains("\r\u001b[Jumiflow group: done in "), "the bar is erased before the last lines: " + screen);
    assertFalse(screen.matches("(?s).*umiflow group: \\d+% of .*"),
        "no plain lines on a terminal: " + screen);

    Path log = dir.resolve("log.txt");
    List<String> logged = new ArrayList<>(group);
    logged.addAll(List.of("-o", dir.resolve("log.bam").toString()));
    Process plain = java(logged).redirectError(log.toFile()).start();
    assertTrue(plain.waitFor(120, TimeUnit.SECONDS));
    String text = Files.readString(log);
    assertEquals(0, plain.exitValue(), text);
    assertTrue(text.matches("(?s).*umiflow group: \\d+% of [0-9.]+ MiB done, .* elapsed; [0-9,]+ records .*"), text);
    assertFalse(text.contains("\r") || text.contains("\u001b"), "no control characters in a log: " + text);
    // decompressed: block boundaries follow the batches, which timing may cut differently
    assertArrayEquals(TestBams.decompressed(dir.resolve("tty.bam")), TestBams.decompressed(dir.resolve("log.bam")),
        "same output either way");
  }

  /** Every output takes the mode the user's umask gives a new file, as samtools' and fgbio's do. */
  @Test
  void outputs_honourTheUmask() throws Exception {
    for (String umask : List.of("022", "077")) {
      Path out = Files.createDirectory(dir.resolve("umask" + umask));
      List<String> sim = new ArrayList<>(java(List.of("simulate", "-o", out.resolve("in.bam").toString(),
          "--records", "2000", "--progress", "none")).command());
      List<String> group = new ArrayList<>(java(List.of("group", "-i", out.resolve("in.bam").toString(), "-o",
          out.resolve("out.bam").toString(), "-s", "identity", "-q", "-f", out.resolve("f.txt").toString(), "-g",
          out.resolve("g.txt").toString(), "--group-size-histogram", out.resolve("h.txt").toString(),
          "--summary-json", out.resolve("s.json").toString())).command());
      String quoted = String.join(" ", sim.stream().map(a -> "'" + a + "'").toList()) + " && "
          + String.join(" ", group.stream().map(a -> "'" + a + "'").toList());
      Process p = new ProcessBuilder("sh", "-c", "umask " + umask + " && " + quoted).redirectErrorStream(true).start();
      String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), log);
      assertEquals(0, p.exitValue(), log);
      String expected = umask.equals("022") ? "rw-r--r--" : "rw-------";
      for (String name : List.of("in.bam", "out.bam", "f.txt", "g.txt", "h.txt", "s.json")) {
        assertEquals(expected, java.nio.file.attribute.PosixFilePermissions.toString(
            Files.getPosixFilePermissions(out.resolve(name))), name + " under umask " + umask);
      }
    }
  }

  private static Config parse(ZipFile zip, String name) throws IOException {
    try (InputStream in = zip.getInputStream(zip.getEntry(name))) {
      return ConfigFactory.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  private void run(List<String> args) throws Exception {
    Process p = java(args).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), log);
    assertEquals(0, p.exitValue(), String.join(" ", args) + ":\n" + log);
  }

  private static ProcessBuilder java(List<String> args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", JAR.toAbsolutePath().toString(), "io.umiflow.app.Main"));
    cmd.addAll(args);
    return new ProcessBuilder(cmd);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
