package io.umiflow.app;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import io.umiflow.actors.GroupJob;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.JobSummary;
import io.umiflow.assign.Strategy;
import io.umiflow.codec.DeflateBackend;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code umiflow group}: fgbio GroupReadsByUmi's job on template-coordinate-sorted input. Over 300 lines
 * because its help text and fgbio's option names (with their descriptions) are most of it.
 */
@Command(
    name = "group",
    sortOptions = false,
    mixinStandardHelpOptions = true,
    description = {
        "Groups reads that come from the same source molecule and writes every kept record with a molecule id "
            + "tag (MI). Same molecules as fgbio GroupReadsByUmi 4.1 on the same input; output is deterministic.",
        "",
        "Input: BAM, SAM or CRAM (with --reference) in any order; the output is BAM in template-coordinate order "
            + "(@|bold samtools sort --template-coordinate|@'s). Input whose header declares that order (@HD "
            + "SO:unsorted GO:query SS:unsorted:template-coordinate) is grouped as it is read, and records that go "
            + "backwards in it fail the run; other input is sorted first, inside --memory, through temporary "
            + "files in --tmp-dir (about the input's size) when it does not fit (see --sort).",
        "",
        "A template is a run of records with one read name; secondary and supplementary records are dropped. "
            + "Templates with the same unclipped 5' positions and strands of both ends form a position group; "
            + "inside it, templates are partitioned by library (RG's LB) and cell barcode (--cell-tag), then "
            + "assigned to molecules by UMI (--raw-tag, upper-cased) with one of four strategies:",
        "  identity   same UMI, same molecule (--edits is ignored)",
        "  edit       single linkage: UMIs within --edits mismatches join,",
        "             transitively",
        "  adjacency  directional adjacency (UMI-tools): a UMI joins a more",
        "             abundant one within --edits if its count is at most half",
        "             the other's plus one; the best default for single UMIs",
        "  paired     adjacency on duplex A-B UMIs in genomic order; ids get",
        "             /A (R1 is the earlier read) or /B",
        "The first three split templates by pair orientation first. Ids run 0..N-1 in input order.",
        "",
        "Filters, in fgbio's order (counted in primary records, see --grouping-metrics): QC-fail (unless "
            + "--include-non-pf-reads), all reads unmapped, a mapped read below --min-map-q, N in the UMI, "
            + "fewer than --min-umi-length A/C/G/T. A kept template without its UMI tag is an error.",
        "",
        "Memory: --memory is a ceiling for the whole process. The launcher gives the JVM a heap that leaves room "
            + "for everything outside it; 45%% of the heap is the byte budget that every read-holding step draws "
            + "credits from before it allocates. Lack of memory slows a run (waiting, grouping giant position "
            + "groups out of core); the one failure is a single library x cell partition whose distinct UMIs "
            + "cannot fit, which names the --memory that would do. Output is written under a temporary name and "
            + "renamed when complete.",
        ""},
    footer = {"", "Exit status: 0 on success, 1 when the run failed (the message names file, record and cause), "
        + "2 for bad options."})
final class GroupCommand implements Callable<Integer> {
  @Option(names = {"-i", "--input"}, required = true, paramLabel = "FILE",
      description = "Template-coordinate sorted BAM, SAM or CRAM (told apart by their first bytes), or - for "
          + "standard input.")
  String input;

