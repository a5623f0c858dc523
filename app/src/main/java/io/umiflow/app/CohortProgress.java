package io.umiflow.app;

import io.umiflow.cluster.SampleEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A cohort's progress: on a terminal, one line per running sample and an overall bar beneath them, redrawn
 * in place, with started, done and failed samples printed above; in plain-lines mode, the same events as
 * lines, each sample's progress as it arrives and an overall line whenever a sample ends.
 *
 * <p>The overall fraction counts each finished sample as one and each running one by the share of its input
 * read; samples not yet started count as zero. It needs no access to the inputs' sizes on the submitter.
 */
final class CohortProgress {
  private final ProgressDisplay display;
  private final boolean quiet;
  private final int samples;
  private final long startNanos = System.nanoTime();
  /** The latest progress of each running sample, in the order they started. */
  private final Map<String, SampleEvent.Progress> running = new LinkedHashMap<>();
  private int finished;
  private int failed;

  CohortProgress(ProgressDisplay display, boolean quiet, int samples) {
    this.display = display;
    this.quiet = quiet;
    this.samples = samples;
  }

  /** Shows what {@code e} says. Failures are shown even when quiet. */
  synchronized void on(SampleEvent e) {
    if (e instanceof SampleEvent.Failed f) {
      running.remove(f.sampleId());
      finished++;
      failed++;
      display.println("umiflow cohort: " + f.sampleId() + ": FAILED on " + f.node() + ": " + f.reason());
    } else if (e instanceof SampleEvent.Started s) {
      running.put(s.sampleId(), new SampleEvent.Progress(s.sampleId(), s.node(), 0, 0, 0, -1));
      if (!quiet) {
        display.println("umiflow cohort: " + s.sampleId() + ": started on " + s.node());
      }
    } else if (e instanceof SampleEvent.Progress p) {
      if (running.containsKey(p.sampleId())) {
        running.put(p.sampleId(), p);
      }
      if (!quiet && display.mode() == ProgressDisplay.Mode.LINES) {
        display.println("umiflow cohort: " + sampleLine(p));
      }
    } else if (e instanceof SampleEvent.Completed c) {
      running.remove(c.sampleId());
      finished++;
      if (!quiet) {
        display.println(String.format(Locale.ROOT,
            "umiflow cohort: %s: done on %s in %.1f s: %,d records in, %,d out, %,d molecules", c.sampleId(), c.node(),
            c.wallMillis() / 1000.0, c.recordsRead(), c.recordsWritten(), c.molecules()));
      }
    }
    if (quiet) {
      return;
    }
    if (display.mode() == ProgressDisplay.Mode.BAR) {
      List<String> lines = new ArrayList<>();
      running.values().forEach(p -> lines.add("  " + sampleLine(p)));
      lines.add(ProgressDisplay.bar(overall(), "umiflow cohort", Integer.MAX_VALUE));
      display.showBlock(lines);
    } else if (display.mode() == ProgressDisplay.Mode.LINES
        && (e instanceof SampleEvent.Completed || e instanceof SampleEvent.Failed)) {
      display.println(ProgressDisplay.line(overall(), "umiflow cohort"));
    }
  }

  /** The cohort is over: clears the lines on screen. */
  synchronized void finish() {
    display.finish();
  }

  /** Samples done (fractionally, running ones by their input read) of all of them. */
  ProgressDisplay.Status overall() {
    double share = 0;
    long records = 0;
    double rate = 0;
    for (SampleEvent.Progress p : running.values()) {
      share += Math.max(0, p.fractionRead());
      records += p.recordsRead();
      rate += p.recordsPerSecond();
    }
    long elapsed = (System.nanoTime() - startNanos) / 1_000_000;
    String detail = running.size() + " running" + (failed > 0 ? ", " + failed + " failed" : "");
    return new ProgressDisplay.Status(finished, samples, "samples", records, rate, elapsed, detail, share);
  }

  /** {@code S1 on node: 37% of 1.2 GiB, 1,234,567 records (120,000/s)}. */
  static String sampleLine(SampleEvent.Progress p) {
    double f = p.fractionRead();
    return String.format(Locale.ROOT, "%s on %s: %s%,d records (%,.0f/s)", p.sampleId(), p.node(),
        f >= 0 ? (int) Math.floor(f * 100) + "% of " + MemorySize.format(p.inputBytes()) + ", " : "",
        p.recordsRead(), p.recordsPerSecond());
  }
}
