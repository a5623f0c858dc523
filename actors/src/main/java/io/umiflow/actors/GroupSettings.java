package io.umiflow.actors;
import io.umiflow.actors.memory.MemoryPlan;

import io.umiflow.assign.Strategy;
import io.umiflow.codec.DeflateBackend;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Everything one grouping job needs, validated on {@link Builder#build()} so that bad values fail before
 * any work with a one-line reason. Names follow fgbio {@code GroupReadsByUmi}'s options.
 *
 * @param input               BAM path, or {@code -} for standard input
 * @param output              BAM path, or {@code -} for standard output
 * @param strategy            UMI assignment strategy
 * @param edits               maximum mismatches between UMIs of one molecule
 * @param minMapQ             minimum mapping quality of mapped primary reads
 * @param includeNonPf        keep QC-fail templates
 * @param rawTag              tag holding the raw UMI
 * @param assignTag           tag to write the molecule id into
 * @param cellTag             cell barcode tag; templates of different cells never share a molecule
 * @param minUmiLength        0 for none; else drop UMIs with fewer A/C/G/T and compare prefixes
 * @param markDuplicates      set the duplicate flag on all but the best template of each family
 * @param familySizeHistogram optional path of the family size histogram
 * @param groupingMetrics     optional path of the grouping metrics
 * @param groupSizeHistogram  optional path of the position group size histogram
 * @param reference           FASTA of the references, for CRAM input (indexed, {@code .fai} beside it); or null
 * @param threads             worker threads (inflate, group, assign, deflate)
 * @param memoryBudget        bytes the ledger may account (the job's share of the heap)
 * @param compressionLevel    output BGZF level 0-9
 * @param tmpDir              where temporary files go (defaults to the output's folder)
 * @param deflateBackend      zlib implementation
 * @param commandLine         recorded in the output's {@code @PG} line
 * @param progressMillis      interval of progress events; 0 for none
 * @param spillThreshold      position groups with more record bytes than this are grouped out of core, through
 *                            files under {@code tmpDir}; 0 for automatic (a third of the budget for groups)
 * @param spillRunBytes       size of the sorted runs of the out-of-core path and of the input's sort; 0 for
 *                            automatic (tests set it small to exercise many runs and multi-level merges)
 * @param memoryTuning        how the budget is split (see {@link MemoryPlan}); {@code umiflow.group.memory}
 * @param wording             whether messages name settings as command-line options ({@code --raw-tag}) or as
 *                            this builder's methods ({@code rawTag}); the API's by default
 * @param sourceName          what messages call the input, or null for its path ("standard input" for {@code -})
 * @param sort                whether the file job sorts its input into template-coordinate order first (see
 *                            {@link SortMode}); the stream stage never sorts
 */
public record GroupSettings(
    String input,
    String output,
    Strategy strategy,
    int edits,
    int minMapQ,
    boolean includeNonPf,
    String rawTag,
    String assignTag,
    String cellTag,
    int minUmiLength,
    boolean markDuplicates,
    String familySizeHistogram,
    String groupingMetrics,
    String groupSizeHistogram,
    String reference,
    int threads,
    long memoryBudget,
    int compressionLevel,
    String tmpDir,
    DeflateBackend deflateBackend,
    String commandLine,
    long progressMillis,
    long spillThreshold,
    long spillRunBytes,
    MemoryTuning memoryTuning,
    Wording wording,
    String sourceName,
    SortMode sort) {

  /** Whether the file job sorts its input first (into samtools' template-coordinate order). */
  public enum SortMode {
    /** When the header does not declare template-coordinate order: the default. */
    AUTO,
    /** Never: input whose header does not declare the order is refused, as without a sort. */
    NEVER,
    /** Always, whatever the header says (a header that declares the order but lies, say). */
    ALWAYS;

    /** {@code auto}, {@code never} or {@code always}, any case. */
    public static SortMode parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("sort must be auto, never or always, got '" + s + "'");
      }
    }
  }

  /** How messages name settings: hosts set them through the builder, command-line users through options. */
  public enum Wording {
    /** As {@code umiflow}'s options: {@code --raw-tag}. */
    CLI,
    /** As the builder's methods and {@code umiflow.group} config keys: {@code rawTag}. */
    API;

    /**
     * The setting the command-line option {@code flag} sets, as this wording names it: the flag itself, or
     * its builder method ({@code --min-map-q} becomes {@code minMapQ}).
     */
    public String option(String flag) {
      if (this == CLI) {
        return flag;
      }
      StringBuilder b = new StringBuilder();
      boolean upper = false;
      for (char c : flag.replaceFirst("^-+", "").toCharArray()) {
        if (c == '-') {
          upper = true;
        } else {
          b.append(upper ? Character.toUpperCase(c) : c);
          upper = false;
        }
      }
      return b.toString();
    }
  }

  /** The smallest ledger budget we accept: enough for a few batches per worker. */
  public static final long MIN_BUDGET = 16L << 20;

  /**
   * The folder for spill files: {@code --tmp-dir}, else the output's folder, else (output to standard
   * output or a host stream) the JVM's temporary folder.
   */
  public Path spillFolder() {
    if (tmpDir != null) {
      return Paths.get(tmpDir);
    }
    if (!outputIsStdout()) {
      Path parent = Paths.get(output).toAbsolutePath().getParent();
      if (parent != null) {
        return parent;
      }
    }
    return Paths.get(System.getProperty("java.io.tmpdir"));
  }

  /** The input as messages name it: {@link #sourceName()} when set, else its path, or "standard input". */
  public String source() {
    if (sourceName != null) {
      return sourceName;
    }
    return inputIsStdin() ? "standard input" : input;
  }

  /** {@code wording().option(flag)}: the setting as this run's messages name it. */
  public String option(String flag) {
    return wording.option(flag);
  }

  /** True when reading standard input. */
  public boolean inputIsStdin() {
    return input.equals("-");
  }

  /** True when writing standard output. */
  public boolean outputIsStdout() {
    return output.equals("-");
  }

  /** A builder with fgbio's defaults; input, output and strategy must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder filled from {@code umiflow.group} of a host's config (defaults in this module's
   * {@code reference.conf}); input and output still have to be set.
   */
  public static Builder fromConfig(com.typesafe.config.Config root) {
    com.typesafe.config.Config c = root.getConfig("umiflow.group");
    int threads = c.getInt("threads");
    return builder()
        .strategy(Strategy.parse(c.getString("strategy")))
        .edits(c.getInt("edits"))
        .minMapQ(c.hasPath("min-map-q") ? c.getInt("min-map-q") : null)
        .includeNonPf(c.getBoolean("include-non-pf-reads"))
        .rawTag(c.getString("raw-tag"))
        .assignTag(c.getString("assign-tag"))
        .cellTag(c.getString("cell-tag"))
        .minUmiLength(c.getInt("min-umi-length"))
        .markDuplicates(c.getBoolean("mark-duplicates"))
        .threads(threads > 0 ? threads : Runtime.getRuntime().availableProcessors())
        .memoryBudget(c.getMemorySize("memory-budget").toBytes())
        .compressionLevel(c.getInt("compression-level"))
        .deflateBackend(DeflateBackend.parse(c.getString("deflater"), c.getInt("compression-level")))
        .progressMillis(c.getDuration("progress-interval").toMillis())
        .sort(SortMode.parse(c.getString("sort")))
        .memoryTuning(MemoryTuning.fromConfig(root));
  }

  /** A builder starting from these settings. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.input = input;
    b.output = output;
    b.strategy = strategy;
    b.edits = edits;
    b.minMapQ = minMapQ;
    b.includeNonPf = includeNonPf;
    b.rawTag = rawTag;
    b.assignTag = assignTag;
    b.cellTag = cellTag;
    b.minUmiLength = minUmiLength;
    b.markDuplicates = markDuplicates;
    b.familySizeHistogram = familySizeHistogram;
    b.groupingMetrics = groupingMetrics;
    b.groupSizeHistogram = groupSizeHistogram;
    b.reference = reference;
    b.threads = threads;
    b.memoryBudget = memoryBudget;
    b.compressionLevel = compressionLevel;
    b.tmpDir = tmpDir;
    b.deflateBackend = deflateBackend;
    b.commandLine = commandLine;
    b.progressMillis = progressMillis;
    b.spillThreshold = spillThreshold;
    b.spillRunBytes = spillRunBytes;
    b.memoryTuning = memoryTuning;
    b.wording = wording;
    b.sourceName = sourceName;
    b.sort = sort;
    return b;
  }

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private String input;
    private String output;
    private Strategy strategy;
    private int edits = 1;
    private Integer minMapQ;
    private boolean includeNonPf;
    private String rawTag = "RX";
    private String assignTag = "MI";
    private String cellTag = "CB";
    private int minUmiLength;
    private boolean markDuplicates;
    private String familySizeHistogram;
    private String groupingMetrics;
    private String groupSizeHistogram;
    private String reference;
    private int threads = Runtime.getRuntime().availableProcessors();
    private long memoryBudget = 256L << 20;
    private int compressionLevel = 1;
    private String tmpDir;
    /** Null: the best available, resolved in {@link #build()} (finding out loads GKL's native code, ~0.1 s). */
    private DeflateBackend deflateBackend;
    private String commandLine = "";
    private long progressMillis = 5000;
    private long spillThreshold;
    private long spillRunBytes;
    private MemoryTuning memoryTuning;
    private Wording wording = Wording.API;
    private String sourceName;
    private SortMode sort = SortMode.AUTO;

    /** BAM path or {@code -}. */
    public Builder input(String v) { input = v; return this; }
    /** BAM path or {@code -}. */
    public Builder output(String v) { output = v; return this; }
    /** The strategy. */
    public Builder strategy(Strategy v) { strategy = v; return this; }
    /** Maximum edits (default 1). */
    public Builder edits(int v) { edits = v; return this; }
    /** Minimum MAPQ (default 1, or 0 with duplicate marking). */
    public Builder minMapQ(Integer v) { minMapQ = v; return this; }
    /** Keep QC-fail templates. */
    public Builder includeNonPf(boolean v) { includeNonPf = v; return this; }
    /** Raw UMI tag (default RX). */
    public Builder rawTag(String v) { rawTag = v; return this; }
    /** Output molecule id tag (default MI). */
    public Builder assignTag(String v) { assignTag = v; return this; }
    /** Cell barcode tag (default CB). */
    public Builder cellTag(String v) { cellTag = v; return this; }
    /** Minimum UMI length, 0 for none. */
    public Builder minUmiLength(int v) { minUmiLength = v; return this; }
    /** Duplicate marking. */
    public Builder markDuplicates(boolean v) { markDuplicates = v; return this; }
    /** Family size histogram path or null. */
    public Builder familySizeHistogram(String v) { familySizeHistogram = v; return this; }
    /** Grouping metrics path or null. */
    public Builder groupingMetrics(String v) { groupingMetrics = v; return this; }
    /** Position group size histogram path or null. */
    public Builder groupSizeHistogram(String v) { groupSizeHistogram = v; return this; }
    /** Reference FASTA for CRAM input, or null. */
    public Builder reference(String v) { reference = v; return this; }
    /** Worker threads. */
    public Builder threads(int v) { threads = v; return this; }
    /** The ledger's budget in bytes. */
    public Builder memoryBudget(long v) { memoryBudget = v; return this; }
    /** Output compression level. */
    public Builder compressionLevel(int v) { compressionLevel = v; return this; }
    /** Temporary directory. */
    public Builder tmpDir(String v) { tmpDir = v; return this; }
    /** zlib backend (default: the best available). */
    public Builder deflateBackend(DeflateBackend v) { deflateBackend = v; return this; }
    /** Command line for the @PG record. */
    public Builder commandLine(String v) { commandLine = v; return this; }
    /** Progress interval in milliseconds, 0 for none. */
    public Builder progressMillis(long v) { progressMillis = v; return this; }

    /** Record bytes above which a position group is grouped out of core; 0 for automatic. */
    public Builder spillThreshold(long v) { spillThreshold = v; return this; }
    /** Size of the out-of-core path's sorted runs; 0 for automatic. */
    public Builder spillRunBytes(long v) { spillRunBytes = v; return this; }
    /** How the budget is split (default: {@code umiflow.group.memory} of the default config). */
    public Builder memoryTuning(MemoryTuning v) { memoryTuning = v; return this; }
    /** How messages name settings (default {@link Wording#API}; the command line sets {@link Wording#CLI}). */
    public Builder wording(Wording v) { wording = v; return this; }
    /** What messages call the input (default: its path, or "standard input"). */
    public Builder sourceName(String v) { sourceName = v; return this; }
    /** Whether to sort the input first (default: {@link SortMode#AUTO}, when its header says it is not sorted). */
    public Builder sort(SortMode v) { sort = v; return this; }

    /** Validates and builds; throws IllegalArgumentException with a one-line reason. */
    public GroupSettings build() {
      Wording w = wording == null ? Wording.API : wording;
      boolean cli = w == Wording.CLI;
      require(input != null && !input.isEmpty(), "an input is required ("
          + (cli ? "-i FILE, or - for standard input)" : "input(path), or \"-\")"));
      require(output != null && !output.isEmpty(), "an output is required ("
          + (cli ? "-o FILE, or - for standard output)" : "output(path), or \"-\")"));
      require(strategy != null, "a strategy is required ("
          + (cli ? "-s identity|edit|adjacency|paired)" : "strategy(Strategy.ADJACENCY), say)"));
      require(edits >= 0, w.option("--edits") + " must be >= 0, got " + edits);
      require(!(strategy == Strategy.PAIRED && minUmiLength > 0), w.option("--min-umi-length")
          + " cannot be used with the paired strategy");
      require(minUmiLength >= 0, w.option("--min-umi-length") + " must be positive");
      int mq = minMapQ != null ? minMapQ : (markDuplicates ? 0 : 1);
      require(mq >= 0, w.option("--min-map-q") + " must be >= 0, got " + mq);
      requireTag(rawTag, w.option("--raw-tag"));
      requireTag(assignTag, w.option("--assign-tag"));
      requireTag(cellTag, w.option("--cell-tag"));
      require(!rawTag.equals(assignTag), w.option("--raw-tag") + " and " + w.option("--assign-tag") + " must differ");
      require(threads >= 1, w.option("--threads") + " must be >= 1, got " + threads);
      require(compressionLevel >= 0 && compressionLevel <= 9, w.option("--compression-level") + " must be 0-9, got "
          + compressionLevel);
      require(memoryBudget >= MIN_BUDGET, "the memory budget (" + (memoryBudget >> 20) + " MiB) is below the minimum of "
          + (MIN_BUDGET >> 20) + " MiB");
      require(spillThreshold >= 0, w.option("--spill-threshold") + " must be >= 0, got " + spillThreshold);
      require(spillRunBytes >= 0, "the spill run size must be >= 0, got " + spillRunBytes);
      require(tmpDir == null || java.nio.file.Files.isDirectory(Paths.get(tmpDir)),
          w.option("--tmp-dir") + " " + tmpDir + " is not a folder");
      if (deflateBackend == null) {
        deflateBackend = DeflateBackend.best(compressionLevel);
      }
      MemoryTuning tuning = memoryTuning != null ? memoryTuning : MemoryTuning.defaults();
      MemoryPlan.of(memoryBudget, threads, tuning); // fails with a reason when the budget cannot be split
      require(deflateBackend.available(), "deflate backend not available");
      requireDistinctFiles(w);
      require(reference == null || java.nio.file.Files.isRegularFile(Paths.get(reference)),
          w.option("--reference") + " " + reference + ": no such file");
      return new GroupSettings(input, output, strategy, edits, mq, includeNonPf, rawTag, assignTag, cellTag,
          minUmiLength, markDuplicates, familySizeHistogram, groupingMetrics, groupSizeHistogram, reference,
          threads, memoryBudget,
          compressionLevel, tmpDir, deflateBackend, commandLine == null ? "" : commandLine, progressMillis,
          spillThreshold, spillRunBytes, tuning, w, sourceName, sort == null ? SortMode.AUTO : sort);
    }

    /**
     * No file of the run (input, output, metrics) is another: a run must not overwrite what it reads or
     * writes; and no output is a folder, which would fail only at the end, when the outputs are renamed.
     */
    private void requireDistinctFiles(Wording w) {
      java.util.Map<Path, String> seen = new java.util.HashMap<>();
      String[][] files = {{input, "the input"}, {output, "the output"},
          {familySizeHistogram, w.option("--family-size-histogram")}, {groupingMetrics, w.option("--grouping-metrics")},
          {groupSizeHistogram, w.option("--group-size-histogram")}};
      for (String[] f : files) {
        if (f[0] == null || f[0].equals("-")) {
          continue;
        }
        Path p = Paths.get(f[0]).toAbsolutePath().normalize();
        String before = seen.putIfAbsent(p, f[1]);
        require(before == null, f[1] + " " + f[0] + " is also " + before);
        require(f[1].equals("the input") || !java.nio.file.Files.isDirectory(p), f[1] + " " + f[0]
            + " is a folder; give a file name");
      }
    }

    private static void requireTag(String tag, String option) {
      require(tag != null && tag.length() == 2 && Character.isLetter(tag.charAt(0))
          && Character.isLetterOrDigit(tag.charAt(1)), option + " must be a two-character SAM tag, got '" + tag + "'");
    }

    private static void require(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException(message);
      }
    }
  }
}
