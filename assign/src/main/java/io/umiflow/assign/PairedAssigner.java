package io.umiflow.assign;

/**
 * Duplex {@code A-B} UMIs (fgbio's paired strategy). No orientation split. Each template's UMI is read
 * in genomic order (halves swapped when R1 is not the earlier end), so the two strands of one duplex
 * share a UMI; directional adjacency then runs on those. Templates whose R1 is the earlier end are the
 * /A strand, the others /B; both strands share the molecule index.
 */
final class PairedAssigner implements UmiAssigner {
  private final AdjacencyClustering adjacency = new AdjacencyClustering();
  private final int edits;

  PairedAssigner(int edits) {
    this.edits = edits;
  }

  @Override
  public void assign(UmiSet set, Workspace ws, Assignment out) {
    int n = set.size();
    out.reset(n);
    if (n == 0) {
      return;
    }
    ws.members = Workspace.ensure(ws.members, n);
    for (int t = 0; t < n; t++) {
      ws.members[t] = t;
    }
    EffectiveUmis.copyPaired(set, ws, n);
    ws.distinct.build(ws, n);
    int k = adjacency.cluster(ws.distinct, edits, ws);
    for (int t = 0; t < n; t++) {
      out.set(t, ws.molecule[ws.distinct.distinctOf(t)], !set.r1Earlier(t));
    }
    out.setMoleculeCount(k);
  }
}
