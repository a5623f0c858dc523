package io.umiflow.actors.pipeline;
import io.umiflow.actors.batch.BatchMetrics;

import com.carrotsearch.hppc.cursors.IntLongCursor;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Arrays;

/**
 * Writes fgbio's metric files, text for text: tab-separated, a header row of field names, fractions with
 * at most six decimals and no trailing zeros. Each file is written under a temporary name and renamed.
 */
final class MetricsFiles {
  private MetricsFiles() {}

  /** fgbio's number format: rounded half-up to 6 decimals, trailing zeros dropped, {@code 1} not {@code 1.0}. */
  static String fraction(double v) {
    BigDecimal d = BigDecimal.valueOf(v).setScale(6, RoundingMode.HALF_UP).stripTrailingZeros();
    return d.signum() == 0 ? "0" : d.toPlainString();
  }

  /** The family size histogram: family_size, count, fraction, fraction_gt_or_eq_family_size. */
  static String familySizes(BatchMetrics m) {
    int[] sizes = new int[m.familySizes.size()];
    int i = 0;
    for (IntLongCursor c : m.familySizes) {
      sizes[i++] = c.key;
    }
    Arrays.sort(sizes);
    double total = 0;
    for (int s : sizes) {
      total += m.familySizes.get(s);
    }
    double[] fractions = new double[sizes.length];
    for (int k = 0; k < sizes.length; k++) {
      fractions[k] = m.familySizes.get(sizes[k]) / total;
    }
    StringBuilder out = new StringBuilder("family_size\tcount\tfraction\tfraction_gt_or_eq_family_size\n");
    // fgbio sums the fractions of each tail front to back; the same order gives the same rounding
    for (int k = 0; k < sizes.length; k++) {
      double tail = 0;
      for (int j = k; j < sizes.length; j++) {
        tail += fractions[j];
      }
      out.append(sizes[k]).append('\t').append(m.familySizes.get(sizes[k])).append('\t')
          .append(fraction(fractions[k])).append('\t').append(fraction(tail)).append('\n');
    }
    return out.toString();
  }

  /**
   * The position group size histogram (ours; fgbio has none): position_group_size (kept templates of a
   * position group), count, fraction, fraction_gt_or_eq_position_group_size, in the family histogram's
   * shape so that the same parsers read it. The tail fractions come from exact counts.
   */
  static String groupSizes(BatchMetrics m) {
    int[] sizes = m.groupSizes.keys().toArray();
    Arrays.sort(sizes);
    long total = 0;
    for (int s : sizes) {
      total += m.groupSizes.get(s);
    }
    StringBuilder out = new StringBuilder(
        "position_group_size\tcount\tfraction\tfraction_gt_or_eq_position_group_size\n");
    long tail = total;
    for (int s : sizes) {
      long count = m.groupSizes.get(s);
      out.append(s).append('\t').append(count).append('\t').append(fraction(count / (double) total)).append('\t')
          .append(fraction(tail / (double) total)).append('\n');
      tail -= count;
    }
    return out.toString();
  }

  /** The grouping metrics: one row of record counts. */
  static String groupingMetrics(BatchMetrics m) {
    return "accepted_sam_records\tdiscarded_non_pf\tdiscarded_poor_alignment\tdiscarded_ns_in_umi\tdiscarded_umis_to_short\n"
        + m.accepted + "\t" + m.discardedNonPf + "\t" + m.discardedPoorAlignment + "\t" + m.discardedNsInUmi + "\t"
        + m.discardedUmisTooShort + "\n";
  }
}
