package io.umiflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The memory promise through the launcher, as users run it: simulated inputs of four shapes (a giant group
 * of 12-base UMIs, hotspots among ordinary groups, one hotspot split into many library x cell partitions,
 * and the default shape), each grouped at {@code --memory 256m} and {@code 512m} with 1, 4 and 16 threads.
 * Every run must complete with the records and header of a run at {@code --memory 8g}, and, where
 * {@code /usr/bin/time} is there to measure it, stay under its {@code --memory} in peak RSS. The full-size
 * shapes are {@code bench/scripts/memory-ceiling.sh}'s.
 */
class MemoryMatrixIT {
  private static final Path LAUNCHER = Path.of("..", "umiflow").toAbsolutePath().normalize();
  private static final Path TIME = Path.of("/usr/bin/time");

  @TempDir
  static Path dir;

  /** The simulate options of each shape. */
  private static List<String> shape(String name) {
    return switch (name) {
      // (a) one group of 80,000 templates with 12-base UMIs and ~2% errors: tens of thousands distinct
      case "giant" -> List.of("--records", "20000", "--amplicon-loci", "1", "--amplicon-templates", "80000",
          "--umi-length", "12", "--umi-error-rate", "0.02", "--family-mean", "3");
      // (b) hotspots of 5k-40k templates interleaved with ordinary groups
      case "hotspots" -> List.of("--records", "60000", "--amplicon-loci", "4", "--amplicon-templates",
          "5000,20000,40000,10000", "--umi-length", "12", "--umi-error-rate", "0.02");
      // (c) one hotspot of 120,000 templates in 3 libraries x 4 cells: partitions of about 10k
      case "partitions" -> List.of("--records", "20000", "--amplicon-loci", "1", "--amplicon-templates", "120000",
          "--libraries", "3", "--cells", "4", "--umi-length", "12", "--umi-error-rate", "0.02");
      // (d) the default shape
      default -> List.of("--records", "200000");
    };
  }

  private static String run(List<String> args, Path log) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    if (Files.isExecutable(TIME)) {
      command.addAll(List.of(TIME.toString(), "-f", "RSS_KB=%M", "-o", log + ".time"));
    }
    command.add(LAUNCHER.toString());
    command.addAll(args);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(10, TimeUnit.MINUTES), "timed out: " + args);
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), args + "\n" + out);
    return Files.isExecutable(TIME) ? Files.readString(Path.of(log + ".time")) : "";
  }

  /** Records and header without the umiflow @PG line (whose command line names the options). */
  private static List<byte[]> content(Path bam) throws IOException {
    TestBams.Bam b = TestBams.read(bam);
    List<byte[]> out = new ArrayList<>();
    String header = b.header().text().lines().filter(l -> !(l.startsWith("@PG") && l.contains("\tPN:umiflow\t")
        && l.contains("\tCL:umiflow group"))).reduce("", (x, y) -> x + y + "\n");
    out.add(header.getBytes(StandardCharsets.UTF_8));
    out.addAll(b.records());
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"giant", "hotspots", "partitions", "default"})
  void everyBudgetAndThreadCount_completesWithThe8gOutput(String name) throws Exception {
    Path input = dir.resolve(name + ".bam");
    List<String> sim = new ArrayList<>(List.of("simulate", "-o", input.toString(), "--compression-level", "1"));
    sim.addAll(shape(name));
    run(sim, dir.resolve(name + ".simulate.log"));
    Path reference = dir.resolve(name + ".8g.bam");
    run(List.of("group", "-i", input.toString(), "-o", reference.toString(), "-s", "adjacency", "--memory", "8g",
        "--threads", "2", "-q"), dir.resolve(name + ".8g.log"));
    List<byte[]> expected = content(reference);
    for (String memory : new String[] {"256m", "512m"}) {
      for (int threads : new int[] {1, 4, 16}) {
        Path out = dir.resolve(name + "." + memory + "." + threads + ".bam");
        String time = run(List.of("group", "-i", input.toString(), "-o", out.toString(), "-s", "adjacency",
            "--memory", memory, "--threads", String.valueOf(threads), "-q"),
            dir.resolve(name + "." + memory + "." + threads + ".log"));
        List<byte[]> actual = content(out);
        String what = name + " at --memory " + memory + " --threads " + threads;
        assertEquals(expected.size(), actual.size(), what);
        for (int i = 0; i < expected.size(); i++) {
          assertTrue(java.util.Arrays.equals(expected.get(i), actual.get(i)), what + ": record " + i + " differs");
        }
        if (!time.isEmpty()) {
          long rssKb = Long.parseLong(time.replaceAll("(?s).*RSS_KB=(\\d+).*", "$1"));
          assertTrue(rssKb * 1024 <= MemorySize.parse(memory), what + ": peak RSS " + rssKb / 1024 + " MiB");
        }
        Files.delete(out);
      }
    }
  }
}
