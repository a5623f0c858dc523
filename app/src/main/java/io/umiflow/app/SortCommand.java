package io.umiflow.app;

import io.umiflow.actors.Version;
import io.umiflow.actors.outofcore.SpillFolder;
import io.umiflow.actors.pipeline.OutputSet;
import io.umiflow.actors.sort.TemplateSorter;
import io.umiflow.codec.DeflateBackend;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code umiflow sort}: a BAM in any order to samtools' template-coordinate order, the order {@code umiflow
 * group} reads, within {@code --memory}: sorted in memory when the records fit, else through sorted runs in
 * {@code --tmp-dir} merged at the end.
 */
@Command(
    name = "sort",
    sortOptions = false,
    mixinStandardHelpOptions = true,
    description = {
        "Sorts a BAM into template-coordinate order, as samtools sort --template-coordinate does (same order, "
            + "ties included, and the same @HD line), for umiflow group and other tools that read that order.",
        "Records are sorted in memory when they fit in the memory budget; otherwise sorted runs are written to "
            + "--tmp-dir (about the input's size on disk, removed at the end however the sort ends) and merged.",
        "Paired records with a mapped mate need the MC tag (samtools fixmate -m adds it), as for samtools.",
        ""})
final class SortCommand implements Callable<Integer> {
  @Option(names = {"-i", "--input"}, required = true, paramLabel = "BAM", description = "Input BAM, or - for stdin.")
  String input;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "BAM", description = "Output BAM.")
  String output;

  @Option(names = "--memory", paramLabel = "SIZE",
      description = "Memory ceiling of the whole process, e.g. 512m or 2g (default: a quarter of the RAM, at most 8g).")
  String memory;

  @Option(names = "--tmp-dir", paramLabel = "DIR", description = "Folder for sorted runs (default: the output's folder).")
  Path tmpDir;

  @Option(names = "--compression-level", defaultValue = "1", paramLabel = "N",
      description = "Output BGZF compression level 0-9 (default: ${DEFAULT-VALUE}).")
  int compressionLevel;

  /** For tests: the records' bytes held before a run is written (default: the memory budget). */
  @Option(names = "--buffer-bytes", hidden = true)
  Long bufferBytes;

  @Option(names = "--threads", paramLabel = "N",
      description = "Threads that inflate the input and compress runs and output (default: all cores).")
  Integer threads;

  @Option(names = {"-q", "--quiet"}, description = "Print nothing but errors.")
  boolean quiet;

  @picocli.CommandLine.Mixin
  ProgressOptions progress = new ProgressOptions();

  @Override
  public Integer call() {
    if (compressionLevel < 0 || compressionLevel > 9) {
      System.err.println("umiflow sort: --compression-level must be 0-9, got " + compressionLevel);
      return 2;
    }
    Path out = Paths.get(output).toAbsolutePath();
    if (!input.equals("-") && Paths.get(input).toAbsolutePath().normalize().equals(out.normalize())) {
      System.err.println("umiflow sort: the output " + output + " is also the input");
      return 2;
    }
    if (Files.isDirectory(out)) {
      System.err.println("umiflow sort: the output " + output + " is a folder; give a file name");
      return 2;
    }
    Path runsFolder = tmpDir != null ? tmpDir : out.getParent();
    if (!Files.isDirectory(runsFolder)) {
      System.err.println("umiflow sort: --tmp-dir " + runsFolder + " is not a folder");
      return 2;
    }
    int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
    if (n < 1) {
      System.err.println("umiflow sort: --threads must be >= 1, got " + n);
      return 2;
    }
    ProgressDisplay display;
    try {
      display = progress.display(System.err, quiet, "umiflow sort");
    } catch (IllegalArgumentException e) {
      System.err.println("umiflow sort: " + e.getMessage());
      return 2;
    }
    long buffer = bufferBytes != null ? bufferBytes : MemorySize.budgetFor(memory);
    String source = input.equals("-") ? "standard input" : input;
    SpillFolder.removeStale(runsFolder);
    SpillFolder spill = new SpillFolder(runsFolder);
    OutputSet outputs = new OutputSet();
    long start = System.nanoTime();
    java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
    Thread hook = new Thread(() -> { // Ctrl-C or a kill: no partial output, no runs left behind
      if (done.compareAndSet(false, true)) {
        System.err.println("umiflow sort: interrupted; removing partial output");
        outputs.abort();
        spill.deleteAll();
      }
    }, "umiflow-sort-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    ExecutorService pool = Executors.newFixedThreadPool(n, r -> {
      Thread t = new Thread(r, "umiflow-sort");
      t.setDaemon(true);
      return t;
    });
    TemplateSorter.Counters counters = new TemplateSorter.Counters();
    long inputBytes = input.equals("-") ? -1 : sizeOf(Paths.get(input));
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "umiflow-sort-progress");
      t.setDaemon(true);
      return t;
    });
    long interval = progress.intervalMillis(display, false);
    if (interval > 0) {
      ticker.scheduleAtFixedRate(() -> display.show(status(counters, inputBytes, start)), interval, interval,
          TimeUnit.MILLISECONDS);
    }
    try (InputStream in = input.equals("-") ? new FileInputStream(FileDescriptor.in) : Files.newInputStream(Paths.get(input))) {
      TemplateSorter sorter = new TemplateSorter(buffer, spill, compressionLevel, DeflateBackend.best(compressionLevel),
          pool, n);
      TemplateSorter.Result r;
      r = sorter.sort(in, source, h -> TemplateSorter.sortedHeader(h, Version.VERSION, commandLine()),
          outputs.create(out), counters);
      ticker.shutdownNow();
      display.finish();
      if (!done.compareAndSet(false, true)) {
        return 1; // interrupted while finishing: the hook has removed everything
      }
      outputs.commit();
      if (!quiet) {
        System.err.printf(Locale.ROOT, "umiflow sort: %,d records in %.1f s%s%n", r.records(),
            (System.nanoTime() - start) / 1e9, r.runs() == 0 ? ", in memory"
                : String.format(Locale.ROOT, ", through %d sorted runs (%s on disk)", r.runs(),
                    MemorySize.format(r.runBytes())));
      }
      return 0;
    } catch (NoSuchFileException e) {
      ticker.shutdownNow();
      display.finish();
      outputs.abort();
      System.err.println("umiflow sort: " + source + ": no such file");
      return 1;
    } catch (IOException | RuntimeException e) {
      ticker.shutdownNow();
      display.finish();
      outputs.abort();
      String why = e.getMessage() != null && e.getMessage().contains("No space left")
          ? "the disk is full (output " + out.getParent() + ", runs " + runsFolder + ")" : e.getMessage();
      System.err.println("umiflow sort: " + why);
      return 1;
    } finally {
      ticker.shutdownNow();
      pool.shutdownNow();
      done.set(true);
      spill.deleteAll();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException ignored) {
        // the JVM is already shutting down; the hook has run
      }
    }
  }

  /** Reading: the input's compressed bytes; writing: the records' bytes written of all read. */
  private static ProgressDisplay.Status status(TemplateSorter.Counters c, long inputBytes, long startNanos) {
    long elapsed = (System.nanoTime() - startNanos) / 1_000_000;
    double rate = c.recordsRead / Math.max(1e-3, elapsed / 1000.0);
    if (c.writing) {
      return new ProgressDisplay.Status(c.bytesWritten, c.bytesRead, "bytes", c.recordsRead, 0, elapsed,
          "writing the sorted output");
    }
    return new ProgressDisplay.Status(c.compressedRead.get(), inputBytes, "bytes", c.recordsRead, rate, elapsed,
        "reading and sorting");
  }

  private static long sizeOf(Path p) {
    try {
      return Files.isRegularFile(p) ? Files.size(p) : -1;
    } catch (IOException e) {
      return -1;
    }
  }

  private static String commandLine() {
    String cmd = System.getProperty("umiflow.commandLine");
    return cmd != null ? cmd : "umiflow sort";
  }
}
