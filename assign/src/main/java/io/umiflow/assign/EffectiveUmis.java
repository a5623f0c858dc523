package io.umiflow.assign;

/**
 * Writes the UMIs that a strategy compares into the workspace: as read (upper-cased), truncated to the
 * subgroup's shortest under {@code --min-umi-length}, or, for paired UMIs, with halves in genomic order.
 */
final class EffectiveUmis {
  private EffectiveUmis() {}

  /** Copies the UMIs of {@code ws.members[0..m)}, truncated to the shortest when {@code truncate}. */
  static void copy(UmiSet set, Workspace ws, int m, boolean truncate, boolean requireEqualLength) {
    int minLen = Integer.MAX_VALUE;
    int total = 0;
    for (int i = 0; i < m; i++) {
      int len = set.length(ws.members[i]);
      minLen = Math.min(minLen, len);
      total += len;
    }
    if (!truncate && requireEqualLength) {
      int firstLen = set.length(ws.members[0]);
      for (int i = 1; i < m; i++) {
        int t = ws.members[i];
        if (set.length(t) != firstLen) {
          throw new UmiAssignmentException(t, "UMIs of different lengths at one position ('"
              + set.umi(ws.members[0]) + "' and '" + set.umi(t) + "'); use --min-umi-length to compare their prefixes");
        }
      }
    }
    ws.effBytes = Workspace.ensureKeep(ws.effBytes, total);
    ws.effOffsets = Workspace.ensureKeep(ws.effOffsets, m + 1);
    copyWeights(set, ws, m);
    byte[] src = set.bytes();
    int p = 0;
    for (int i = 0; i < m; i++) {
      int t = ws.members[i];
      int len = truncate ? minLen : set.length(t);
      ws.effOffsets[i] = p;
      System.arraycopy(src, set.start(t), ws.effBytes, p, len);
      p += len;
    }
    ws.effOffsets[m] = p;
  }

  /**
   * Copies duplex UMIs {@code A-B} in genomic order: as they are when R1 is the earlier end, else as
   * {@code B-A}. Fails on a UMI without exactly one dash, and on mixed lengths.
   */
  static void copyPaired(UmiSet set, Workspace ws, int m) {
    int total = 0;
    int firstLen = -1;
    for (int i = 0; i < m; i++) {
      int t = ws.members[i];
      int len = set.length(t);
      total += len;
      if (firstLen < 0) {
        firstLen = len;
      } else if (len != firstLen) {
        throw new UmiAssignmentException(t, "UMIs of different lengths at one position ('"
            + set.umi(ws.members[0]) + "' and '" + set.umi(t) + "')");
      }
    }
    ws.effBytes = Workspace.ensureKeep(ws.effBytes, total);
    ws.effOffsets = Workspace.ensureKeep(ws.effOffsets, m + 1);
    copyWeights(set, ws, m);
    byte[] src = set.bytes();
    byte[] dst = ws.effBytes;
    int p = 0;
    for (int i = 0; i < m; i++) {
      int t = ws.members[i];
      int s = set.start(t);
      int len = set.length(t);
      int dash = -1;
      for (int j = 0; j < len; j++) {
        if (src[s + j] == '-') {
          if (dash >= 0) {
            dash = -2;
            break;
          }
          dash = j;
        }
      }
      if (dash < 0) {
        throw new UmiAssignmentException(t, "paired UMI '" + set.umi(t) + "' must contain exactly one '-' (A-B)");
      }
      ws.effOffsets[i] = p;
      if (set.r1Earlier(t)) {
        System.arraycopy(src, s, dst, p, len);
      } else {
        int second = len - dash - 1;
        System.arraycopy(src, s + dash + 1, dst, p, second);
        dst[p + second] = '-';
        System.arraycopy(src, s, dst, p + second + 1, dash);
      }
      p += len;
    }
    ws.effOffsets[m] = p;
  }

  private static void copyWeights(UmiSet set, Workspace ws, int m) {
    ws.weights = Workspace.ensure(ws.weights, m);
    for (int i = 0; i < m; i++) {
      ws.weights[i] = set.weight(ws.members[i]);
    }
  }
}
