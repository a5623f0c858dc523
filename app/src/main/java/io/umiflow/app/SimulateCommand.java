package io.umiflow.app;

import io.umiflow.app.simulate.SimulationParameters;
import io.umiflow.app.simulate.Simulator;
import io.umiflow.codec.DeflateBackend;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code umiflow simulate}: makes template-coordinate-sorted test and benchmark BAMs. */
@Command(
    name = "simulate",
    sortOptions = false,
    mixinStandardHelpOptions = true,
    description = {
        "Writes a simulated BAM, already in samtools --template-coordinate order: UMI-tagged molecules on a few "
            + "contigs, 2xN bp pairs, lognormal family sizes with optional rare large families, UMI errors, Ns, "
            + "duplex A-B UMIs, soft clips, several libraries and cell barcodes, and the usual noise (MAPQ 0, "
            + "unmapped mates, unmapped pairs, secondary and supplementary records, QC-fail, chimeric pairs).",
        "Amplicon mode (--amplicon-loci) puts --amplicon-templates templates on each of a few loci with a fixed "
            + "insert: position groups of up to millions of templates.",
        "Seeded and reproducible: the same options give the same file.",
        ""})
final class SimulateCommand implements Callable<Integer> {
  @Option(names = {"-o", "--output"}, required = true, paramLabel = "BAM", description = "Output BAM, or - for stdout.")
  String output;

  @Option(names = "--records", defaultValue = "200000", description = "About this many records from regular "
      + "molecules (default: ${DEFAULT-VALUE}).")
  long records;

  @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--contigs", defaultValue = "3", description = "Contigs (default: ${DEFAULT-VALUE}).")
  int contigs;

  @Option(names = "--contig-length", defaultValue = "10000000", description = "Contig length (default: ${DEFAULT-VALUE}).")
  int contigLength;

  @Option(names = "--read-length", defaultValue = "100", description = "Read length (default: ${DEFAULT-VALUE}).")
  int readLength;

  @Option(names = "--insert-mean", defaultValue = "300", description = "Mean insert size (default: ${DEFAULT-VALUE}).")
  int insertMean;

  @Option(names = "--insert-sd", defaultValue = "50", description = "Insert size SD (default: ${DEFAULT-VALUE}).")
  int insertSd;

  @Option(names = "--family-mean", defaultValue = "3.0", description = "Mean family size (default: ${DEFAULT-VALUE}).")
  double familyMean;

  @Option(names = "--family-sigma", defaultValue = "0.8",
      description = "Lognormal sigma of family sizes (default: ${DEFAULT-VALUE}).")
  double familySigma;

  @Option(names = "--large-family-rate", defaultValue = "0.001",
      description = "Fraction of molecules with a large family (default: ${DEFAULT-VALUE}).")
  double largeFamilyRate;

  @Option(names = "--large-family-size", defaultValue = "200",
      description = "Size of large families (default: ${DEFAULT-VALUE}).")
  int largeFamilySize;

  @Option(names = "--umi-length", defaultValue = "8", description = "UMI length (per half when duplex; default: ${DEFAULT-VALUE}).")
  int umiLength;

  @Option(names = "--umi-error-rate", defaultValue = "0.01",
      description = "Per-base UMI substitution rate (default: ${DEFAULT-VALUE}).")
  double umiErrorRate;

  @Option(names = "--n-rate", defaultValue = "0.002", description = "Templates with an N in the UMI (default: ${DEFAULT-VALUE}).")
  double nRate;

  @Option(names = "--duplex", description = "Duplex A-B UMIs, both strands of each molecule.")
  boolean duplex;

  @Option(names = "--soft-clip-rate", defaultValue = "0.05", description = "Reads with a 5' soft clip (default: ${DEFAULT-VALUE}).")
  double softClipRate;

  @Option(names = "--libraries", defaultValue = "1", description = "Libraries, one read group each (default: ${DEFAULT-VALUE}).")
  int libraries;

  @Option(names = "--cells", defaultValue = "0", description = "Cell barcodes (CB tag); 0 for none (default: ${DEFAULT-VALUE}).")
  int cells;

  @Option(names = "--mapq0-rate", defaultValue = "0.01", description = "Templates with a MAPQ 0 read (default: ${DEFAULT-VALUE}).")
  double mapq0Rate;

  @Option(names = "--unmapped-mate-rate", defaultValue = "0.01",
      description = "Templates with an unmapped mate (default: ${DEFAULT-VALUE}).")
  double unmappedMateRate;

  @Option(names = "--unmapped-rate", defaultValue = "0.005",
      description = "Templates with both reads unmapped (default: ${DEFAULT-VALUE}).")
  double unmappedRate;

