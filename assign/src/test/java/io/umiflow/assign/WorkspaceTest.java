package io.umiflow.assign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WorkspaceTest {
  private static UmiSet randomSet(Random r, int n, int distinct, int len) {
    String[] pool = new String[distinct];
    for (int i = 0; i < distinct; i++) {
      StringBuilder b = new StringBuilder();
      for (int j = 0; j < len; j++) b.append("ACGT".charAt(r.nextInt(4)));
      pool[i] = b.toString();
    }
    UmiSet set = new UmiSet();
    for (int i = 0; i < n; i++) set.add(pool[r.nextInt(distinct)], false, true, true);
    return set;
  }

  @Test
  void estimate_freshWorkspace_neverBelowRetained() {
    Random r = new Random(3);
    for (Strategy s : List.of(Strategy.IDENTITY, Strategy.EDIT, Strategy.ADJACENCY)) {
      for (int n : new int[] {1, 10, 1000, 50_000}) {
        for (int len : new int[] {6, 12, 40}) {
          int distinct = Math.max(1, n / 3);
          UmiSet set = randomSet(r, n, distinct, len);
          Workspace ws = new Workspace();
          UmiAssigner.create(s, 1, 0).assign(set, ws, new Assignment());
          long estimate = Workspace.estimateBytes(n, n, len);
          assertTrue(ws.retainedBytes() <= estimate, s + " n=" + n + " len=" + len + ": retained "
              + ws.retainedBytes() + " > estimate " + estimate);
        }
      }
    }
  }

  @Test
  void reuse_tenThousandCalls_retainedBytesStayFlat() {
    Random r = new Random(5);
    Workspace ws = new Workspace();
    Assignment out = new Assignment();
    UmiAssigner a = UmiAssigner.create(Strategy.ADJACENCY, 1, 0);
    long maxEstimate = 0;
    long afterWarmup = 0;
    for (int call = 0; call < 10_000; call++) {
      int n = 1 + r.nextInt(200);
      a.assign(randomSet(r, n, Math.max(1, n / 2), 12), ws, out);
      maxEstimate = Math.max(maxEstimate, Workspace.estimateBytes(n, n, 12));
      if (call == 1000) afterWarmup = ws.retainedBytes();
    }
    assertTrue(ws.retainedBytes() <= maxEstimate);
    assertTrue(ws.retainedBytes() <= afterWarmup * 2, "workspace kept growing: " + afterWarmup + " -> " + ws.retainedBytes());
  }

  @Test
  void shrinkTo_afterGiantGroup_releasesMemory() {
    Random r = new Random(9);
    Workspace ws = new Workspace();
    UmiAssigner.create(Strategy.ADJACENCY, 1, 0).assign(randomSet(r, 200_000, 100_000, 12), ws, new Assignment());
    long big = ws.retainedBytes();
    assertTrue(big > 4_000_000, "a giant group should have grown the workspace: " + big);
    long after = ws.shrinkTo(1 << 20);
    assertTrue(after < 64 * 1024, "retained after shrink: " + after);
    // and it still works afterwards
    Assignment out = new Assignment();
    UmiAssigner.create(Strategy.ADJACENCY, 1, 0).assign(randomSet(r, 100, 10, 12), ws, out);
    assertTrue(out.moleculeCount() >= 1);
    assertEquals(100, out.size());
  }
}
