package io.umiflow.cluster;

import io.umiflow.actors.GroupSettings;
import io.umiflow.assign.Strategy;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The per-sample options a cohort manifest may set, named as {@code umiflow group}'s long options. Memory
 * and threads are not among them: they belong to the node that runs the sample.
 */
public final class SampleOptions {
  /** Every option a manifest may set. */
  public static final List<String> NAMES = List.of("strategy", "edits", "min-map-q", "include-non-pf-reads",
      "raw-tag", "assign-tag", "cell-tag", "min-umi-length", "mark-duplicates", "compression-level",
      "family-size-histogram", "grouping-metrics", "group-size-histogram", "reference", "tmp-dir");

  private SampleOptions() {}

  /** Checks names and values; throws IllegalArgumentException naming the first bad one. */
  public static void validate(Map<String, String> options) {
    apply(GroupSettings.builder().wording(GroupSettings.Wording.CLI).input("in.bam").output("out.bam").strategy(Strategy.ADJACENCY), options);
  }

  /** Sets {@code options} on {@code b}; throws IllegalArgumentException for an unknown name or a bad value. */
  public static GroupSettings.Builder apply(GroupSettings.Builder b, Map<String, String> options) {
    for (Map.Entry<String, String> e : options.entrySet()) {
      String v = e.getValue();
      switch (e.getKey()) {
        case "strategy" -> b.strategy(Strategy.parse(v));
        case "edits" -> b.edits(integer(e));
        case "min-map-q" -> b.minMapQ(integer(e));
        case "include-non-pf-reads" -> b.includeNonPf(bool(e));
        case "raw-tag" -> b.rawTag(v);
        case "assign-tag" -> b.assignTag(v);
        case "cell-tag" -> b.cellTag(v);
        case "min-umi-length" -> b.minUmiLength(integer(e));
        case "mark-duplicates" -> b.markDuplicates(bool(e));
        case "compression-level" -> b.compressionLevel(integer(e));
        case "family-size-histogram" -> b.familySizeHistogram(v);
        case "grouping-metrics" -> b.groupingMetrics(v);
        case "group-size-histogram" -> b.groupSizeHistogram(v);
        case "reference" -> b.reference(v);
        case "tmp-dir" -> b.tmpDir(v);
        default -> throw new IllegalArgumentException("unknown option '" + e.getKey() + "' (one of "
            + String.join(", ", NAMES) + ")");
      }
    }
    return b;
  }

  /**
   * The {@code umiflow group} command that does what the cluster does for {@code work} (recorded in the
   * output's @PG line, so a sample can be re-run by hand): options in name order, flags for true booleans.
   */
  public static String commandLine(SampleWork work) {
    StringBuilder b = new StringBuilder("umiflow group -i ").append(work.input()).append(" -o ").append(work.output());
    new java.util.TreeMap<>(work.options()).forEach((name, value) -> {
      boolean flag = name.equals("mark-duplicates") || name.equals("include-non-pf-reads");
      if (!flag) {
        b.append(" --").append(name).append(' ').append(value);
      } else if (Boolean.parseBoolean(value) || value.equals("yes") || value.equals("on") || value.equals("1")) {
        b.append(" --").append(name);
      }
    });
    return b.toString();
  }

  private static int integer(Map.Entry<String, String> e) {
    try {
      return Integer.parseInt(e.getValue().trim());
    } catch (NumberFormatException x) {
      throw new IllegalArgumentException(e.getKey() + " must be a whole number, got '" + e.getValue() + "'");
    }
  }

  private static boolean bool(Map.Entry<String, String> e) {
    return switch (e.getValue().trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default -> throw new IllegalArgumentException(e.getKey() + " must be true or false, got '" + e.getValue() + "'");
    };
  }
}
