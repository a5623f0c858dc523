package io.umiflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.umiflow.cluster.SampleOptions;
import io.umiflow.cluster.SampleWork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cohort --resume} skips a sample only when its outputs are complete and made with today's options. */
class ResumeCheckTest {
  @TempDir
  Path dir;

  /** Groups {@code work}'s input as a cohort node would, recording its command line. */
  private void groupAsANodeWould(SampleWork work) {
    String previous = System.getProperty("umiflow.commandLine");
    System.setProperty("umiflow.commandLine", SampleOptions.commandLine(work));
    try {
      CliTest.Run r = CliTest.run("group", "-i", work.input(), "-o", work.output(), "-s", work.options().get("strategy"),
          "-f", work.options().get("family-size-histogram"), "-q");
      assertEquals(0, r.code(), r.err());
    } finally {
      if (previous == null) {
        System.clearProperty("umiflow.commandLine");
      } else {
        System.setProperty("umiflow.commandLine", previous);
      }
    }
  }

  @Test
  void whyRerun_completeAndSame_skips_otherwiseSaysWhy() throws Exception {
    Path in = TestBams.simulate(dir, "in.bam", TestBams.params(5, 3_000));
    Path out = dir.resolve("out.bam");
    Path f = dir.resolve("f.txt");
    SampleWork work = new SampleWork("S1", in.toString(), out.toString(),
        Map.of("strategy", "adjacency", "family-size-histogram", f.toString()));
    assertEquals("no output yet", ResumeCheck.whyRerun(work));
    groupAsANodeWould(work);
    assertEquals(SampleOptions.commandLine(work), ResumeCheck.lastCommandLine(out));
    assertNull(ResumeCheck.whyRerun(work));

    SampleWork changed = new SampleWork("S1", in.toString(), out.toString(),
        Map.of("strategy", "identity", "family-size-histogram", f.toString()));
    assertTrue(ResumeCheck.whyRerun(changed).startsWith("its options changed (was: umiflow group -i "),
        ResumeCheck.whyRerun(changed));

    Files.delete(f);
    assertEquals("its --family-size-histogram " + f + " is missing", ResumeCheck.whyRerun(work));

    byte[] bam = Files.readAllBytes(out);
    Files.write(out, Arrays.copyOf(bam, bam.length - 10));
    assertEquals(out + " is incomplete", ResumeCheck.whyRerun(work));
  }
}
