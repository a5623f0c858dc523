package io.umiflow.assign;

/**
 * Single linkage: molecules are the connected components of the graph joining UMIs within {@code edits}
 * mismatches, numbered by their smallest UMI. Edges come from a neighbour enumeration over a hash index
 * when that is cheaper (short UMIs, many distinct), else from the plain pairwise scan, O(u^2).
 */
final class EditClustering implements Clustering {
  @Override
  public int cluster(DistinctUmis d, int edits, Workspace ws) {
    int u = d.size();
    int[] parent = ws.parent = Workspace.ensure(ws.parent, u);
    for (int i = 0; i < u; i++) {
      parent[i] = i;
    }
    if (edits > 0 && u > 1) {
      long perNode = d.neighborCount(edits);
      if (perNode != Long.MAX_VALUE && perNode * 6 < u) {
        Linker linker = new Linker(parent);
        for (int a = 0; a < u; a++) {
          linker.from = a;
          d.forEachNeighbor(a, edits, linker);
        }
      } else {
        for (int a = 0; a < u; a++) {
          for (int b = a + 1; b < u; b++) {
            if (find(parent, a) != find(parent, b) && d.within(a, b, edits)) {
              union(parent, a, b);
            }
          }
        }
      }
    }
    int[] molecule = ws.molecule = Workspace.ensure(ws.molecule, u);
    int next = 0;
    // a component's id is handed out at its smallest member; roots are always the smallest index
    for (int a = 0; a < u; a++) {
      int r = find(parent, a);
      molecule[a] = r == a ? next++ : molecule[r];
    }
    return next;
  }

  private static final class Linker implements DistinctUmis.Visitor {
    private final int[] parent;
    int from;

    Linker(int[] parent) {
      this.parent = parent;
    }

    @Override
    public void visit(int other) {
      union(parent, from, other);
    }
  }

  static int find(int[] parent, int x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  }

  /** Joins two components, keeping the smaller index as root so roots are components' smallest members. */
  static void union(int[] parent, int a, int b) {
    int ra = find(parent, a);
    int rb = find(parent, b);
    if (ra < rb) {
      parent[rb] = ra;
    } else if (rb < ra) {
      parent[ra] = rb;
    }
  }
}
