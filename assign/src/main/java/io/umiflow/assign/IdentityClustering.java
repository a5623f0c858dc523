package io.umiflow.assign;

/** One molecule per distinct UMI, numbered by UMI ascending. Linear. */
final class IdentityClustering implements Clustering {
  @Override
  public int cluster(DistinctUmis d, int edits, Workspace ws) {
    int u = d.size();
    ws.molecule = Workspace.ensure(ws.molecule, u);
    for (int i = 0; i < u; i++) {
      ws.molecule[i] = i;
    }
    return u;
  }
}
