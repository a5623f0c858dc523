package io.umiflow.assign;

/**
 * Assigns the templates of one library x cell partition of a position group to molecules. One
 * implementation per strategy; all are stateless and thread-safe, all state lives in the caller's
 * {@link Workspace}.
 */
public interface UmiAssigner {
  /**
   * Assigns every template of {@code umis}, writing into {@code out}.
   *
   * @throws UmiAssignmentException for UMIs the strategy cannot compare (mixed lengths, bad paired UMI)
   */
  void assign(UmiSet umis, Workspace ws, Assignment out);

  /**
   * The assigner for a strategy.
   *
   * @param edits        maximum Hamming distance (ignored by identity)
   * @param minUmiLength 0 for none; otherwise UMIs of each subgroup are truncated to the shortest one
   */
  static UmiAssigner create(Strategy strategy, int edits, int minUmiLength) {
    if (edits < 0) {
      throw new IllegalArgumentException("edits must be >= 0, got " + edits);
    }
    if (minUmiLength < 0) {
      throw new IllegalArgumentException("min UMI length must be >= 0, got " + minUmiLength);
    }
    return switch (strategy) {
      case IDENTITY -> new OrientationSplitAssigner(new IdentityClustering(), 0, minUmiLength, false);
      case EDIT -> new OrientationSplitAssigner(new EditClustering(), edits, minUmiLength, true);
      case ADJACENCY -> new OrientationSplitAssigner(new AdjacencyClustering(), edits, minUmiLength, true);
      case PAIRED -> {
        if (minUmiLength > 0) {
          throw new IllegalArgumentException("--min-umi-length cannot be used with the paired strategy");
        }
        yield new PairedAssigner(edits);
      }
    };
  }
}
