package io.umiflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cohort manifest: what it accepts, and a one-line error naming file and line for what it does not. */
class ManifestTest {
  @TempDir
  Path dir;

  private Path manifest(String text) throws IOException {
    Files.writeString(dir.resolve("a.bam"), "x");
    Files.writeString(dir.resolve("b.bam"), "x");
    return Files.writeString(dir.resolve("cohort.tsv"), text);
  }

  @Test
  void samples_withHeaderCommentsRelativePathsAndOptions() throws Exception {
    Path m = manifest("sample\tinput\toutput\n# a comment\n\nS1\ta.bam\tout/a.out.bam\n"
        + "S2\tb.bam\t/tmp/b.out.bam\tstrategy=paired\tedits=2\tgrouping-metrics=m.txt\n");
    List<SampleWork> s = Manifest.read(m, Map.of("strategy", "edit"));
    assertEquals(2, s.size());
    assertEquals(new SampleWork("S1", dir.resolve("a.bam").toString(), dir.resolve("out/a.out.bam").toString(),
        Map.of("strategy", "edit")), s.get(0));
    assertEquals(Map.of("strategy", "paired", "edits", "2", "grouping-metrics", dir.resolve("m.txt").toString()),
        s.get(1).options());
    assertEquals("/tmp/b.out.bam", s.get(1).output());
  }

  @Test
  void badManifests_failNamingFileAndLine() throws Exception {
    String[][] cases = {
        {"S1\ta.bam\n", ":1: expected sample, input and output"},
        {"S1\ta.bam\tx.bam\nS1\tb.bam\ty.bam\n", ":2: sample 'S1' appears twice"},
        {"S1\tmissing.bam\tx.bam\n", ":1: input " },
        {"S1\ta.bam\tx.bam\nS2\tb.bam\tx.bam\n", ":2: output "},
        {"S1\ta.bam\tx.bam\tstrategy=fast\n", ":1: unknown strategy 'fast'"},
        {"S1\ta.bam\tx.bam\tthreads=4\n", ":1: unknown option 'threads'"},
        {"S1\ta.bam\tx.bam\tedits\n", ":1: option 'edits' is not name=value"},
        {"S1\ta.bam\tx.bam\tmark-duplicates=maybe\n", ":1: mark-duplicates must be true or false"},
        {"# nothing\n", ": no samples"},
    };
    for (String[] c : cases) {
      Path m = manifest(c[0]);
      Manifest.ManifestException e = assertThrows(Manifest.ManifestException.class, () -> Manifest.read(m, Map.of()));
      assertTrue(e.getMessage().startsWith(m.toString()) && e.getMessage().contains(c[1]), e.getMessage());
      assertEquals(1, e.getMessage().lines().count());
    }
    Manifest.ManifestException e = assertThrows(Manifest.ManifestException.class,
        () -> Manifest.read(dir.resolve("none.tsv"), Map.of()));
    assertTrue(e.getMessage().endsWith("none.tsv: no such file"), e.getMessage());
  }

  @Test
  void commandLine_isTheEquivalentGroupCommand() {
    SampleWork w = new SampleWork("S1", "/in.bam", "/out.bam",
        Map.of("strategy", "paired", "mark-duplicates", "true", "include-non-pf-reads", "false", "edits", "2"));
    assertEquals("umiflow group -i /in.bam -o /out.bam --edits 2 --mark-duplicates --strategy paired",
        SampleOptions.commandLine(w));
  }
}
