package io.umiflow.app;

import java.util.Locale;

/**
 * Sizes written as on the JVM command line: {@code 512m}, {@code 2g}, {@code 1500k}, or plain bytes.
 * Also the split of a {@code --memory} ceiling into the heap and the part of the process outside it.
 */
final class MemorySize {
  private MemorySize() {}

  /** The smallest {@code --memory} accepted. */
  static final long MINIMUM = 256L << 20;

  /** Parses a size; throws IllegalArgumentException with a one-line reason. */
  static long parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    long unit = 1;
    if (t.endsWith("b")) {
      t = t.substring(0, t.length() - 1);
    }
    switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
      case 'k' -> unit = 1L << 10;
      case 'm' -> unit = 1L << 20;
      case 'g' -> unit = 1L << 30;
      case 't' -> unit = 1L << 40;
      default -> unit = 1;
    }
    if (unit != 1) {
      t = t.substring(0, t.length() - 1);
    }
    try {
      double v = Double.parseDouble(t);
      if (v <= 0) {
        throw new NumberFormatException();
      }
      return (long) (v * unit);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("cannot read '" + text + "' as a memory size (e.g. 512m, 2g)");
    }
  }

  /** Human-readable MiB/GiB. */
  static String format(long bytes) {
    if (bytes >= (1L << 30)) {
      return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
  }

  /** The default ceiling: a quarter of physical memory, between 256 MiB and 8 GiB. */
  static long defaultCeiling() {
    long physical = physicalMemory();
    return Math.max(MINIMUM, Math.min(8L << 30, physical / 4));
  }

  /**
   * The machine's memory as the launcher reads it ({@code MemTotal} of {@code /proc/meminfo}), else as the JVM
   * reports it: starting the JVM's management beans took 20 ms of every run's start.
   */
  static long physicalMemory() {
    try (java.io.BufferedReader r = java.nio.file.Files.newBufferedReader(java.nio.file.Paths.get("/proc/meminfo"),
        java.nio.charset.StandardCharsets.US_ASCII)) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.startsWith("MemTotal:")) {
          String[] f = line.substring("MemTotal:".length()).trim().split("\\s+");
          return Long.parseLong(f[0]) << 10;
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not Linux, or not readable: ask the JVM
    }
    java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getTotalMemorySize();
    }
    return 4L << 30;
  }

  /**
   * The ledger budget for {@code --memory} (null for the default ceiling), from the heap this JVM actually
   * has (the launcher derives it from the same option). Throws IllegalArgumentException below the minimum.
   */
  static long budgetFor(String memory) {
    long ceiling = memory == null ? defaultCeiling() : parse(memory);
    if (ceiling < MINIMUM) {
      throw new IllegalArgumentException("--memory " + memory + " is below the minimum of 256m");
    }
    return ledgerBudget(Math.min(Runtime.getRuntime().maxMemory(), ceiling));
  }

  /**
   * The smallest {@code --memory} whose ledger budget is at least {@code budget}: the launcher's split
   * inverted (heap = M - 128 MiB - 12% of M, of which the JVM reports about 2% less as usable), rounded up
   * to a multiple of 64 MiB. As text: {@code 768m}, {@code 2g}.
   */
  static String ceilingFor(long budget) {
    double heap = budget / LEDGER_SHARE / 0.98;
    long mib = (long) Math.ceil((heap / (1 << 20) + 128) / 0.88);
    mib = Math.max(MINIMUM >> 20, (mib + 63) / 64 * 64);
    return mib % 1024 == 0 ? (mib / 1024) + "g" : mib + "m";
  }

  /** Share of the heap that is umiflow's byte budget (see {@link #ledgerBudget}). */
  static final double LEDGER_SHARE = 0.45;

  /**
   * The ledger's budget for a process whose heap is {@code maxHeap}: 45% of it. The rest is headroom for
   * garbage not yet collected, Akka, htsjdk's header objects and the collector's own work.
   */
  static long ledgerBudget(long maxHeap) {
    return (long) (maxHeap * LEDGER_SHARE);
  }
}