  @Option(names = {"-r", "--reference"}, paramLabel = "FASTA",
      description = "The reference a CRAM input was written against, indexed (.fai beside it).")
  String reference;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "BAM",
      description = "Output BAM, or - for standard output.")
  String output;

  @Option(names = {"-s", "--strategy"}, required = true, paramLabel = "NAME",
      description = "identity, edit, adjacency or paired.")
  String strategy;

  @Option(names = {"-e", "--edits"}, defaultValue = "1", paramLabel = "N",
      description = "Allowed mismatches between UMIs of one molecule (default: ${DEFAULT-VALUE}).")
  int edits;

  @Option(names = {"-m", "--min-map-q"}, paramLabel = "Q",
      description = "Minimum mapping quality of mapped reads (default: 1, or 0 with --mark-duplicates).")
  Integer minMapQ;

  @Option(names = {"-n", "--include-non-pf-reads"}, description = "Keep QC-fail (0x200) templates.")
  boolean includeNonPf;

  @Option(names = {"-t", "--raw-tag"}, defaultValue = "RX", paramLabel = "TAG",
      description = "Tag holding the raw UMI (default: ${DEFAULT-VALUE}).")
  String rawTag;

  @Option(names = {"-T", "--assign-tag"}, defaultValue = "MI", paramLabel = "TAG",
      description = "Tag to write the molecule id to (default: ${DEFAULT-VALUE}).")
  String assignTag;

  @Option(names = {"-c", "--cell-tag"}, defaultValue = "CB", paramLabel = "TAG",
      description = "Cell barcode tag; different cells never share a molecule (default: ${DEFAULT-VALUE}).")
  String cellTag;

  @Option(names = {"-l", "--min-umi-length"}, paramLabel = "L",
      description = "Drop UMIs with fewer than L A/C/G/T bases and compare UMIs of one group by their shortest "
          + "length. Not with paired.")
  Integer minUmiLength;

  @Option(names = {"-d", "--mark-duplicates"},
      description = "Also set the duplicate flag on all but the best template of each family "
          + "(highest MAPQ plus base qualities >= 15; ties to the smallest name).")
  boolean markDuplicates;

  @Option(names = {"-f", "--family-size-histogram"}, paramLabel = "FILE",
      description = "Write the family size histogram (fgbio format).")
  String familySizeHistogram;

  @Option(names = {"-g", "--grouping-metrics"}, paramLabel = "FILE",
      description = "Write the grouping metrics (fgbio format).")
  String groupingMetrics;

  @Option(names = "--group-size-histogram", paramLabel = "FILE",
      description = "Write the position group size histogram: how many position groups kept how many templates "
          + "(the family histogram's format).")
  String groupSizeHistogram;

  @Option(names = "--summary-json", paramLabel = "FILE",
      description = "Write what the run did as JSON (records, filters, molecules, groups, time, memory, settings; "
          + "schema in docs/summary-json.md). Written only when the run completes.")
  String summaryJson;

  @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: all cores).")
  Integer threads;

  @Option(names = "--memory", paramLabel = "SIZE",
      description = "Ceiling for the whole process, e.g. 2g (default: a quarter of physical memory, "
          + "at most 8g; minimum 256m).")
  String memory;

  @Option(names = "--compression-level", defaultValue = "1", paramLabel = "0-9",
      description = "BGZF level of the output (default: ${DEFAULT-VALUE}; the output is usually an intermediate).")
  int compressionLevel;

  @Option(names = "--tmp-dir", paramLabel = "DIR",
      description = "Folder for temporary files: sorted runs when the input is sorted first (about the input's "
          + "size) and position groups too large for memory (about twice such a group's compressed size at its "
          + "peak). Default: the output's folder, or the system's temporary folder when writing to standard "
          + "output. Removed however the run ends. The output's own temporary file always sits beside the output.")
  String tmpDir;

  @Option(names = "--sort", defaultValue = "auto", paramLabel = "WHEN",
      description = "Sort the input into template-coordinate order first: auto (when its header does not declare "
          + "that order), never (refuse such input, as samtools-sorted pipelines may want) or always (default: "
          + "${DEFAULT-VALUE}).")
  String sort;

  /** Tests: the size of sorted runs (the input's sort, giant groups): many runs and merges of merges. */
  @Option(names = "--spill-run-bytes", hidden = true)
  Long spillRunBytes;

  @Option(names = "--spill-threshold", paramLabel = "SIZE",
      description = "Also group position groups whose records exceed SIZE out of core, through --tmp-dir "
          + "(default: none; a group spills anyway when its batch would need more than the memory reserved for "
          + "the head of the output, about 40%% of the budget). The output is the same either way.")
  String spillThreshold;

  @Option(names = "--deflater", defaultValue = "auto", paramLabel = "NAME",
      description = "Deflate implementation: auto, gkl (Intel ISA-L at level 1, zlib above), libdeflate (the "
          + "system's libdeflate.so.0) or jdk (default: ${DEFAULT-VALUE}: ISA-L at level 1, "
          + "libdeflate at levels 2-9 when installed).")
  String deflater;

  @Option(names = "--pipeline-stats", description = "Print per-stage memory accounting at the end.")
  boolean pipelineStats;

  @Option(names = {"-q", "--quiet"}, description = "Print only errors.")
  boolean quiet;

  @Option(names = {"-v", "--verbose"}, description = "Print progress lines every second and the pipeline's settings.")
  boolean verbose;

  @picocli.CommandLine.Mixin
  ProgressOptions progress = new ProgressOptions();

  private ProgressDisplay display;

  /** The job's result, once it has completed. */
  private volatile GroupJob.Completed completed;

  @Override
  public Integer call() {
    PrintStream err = System.err;
    // GKL's native library takes ~0.1 s to load (libdeflate's less); let them load while the ActorSystem starts
    Thread load = new Thread(() -> {
      DeflateBackend.GKL.available();
      DeflateBackend.best(compressionLevel);
    }, "umiflow-deflater-load");
    load.setDaemon(true);
    load.start();
    GroupSettings settings;
    try {
      display = progress.display(err, quiet, "umiflow group");
      settings = settings();
    } catch (IllegalArgumentException e) {
      err.println("umiflow group: " + e.getMessage());
      return 2;
    }
    String summaryProblem = summaryJsonProblem(settings);
    if (summaryProblem != null) {
      err.println("umiflow group: " + summaryProblem);
      return 2;
    }
    if (settings.strategy() == Strategy.IDENTITY && edits != 1 && edits != 0 && !quiet) {
      err.println("umiflow group: warning: --edits " + edits + " is ignored by the identity strategy");
    }
    if (!settings.inputIsStdin() && !Files.isReadable(Paths.get(settings.input()))) {
      err.println("umiflow group: " + settings.input() + ": " + (Files.exists(Paths.get(settings.input()))
          ? "not readable" : "no such file"));
      return 1;
    }
    return run(settings, err);
  }

  /** Why --summary-json cannot be written where asked, found before the run rather than after it; or null. */
  private String summaryJsonProblem(GroupSettings s) {
    if (summaryJson == null) {
      return null;
    }
    java.nio.file.Path p = Paths.get(summaryJson).toAbsolutePath().normalize();
    for (String other : new String[] {s.input(), s.output(), s.familySizeHistogram(), s.groupingMetrics(),
        s.groupSizeHistogram()}) {
      if (other != null && !other.equals("-") && Paths.get(other).toAbsolutePath().normalize().equals(p)) {
        return "--summary-json " + summaryJson + " is also another file of the run";
      }
    }
    if (Files.isDirectory(p)) {
      return "--summary-json " + summaryJson + " is a folder; give a file name";
    }
    java.nio.file.Path parent = p.getParent();
    return parent != null && Files.isDirectory(parent) ? null
        : "--summary-json " + summaryJson + ": folder " + parent + " does not exist";
  }

  private GroupSettings settings() {
    long budget = MemorySize.budgetFor(memory);
    return GroupSettings.builder()
        .wording(GroupSettings.Wording.CLI)
        .input(input)
        .output(output)
        .strategy(Strategy.parse(strategy))
        .edits(edits)
        .minMapQ(minMapQ)
        .includeNonPf(includeNonPf)
        .rawTag(rawTag)
        .assignTag(assignTag)
        .cellTag(cellTag)
        .minUmiLength(minUmiLength == null ? 0 : minUmiLength)
        .markDuplicates(markDuplicates)
        .familySizeHistogram(familySizeHistogram)
        .groupingMetrics(groupingMetrics)
        .groupSizeHistogram(groupSizeHistogram)
        .threads(threads == null ? Runtime.getRuntime().availableProcessors() : threads)
        .memoryBudget(budget)
        .compressionLevel(compressionLevel)
        .tmpDir(tmpDir)
        .sort(GroupSettings.SortMode.parse(sort))
        .reference(reference)
        .spillThreshold(spillThreshold == null ? 0 : MemorySize.parse(spillThreshold))
        .spillRunBytes(spillRunBytes == null ? 0 : spillRunBytes)
        .deflateBackend(DeflateBackend.JDK) // validated here; the chosen backend is resolved in run()
        .commandLine(commandLine())
        .progressMillis(progress.intervalMillis(display, verbose))
        .build();
  }

  private static String commandLine() {
    String cmd = System.getProperty("umiflow.commandLine");
    return cmd != null ? cmd : "umiflow group";
  }

  /** Runs the job in an ActorSystem of its own and reports to stderr. */
  private int run(GroupSettings settings, PrintStream err) {
    EarlySystem.Started early = EarlySystem.take(settings.threads());
    ActorSystem<Void> system = early.system();
    CompletableFuture<Integer> status = early.status();
    CompletableFuture<GroupSettings> started = early.settings();
    early.wiring().reportTo(e -> report(e, settings, err));
    GroupSettings resolved;
    try {
      resolved = settings.toBuilder().deflateBackend(DeflateBackend.parse(deflater, compressionLevel)).build();
    } catch (IllegalArgumentException e) {
      err.println("umiflow group: " + e.getMessage());
      system.terminate();
      awaitQuietly(system);
      return 2;
    }
    started.complete(resolved);
    Thread hook = new Thread(() -> {
      if (!status.isDone()) {
        display.finish();
        err.println("umiflow group: interrupted; removing partial output");
        system.terminate();
        awaitQuietly(system);
      }
    }, "umiflow-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    int code = status.join();
    if (code == 0 && summaryJson != null) {
      code = writeSummary(resolved, err);
    }
    // the job has stopped, so nothing of the run is left in the system: the command ends without waiting for
    // the rest of it to shut down (scheduler, dispatchers: 20-30 ms of a short run)
    system.terminate();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException ignored) {
      // already shutting down
    }
    return code;
  }

  /**
   * Writes the --summary-json file through a temporary name, the run's last output (it holds the run's peak
   * memory). When it cannot, the run fails as a whole: its BAM and metrics, already in place, are removed.
   */
  private int writeSummary(GroupSettings s, PrintStream err) {
    try {
      AtomicFiles.writeString(Paths.get(summaryJson), SummaryJson.of(s, completed.summary(), memoryCeiling(),
          BuildInfo.peakRssBytes()));
      return 0;
    } catch (java.io.IOException e) {
      for (String out : new String[] {s.outputIsStdout() ? null : s.output(), s.familySizeHistogram(),
          s.groupingMetrics(), s.groupSizeHistogram()}) {
        try {
          if (out != null) {
            java.nio.file.Files.deleteIfExists(Paths.get(out));
          }
        } catch (java.io.IOException ignored) {
          // reported below with the cause
        }
      }
      err.println("umiflow group: --summary-json " + summaryJson + ": cannot write (" + e.getMessage()
          + "); the run's other outputs were removed");
      return 1;
    }
  }

  /** The process ceiling this run was given (--memory, or the launcher's default). */
  private long memoryCeiling() {
    return memory != null ? MemorySize.parse(memory) : MemorySize.defaultCeiling();
  }

  /**
   * The command line's root actor: spawns the job once the settings are resolved, reports its events, and
   * completes {@code status} with 0 or 1 once the job has stopped (its children stopped and its spill folder
   * removed), so the command may exit without waiting for the whole system to terminate. It watches the job,
   * so a job that stops without reporting (an internal error thrown inside it) ends the run with status 1 and
   * a one-line message instead of leaving the command waiting forever.
   */
  static Behavior<Void> root(Behavior<GroupJob.Command> job, CompletableFuture<GroupSettings> started,
                             java.util.function.Consumer<GroupJob.Event> report, CompletableFuture<Integer> status,
                             PrintStream err) {
    return Behaviors.setup(ctx -> {
      int[] outcome = {-1}; // 0 or 1 once the job has reported its end
      ActorRef<Object> listener = ctx.spawn(Behaviors.receive(Object.class)
          .onMessage(GroupJob.Event.class, e -> {
            report.accept(e);
            if (e instanceof GroupJob.Completed) {
              outcome[0] = 0;
            } else if (e instanceof GroupJob.Failed) {
              outcome[0] = 1;
            }
            return Behaviors.same();
          })
          .onMessage(JobStopped.class, stopped -> {
            // the job's last event was queued here before it stopped, so it has been reported by now
            if (outcome[0] < 0) {
              err.println("umiflow group: internal error: the job stopped without a result" + stopped.cause());
              outcome[0] = 1;
            }
            status.complete(outcome[0]);
            return Behaviors.same();
          }).build(), "listener");
      ActorRef<GroupJob.Command> ref = ctx.spawn(job, "group");
      ctx.watch(ref);
      started.thenAccept(s -> ref.tell(new GroupJob.Start(s, listener.narrow())));
      return Behaviors.receive(Void.class)
          .onSignal(akka.actor.typed.Terminated.class, t -> {
            listener.tell(new JobStopped(t instanceof akka.actor.typed.ChildFailed f ? ": " + f.cause() : ""));
            return Behaviors.same();
          })
          .build();
    });
  }

  /** The job has stopped; {@code cause} is empty or ": " and what it threw. */
  private record JobStopped(String cause) {}

  private static void awaitQuietly(ActorSystem<Void> system) {
    try {
      system.getWhenTerminated().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // the process is ending either way
    }
  }

  private void report(GroupJob.Event e, GroupSettings s, PrintStream err) {
    if (e instanceof GroupJob.Completed c) {
      completed = c;
    }
    if (!(e instanceof GroupJob.Progress)) {
      display.finish(); // the run's last words start on a clean line
    }
    if (e instanceof GroupJob.Failed f) {
      err.println("umiflow group: " + f.reason()
          + (f.neededBudget() > 0 ? "; run with --memory " + MemorySize.ceilingFor(f.neededBudget()) : ""));
      return;
    }
    if (quiet) {
      return;
    }
    if (e instanceof GroupJob.Started st && st.sorting() != null) {
      display.println("umiflow group: " + st.sorting());
    }
    if (e instanceof GroupJob.Started st && verbose) {
      err.printf(Locale.ROOT, "umiflow group: %s -> %s, strategy %s, %d threads, budget %s (heap %s), deflate %s%n",
          st.input(), st.output(), s.strategy().cliName(), st.threads(), MemorySize.format(st.budgetBytes()),
          MemorySize.format(Runtime.getRuntime().maxMemory()), st.deflateBackend());
    } else if (e instanceof GroupJob.Progress p) {
      display.show(new ProgressDisplay.Status(p.inputBytesRead(), p.inputBytes(), "bytes", p.recordsRead(),
          p.recordsPerSecond(), p.elapsedMillis(), String.format(Locale.ROOT,
              "%,d written, at %s, budget %s of %s in use, largest group %,d templates", p.recordsWritten(),
              p.locus().isEmpty() ? "-" : p.locus(), MemorySize.format(p.accountedBytes()),
              MemorySize.format(p.budgetBytes()), p.largestGroup())));
    } else if (e instanceof GroupJob.Completed c) {
      JobSummary m = c.summary();
      double secs = Math.max(1e-3, m.wallMillis() / 1000.0);
      err.printf(Locale.ROOT, "umiflow group: done in %.1f s: %,d records in (%,.0f/s), %,d out, %,d molecules "
              + "(%,d families), %,d position groups (largest %,d templates)%n",
          secs, m.recordsRead(), m.recordsRead() / secs, m.recordsWritten(), m.molecules(), m.families(),
          m.positionGroups(), m.largestGroup());
      if (m.spilledGroups() > 0) {
        err.printf(Locale.ROOT, "umiflow group: %,d position group%s too large for memory grouped out of core%n",
            m.spilledGroups(), m.spilledGroups() == 1 ? "" : "s");
      }
      err.printf(Locale.ROOT, "umiflow group: filtered (primary records): %,d non-PF, %,d poor alignment, "
              + "%,d N in UMI, %,d UMI too short; %,d secondary/supplementary records dropped%n",
          m.discardedNonPf(), m.discardedPoorAlignment(), m.discardedNsInUmi(), m.discardedUmisTooShort(),
          m.secondaryOrSupplementary());
      if (pipelineStats || verbose) {
        err.printf(Locale.ROOT, "umiflow group: memory: ledger peak %s of %s budget; JVM heap peak %s of %s "
                + "(sum of pool peaks)%n",
            MemorySize.format(m.peakAccountedBytes()), MemorySize.format(m.budgetBytes()),
            MemorySize.format(m.peakHeapBytes()), MemorySize.format(Runtime.getRuntime().maxMemory()));
        for (JobSummary.AccountPeak a : m.accountPeaks()) {
          err.printf(Locale.ROOT, "umiflow group:   %-12s peak %10s of %10s%n", a.name(),
              MemorySize.format(a.peakBytes()), MemorySize.format(a.capacityBytes()));
        }
      }
    }
  }
}