  @Option(names = "--secondary-rate", defaultValue = "0.005",
      description = "Templates with a secondary record (default: ${DEFAULT-VALUE}).")
  double secondaryRate;

  @Option(names = "--supplementary-rate", defaultValue = "0.005",
      description = "Templates with a supplementary record (default: ${DEFAULT-VALUE}).")
  double supplementaryRate;

  @Option(names = "--qc-fail-rate", defaultValue = "0.005", description = "QC-fail templates (default: ${DEFAULT-VALUE}).")
  double qcFailRate;

  @Option(names = "--chimera-rate", defaultValue = "0.005",
      description = "Pairs with mates on two contigs (default: ${DEFAULT-VALUE}).")
  double chimeraRate;

  @Option(names = "--amplicon-loci", defaultValue = "0", description = "Amplicon loci (default: ${DEFAULT-VALUE}).")
  int ampliconLoci;

  @Option(names = "--amplicon-templates", defaultValue = "1000000", split = ",", paramLabel = "N[,N...]",
      description = "Templates per amplicon locus; a list gives each locus its own size, repeated when there "
          + "are more loci (default: ${DEFAULT-VALUE}).")
  long[] ampliconTemplates;

  @Option(names = "--compression-level", defaultValue = "5", description = "BGZF level (default: ${DEFAULT-VALUE}).")
  int compressionLevel;

  @picocli.CommandLine.Mixin
  ProgressOptions progress = new ProgressOptions();

  @Override
  public Integer call() {
    SimulationParameters params;
    try {
      params = new SimulationParameters(seed, records, contigs, contigLength, readLength, insertMean, insertSd,
          familyMean, familySigma, largeFamilyRate, largeFamilySize, umiLength, umiErrorRate, nRate, duplex,
          softClipRate, libraries, cells, mapq0Rate, unmappedMateRate, unmappedRate, secondaryRate,
          supplementaryRate, qcFailRate, chimeraRate, ampliconLoci, ampliconTemplates);
      if (compressionLevel < 0 || compressionLevel > 9) {
        throw new IllegalArgumentException("--compression-level must be 0-9");
      }
      display = progress.display(System.err, false, "umiflow simulate");
    } catch (IllegalArgumentException e) {
      System.err.println("umiflow simulate: " + e.getMessage());
      return 2;
    }
    long t0 = System.nanoTime();
    Path target = output.equals("-") ? null : Paths.get(output).toAbsolutePath();
    Path tmp = null;
    try {
      OutputStream raw;
      if (target == null) {
        raw = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 20);
      } else {
        tmp = AtomicFiles.temporaryBeside(target); // created like any new file: the umask decides its mode
        raw = new BufferedOutputStream(Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE), 1 << 20);
      }
      String cl = System.getProperty("umiflow.commandLine", "umiflow simulate");
      Simulator simulator = new Simulator(params);
      Simulator.Result r;
      try (Ticker ticker = new Ticker(simulator, params.expectedRecords(), t0)) {
        r = simulator.run(raw, compressionLevel, DeflateBackend.best(compressionLevel), cl);
      }
      if (tmp != null) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        tmp = null;
      }
      display.finish();
      double secs = (System.nanoTime() - t0) / 1e9;
      System.err.printf(Locale.ROOT, "umiflow simulate: %,d records (%,d templates, %,d molecules) in %.1f s, "
          + "%,.0f records/s%n", r.records(), r.templates(), r.molecules(), secs, r.records() / secs);
      return 0;
    } catch (IOException e) {
      display.finish();
      System.err.println("umiflow simulate: " + output + ": cannot write (" + e.getMessage() + ")");
      return 1;
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // best effort
        }
      }
    }
  }

  private ProgressDisplay display;

  /** Shows the simulator's progress from a daemon thread while it runs: records written of those expected. */
  private final class Ticker implements AutoCloseable {
    private final ScheduledExecutorService timer;

    Ticker(Simulator simulator, long expected, long startNanos) {
      long every = progress.intervalMillis(display, false);
      timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "umiflow-simulate-progress");
        t.setDaemon(true);
        return t;
      });
      if (every > 0) {
        timer.scheduleAtFixedRate(() -> {
          long elapsed = (System.nanoTime() - startNanos) / 1_000_000;
          long n = simulator.recordsSoFar();
          // the estimate may be a little short: never show a whole done before the run is over
          display.show(new ProgressDisplay.Status(Math.min(n, expected * 99 / 100), expected, "records", 0,
              n * 1000.0 / Math.max(1, elapsed), elapsed, ""));
        }, every, every, TimeUnit.MILLISECONDS);
      }
    }

    @Override
    public void close() {
      timer.shutdownNow();
      try {
        timer.awaitTermination(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
