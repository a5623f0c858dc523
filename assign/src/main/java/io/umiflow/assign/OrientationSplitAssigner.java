package io.umiflow.assign;

/**
 * The single-UMI strategies (identity, edit, adjacency): templates are split by pair orientation
 * (R1 strand, R2 strand) first, so F1R2 and F2R1 pairs are never joined, and each subgroup is clustered
 * on its own. Subgroups are numbered in a fixed order: R1+R2+, R1+R2-, R1-R2+, R1-R2-.
 */
final class OrientationSplitAssigner implements UmiAssigner {
  private final Clustering clustering;
  private final int edits;
  private final int minUmiLength;
  private final boolean requireEqualLength;

  OrientationSplitAssigner(Clustering clustering, int edits, int minUmiLength, boolean requireEqualLength) {
    this.clustering = clustering;
    this.edits = edits;
    this.minUmiLength = minUmiLength;
    this.requireEqualLength = requireEqualLength;
  }

  @Override
  public void assign(UmiSet set, Workspace ws, Assignment out) {
    int n = set.size();
    out.reset(n);
    ws.members = Workspace.ensure(ws.members, n);
    int base = 0;
    for (int code = 0; code < 4; code++) {
      int m = 0;
      for (int t = 0; t < n; t++) {
        if (set.orientation(t) == code) {
          ws.members[m++] = t;
        }
      }
      if (m == 0) {
        continue;
      }
      EffectiveUmis.copy(set, ws, m, minUmiLength > 0, requireEqualLength);
      ws.distinct.build(ws, m);
      int k = clustering.cluster(ws.distinct, edits, ws);
      for (int i = 0; i < m; i++) {
        out.set(ws.members[i], base + ws.molecule[ws.distinct.distinctOf(i)], false);
      }
      base += k;
    }
    out.setMoleculeCount(base);
  }
}
