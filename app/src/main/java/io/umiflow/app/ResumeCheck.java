package io.umiflow.app;

import io.umiflow.cluster.SampleOptions;
import io.umiflow.cluster.SampleWork;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.Bgzf;
import io.umiflow.codec.BgzfInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;

/**
 * Whether {@code cohort --resume} may skip a sample: its BAM ends with the BGZF end-of-file block (the
 * writer renames it last, after its metrics), every metrics file its options ask for is there, and the
 * BAM's last umiflow {@code @PG} line records the command the manifest now gives. Otherwise it says why the
 * sample runs again. Costs one header read per sample.
 */
final class ResumeCheck {
  private ResumeCheck() {}

  /** Null when {@code s}'s outputs are complete and made with its options, else why it must run again. */
  static String whyRerun(SampleWork s) {
    Path bam = Paths.get(s.output());
    if (!Files.isRegularFile(bam)) {
      return "no output yet";
    }
    if (!endsWithEofBlock(bam)) {
      return s.output() + " is incomplete";
    }
    for (String option : List.of("family-size-histogram", "grouping-metrics", "group-size-histogram")) {
      String file = s.options().get(option);
      if (file != null && !Files.isRegularFile(Paths.get(file))) {
        return "its --" + option + " " + file + " is missing";
      }
    }
    String recorded;
    try {
      recorded = lastCommandLine(bam);
    } catch (IOException e) {
      return s.output() + " cannot be read (" + e.getMessage() + ")";
    }
    String wanted = SampleOptions.commandLine(s).replace('\t', ' ').replace('\n', ' ');
    if (!wanted.equals(recorded)) {
      return "its options changed (was: " + (recorded == null ? "no umiflow @PG line" : recorded) + ")";
    }
    return null;
  }

  /** True when {@code bam} ends with the BGZF end-of-file marker. */
  static boolean endsWithEofBlock(Path bam) {
    byte[] eof = Bgzf.eofBlock();
    try (RandomAccessFile f = new RandomAccessFile(bam.toFile(), "r")) {
      if (f.length() < eof.length) {
        return false;
      }
      byte[] tail = new byte[eof.length];
      f.seek(f.length() - eof.length);
      f.readFully(tail);
      return Arrays.equals(tail, eof);
    } catch (IOException e) {
      return false;
    }
  }

  /** The CL of the header's last {@code @PG} line from umiflow, or null. */
  static String lastCommandLine(Path bam) throws IOException {
    BamHeader h;
    try (BgzfInputStream in = new BgzfInputStream(new BufferedInputStream(Files.newInputStream(bam)), bam.toString())) {
      h = BamHeader.read(in, bam.toString());
    }
    String found = null;
    for (String line : h.text().split("\n")) {
      if (line.startsWith("@PG\t") && line.contains("\tPN:umiflow")) {
        int cl = line.indexOf("\tCL:");
        found = cl < 0 ? null : line.substring(cl + 4);
      }
    }
    return found;
  }
}
