package io.umiflow.app;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A long run's progress on stderr, in one of two forms and never both: a bar redrawn in place when stderr
 * is a terminal (percent, amount, rate, elapsed, ETA), or a plain line every few seconds when it is not
 * (the logs of Nextflow, Snakemake, SLURM). Messages printed while a bar is shown go above it.
 *
 * <p>Whether stderr is a terminal: the launcher tells ({@code -Dumiflow.stderr.tty}, from {@code [ -t 2 ]});
 * without it (the jar run directly), a console on stdin and stdout is taken as one. Its width: {@code -Dumiflow.stderr.columns}
 * or {@code $COLUMNS}, else 80.
 */
final class ProgressDisplay {
  /** How progress is shown. */
  enum Mode {
    BAR, LINES, NONE;

    /** {@code --progress auto|bar|lines|none}; quiet runs show none, auto follows the terminal. */
    static Mode resolve(String option, boolean quiet) {
      if (quiet) {
        return NONE;
      }
      return switch (option == null ? "auto" : option.toLowerCase(Locale.ROOT)) {
        case "bar" -> BAR;
        case "lines" -> LINES;
        case "none" -> NONE;
        case "auto" -> stderrIsTerminal() ? BAR : LINES;
        default -> throw new IllegalArgumentException("--progress must be auto, bar, lines or none, got '"
            + option + "'");
      };
    }
  }

  /**
   * Where a run stands.
   *
   * @param done       work done, in {@code unit}s (bytes of input read, records written, samples finished)
   * @param total      the whole, or -1 when unknown (standard input)
   * @param unit       {@code bytes}, or a count noun such as {@code samples}
   * @param records    records so far (0 to leave out)
   * @param perSecond  records per second (0 to leave out)
   * @param elapsed    milliseconds since the start
   * @param detail     extra text for the plain lines (locus, memory), or empty
   * @param partial    units under way beyond {@code done}, counted in the fraction (running samples' shares)
   */
  record Status(long done, long total, String unit, long records, double perSecond, long elapsed, String detail,
                double partial) {
    Status(long done, long total, String unit, long records, double perSecond, long elapsed, String detail) {
      this(done, total, unit, records, perSecond, elapsed, detail, 0);
    }

    /** 0..1, or -1 when the whole is unknown. */
    double fraction() {
      return total > 0 ? Math.min(1.0, (done + partial) / total) : -1;
    }

    /** Milliseconds left at the rate so far, or -1 before there is a rate to go by (2 s and 1%). */
    long etaMillis() {
      double f = fraction();
      if (f >= 1) {
        return 0;
      }
      return f < 0.01 || elapsed < 2000 ? -1 : Math.round(elapsed * (1 - f) / f);
    }
  }

  private final PrintStream err;
  private final Mode mode;
  private final String label;
  private final int columns;
  /** The lines now on screen (the bar, or a block of them), redrawn after a message; empty when none. */
  private List<String> shown = List.of();

  ProgressDisplay(PrintStream err, Mode mode, String label) {
    this(err, mode, label, terminalColumns());
  }

  ProgressDisplay(PrintStream err, Mode mode, String label, int columns) {
    this.err = err;
    this.mode = mode;
    this.label = label;
    this.columns = columns;
  }

  Mode mode() {
    return mode;
  }

  /** How often to show progress: a bar four times a second, a plain line every five (every second verbose). */
  long intervalMillis(boolean verbose) {
    return switch (mode) {
      case BAR -> 250;
      case LINES -> verbose ? 1000 : 5000;
      case NONE -> 0;
    };
  }

  /** Shows {@code s}: redraws the bar, or prints a line. */
  synchronized void show(Status s) {
    if (mode == Mode.BAR) {
      draw(List.of(bar(s, label, columns)));
    } else if (mode == Mode.LINES) {
      err.println(line(s, label));
    }
  }

  /**
   * Shows a block of lines redrawn in place on a terminal (one per running sample and an overall bar, say);
   * in plain-lines mode each line is printed, in none nothing.
   */
  synchronized void showBlock(List<String> lines) {
    if (mode == Mode.BAR) {
      List<String> fitted = new ArrayList<>(lines.size());
      for (String l : lines) {
        fitted.add(fit(l, columns));
      }
      draw(fitted);
    } else if (mode == Mode.LINES) {
      lines.forEach(err::println);
    }
  }

  /** Prints a message line; lines on screen are cleared first and drawn again below it. */
  synchronized void println(String message) {
    if (shown.isEmpty()) {
      err.println(message);
      return;
    }
    List<String> again = shown;
    clear();
    err.println(message);
    draw(again);
  }

  /** The run is over: clears the bar, so that the final lines start on a clean line. */
  synchronized void finish() {
    if (!shown.isEmpty()) {
      clear();
      err.flush();
    }
  }

  /** Replaces what is on screen with {@code lines}; the cursor stays at the end of the last one. */
  private void draw(List<String> lines) {
    StringBuilder b = new StringBuilder();
    up(b);
    for (int i = 0; i < lines.size(); i++) {
      b.append(i > 0 ? "\n" : "").append(lines.get(i)).append("\033[K");
    }
    if (lines.size() < shown.size()) {
      b.append("\033[J"); // a shorter block: erase the old one's last lines
    }
    err.print(b);
    err.flush();
    shown = List.copyOf(lines);
  }

  /** Erases what is on screen, leaving the cursor at the start of its first line. */
  private void clear() {
    StringBuilder b = new StringBuilder();
    up(b);
    err.print(b.append("\033[J"));
    shown = List.of();
  }

