package io.umiflow.app;

import java.io.PrintStream;
import picocli.CommandLine.Option;

/** The progress options every long-running command shares ({@code --progress}, and a hidden interval for tests). */
final class ProgressOptions {
  @Option(names = "--progress", defaultValue = "auto", paramLabel = "MODE",
      description = "auto (on a terminal a bar with ETA, redrawn in place; else a plain line every 5 s), bar, lines "
          + "or none (default: ${DEFAULT-VALUE}).")
  String progress;

  /** Tests: how often progress is shown, overriding the mode's interval. */
  @Option(names = "--progress-millis", hidden = true)
  Long millis;

  /** The display these options ask for, on {@code err}; none when {@code quiet}. */
  ProgressDisplay display(PrintStream err, boolean quiet, String label) {
    return new ProgressDisplay(err, ProgressDisplay.Mode.resolve(progress, quiet), label);
  }

  /** How often to show progress on {@code display}: the hidden override, else the mode's interval. */
  long intervalMillis(ProgressDisplay display, boolean verbose) {
    return millis != null ? millis : display.intervalMillis(verbose);
  }
}
