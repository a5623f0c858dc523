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
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.concurrent.Callable;
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

  @Option(names = {"-q", "--quiet"}, description = "Print nothing but errors.")
  boolean quiet;

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
    try (InputStream in = input.equals("-") ? new FileInputStream(FileDescriptor.in) : Files.newInputStream(Paths.get(input))) {
      TemplateSorter sorter = new TemplateSorter(buffer, spill, compressionLevel, DeflateBackend.best(compressionLevel));
      TemplateSorter.Result r;
      try (OutputStream o = outputs.create(out)) {
        r = sorter.sort(in, source, h -> TemplateSorter.sortedHeader(h, Version.VERSION, commandLine()), o);
      }
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
      outputs.abort();
      System.err.println("umiflow sort: " + source + ": no such file");
      return 1;
    } catch (IOException | RuntimeException e) {
      outputs.abort();
      String why = e.getMessage() != null && e.getMessage().contains("No space left")
          ? "the disk is full (output " + out.getParent() + ", runs " + runsFolder + ")" : e.getMessage();
      System.err.println("umiflow sort: " + why);
      return 1;
    } finally {
      done.set(true);
      spill.deleteAll();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException ignored) {
        // the JVM is already shutting down; the hook has run
      }
    }
  }

  private static String commandLine() {
    String cmd = System.getProperty("umiflow.commandLine");
    return cmd != null ? cmd : "umiflow sort";
  }
}