  /** Moves the cursor to the start of the first line on screen. */
  private void up(StringBuilder b) {
    b.append('\r');
    if (shown.size() > 1) {
      b.append("\033[").append(shown.size() - 1).append('A');
    }
  }

  /**
   * The bar line, at most {@code width} characters: label, percent, bar, amount, records and rate, elapsed
   * and ETA; without a known whole: label, amount, records, rate and elapsed. On a narrow terminal the records
   * count goes first, then the bar itself.
   */
  static String bar(Status s, String label, int width) {
    double f = s.fraction();
    if (f < 0) {
      return fit(label + right(s, true), width);
    }
    String left = label + String.format(Locale.ROOT, " %3d%% ", (int) Math.floor(f * 100));
    String right = right(s, true);
    if (width - left.length() - right.length() - 2 < 10) {
      right = right(s, false);
    }
    int barWidth = Math.min(40, width - left.length() - right.length() - 2);
    if (barWidth < 10) {
      return fit(left.stripTrailing() + right, width);
    }
    int filled = (int) Math.floor(f * barWidth);
    StringBuilder b = new StringBuilder(left).append('[');
    for (int i = 0; i < barWidth; i++) {
      b.append(i < filled ? '#' : (i == filled ? '>' : '-'));
    }
    return b.append(']').append(right).toString();
  }

  /** The bar's right-hand side: amount, records (when asked) and rate, elapsed and ETA. */
  private static String right(Status s, boolean withRecords) {
    double f = s.fraction();
    String amount = f < 0 ? amount(s.done(), s.unit())
        : s.unit().equals("bytes") ? amount(s.done(), s.unit()) + "/" + amount(s.total(), s.unit())
        : count(s.done()) + "/" + amount(s.total(), s.unit());
    StringBuilder right = new StringBuilder(" ").append(amount);
    if (withRecords && s.records() > 0) {
      right.append("  ").append(count(s.records())).append(" records");
    }
    if (s.perSecond() > 0) {
      right.append("  ").append(count(Math.round(s.perSecond()))).append("/s");
    }
    right.append("  ").append(duration(s.elapsed()));
    if (f >= 0) {
      long eta = s.etaMillis();
      right.append("  ETA ").append(eta < 0 ? "--:--" : duration(eta));
    }
    return right.toString();
  }

  /** The plain line: what the bar says, in words, and the detail. */
  static String line(Status s, String label) {
    StringBuilder b = new StringBuilder(label).append(": ");
    double f = s.fraction();
    if (f >= 0) {
      b.append((int) Math.floor(f * 100)).append("% of ").append(exact(s.total(), s.unit())).append(" done");
      long eta = s.etaMillis();
      if (eta >= 0) {
        b.append(", ETA ").append(duration(eta));
      }
    } else {
      b.append(exact(s.done(), s.unit())).append(" done");
    }
    b.append(", ").append(duration(s.elapsed())).append(" elapsed");
    if (s.records() > 0) {
      b.append("; ").append(String.format(Locale.ROOT, "%,d", s.records())).append(" records");
      if (s.perSecond() > 0) {
        b.append(String.format(Locale.ROOT, " (%,.0f/s)", s.perSecond()));
      }
    }
    if (!s.detail().isEmpty()) {
      b.append(", ").append(s.detail());
    }
    return b.toString();
  }

  /** {@code 1:02:03}, or {@code 2:03} under an hour. */
  static String duration(long millis) {
    long secs = millis / 1000;
    long h = secs / 3600;
    long m = secs / 60 % 60;
    long sec = secs % 60;
    return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, sec)
        : String.format(Locale.ROOT, "%d:%02d", m, sec);
  }

  /** An amount for the plain lines: sizes as for the bar, counts in full. */
  private static String exact(long n, String unit) {
    return unit.equals("bytes") ? MemorySize.format(n) : String.format(Locale.ROOT, "%,d %s", n, unit);
  }

  private static String amount(long n, String unit) {
    return unit.equals("bytes") ? MemorySize.format(n) : count(n) + " " + unit;
  }

  /** Counts for the bar, short: {@code 9,999}, {@code 942k}, {@code 2.97M}, {@code 12.3M}. */
  private static String count(long n) {
    if (n >= 10_000_000) {
      return String.format(Locale.ROOT, "%.1fM", n / 1e6);
    } else if (n >= 1_000_000) {
      return String.format(Locale.ROOT, "%.2fM", n / 1e6);
    }
    return n >= 10_000 ? n / 1000 + "k" : String.format(Locale.ROOT, "%,d", n);
  }

  static String fit(String s, int width) {
    return s.length() <= width ? s : s.substring(0, Math.max(0, width));
  }

  static boolean stderrIsTerminal() {
    String told = System.getProperty("umiflow.stderr.tty");
    if (told != null) {
      return told.equals("true");
    }
    java.io.Console console = System.console();
    if (console == null) {
      return false;
    }
    try { // Java 22+ has a console even when redirected; it says whether it is a terminal
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException e) {
      return true; // before 22 a console means stdin and stdout are terminals
    }
  }

  private static int terminalColumns() {
    for (String v : new String[] {System.getProperty("umiflow.stderr.columns"), System.getenv("COLUMNS")}) {
      try {
        if (v != null && Integer.parseInt(v.trim()) >= 20) {
          return Integer.parseInt(v.trim()) - 1; // the last column would wrap on some terminals
        }
      } catch (NumberFormatException ignored) {
        // not a number: try the next
      }
    }
    return 79;
  }
}
