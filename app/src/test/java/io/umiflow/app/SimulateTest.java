package io.umiflow.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.umiflow.app.simulate.SimulationParameters;
import io.umiflow.codec.BamRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulator's output is valid BAM, reproducible, and already in samtools' template-coordinate order. */
class SimulateTest {
  @TempDir
  Path dir;

  static String samtools(Path dir, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add("samtools");
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(300, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), "samtools " + String.join(" ", args) + ": " + out);
    return out;
  }

  private static List<String> templateNames(Path bam) throws IOException {
    List<String> names = new ArrayList<>();
    for (byte[] r : TestBams.read(bam).records()) {
      String n = BamRecord.readName(r, 0);
      if (names.isEmpty() || !names.get(names.size() - 1).equals(n)) {
        names.add(n);
      }
    }
    return names;
  }

  @Test
  void simulate_everyFeature_isInSamtoolsTemplateCoordinateOrder() throws Exception {
    SimulationParameters p = new SimulationParameters(3, 60_000, 4, 1_000_000, 100, 300, 60, 3.0, 0.9, 0.01, 40, 8,
        0.01, 0.01, true, 0.2, 3, 5, 0.02, 0.03, 0.02, 0.02, 0.02, 0.02, 0.03, 2, 3_000);
    Path bam = TestBams.simulate(dir, "sim.bam", p);
    samtools(dir, "quickcheck", bam.toString());
    samtools(dir, "sort", "--template-coordinate", "-o", "resorted.bam", bam.toString());
    assertEquals(templateNames(dir.resolve("resorted.bam")), templateNames(bam));
    assertTrue(templateNames(bam).size() > 30_000);
  }

  @Test
  void simulate_sameSeed_sameBytes() throws IOException {
    byte[] a = TestBams.decompressed(TestBams.simulate(dir, "a.bam", TestBams.params(5, 5_000)));
    byte[] b = TestBams.decompressed(TestBams.simulate(dir, "b.bam", TestBams.params(5, 5_000)));
    assertArrayEquals(a, b);
  }

  @Test
  void groupOutput_acceptedBySamtools() throws Exception {
    Path in = TestBams.simulate(dir, "in.bam", TestBams.params(9, 20_000));
    Path out = dir.resolve("out.bam");
    assertEquals(0, CliTest.run("group", "-i", in.toString(), "-o", out.toString(), "-s", "adjacency", "-q").code());
    samtools(dir, "quickcheck", out.toString());
    String count = samtools(dir, "view", "-c", out.toString()).strip();
    assertEquals(String.valueOf(TestBams.read(out).records().size()), count);
    assertTrue(Files.size(out) > 0);
  }
}
