package io.umiflow.assign;

import com.carrotsearch.hppc.LongIntHashMap;
import java.util.Arrays;

/**
 * The distinct UMIs of one subgroup, sorted ascending, with their counts (the sum of their members'
 * weights, one per template unless the caller merged templates) and a member-to-distinct map.
 *
 * <p>When every UMI is made of A/C/G/T with dashes at the same places (the usual case), bases are packed
 * two bits each into longs (A=0, C=1, G=2, T=3, first base in the highest bits), so sorting the keys
 * sorts the UMIs, and the Hamming distance is an XOR and a popcount per 32 bases. Otherwise the
 * comparisons run on the bytes: slower, same answers. For one-word keys a hash index answers "which
 * UMIs lie within k edits of this one" by enumerating the sum over d of C(L,d)*3^d variants, used when
 * that is cheaper than scanning. Over 300 lines because the packed and the byte forms must give the same
 * answers, and keeping them side by side is what keeps them equal.
 */
final class DistinctUmis {
  /** Two-bit code of each byte: A=0, C=1, G=2, T=3; -1 for anything else (a dash included). */
  private static final byte[] BASE_CODE = new byte[256];

  static {
    Arrays.fill(BASE_CODE, (byte) -1);
    BASE_CODE['A'] = 0;
    BASE_CODE['C'] = 1;
    BASE_CODE['G'] = 2;
    BASE_CODE['T'] = 3;
  }

  /** Receives distinct indices from {@link #forEachNeighbor}. */
  interface Visitor {
    void visit(int distinct);
  }

  private int u;
  private int memberCount;
  private boolean packed;
  private int words;
  private int bases;
  private int length;
  private int[] count = new int[32];
  private long[] keys = new long[32];
  private long[] memberKeys = new long[32];
  private long[] sortScratch = new long[32];
  private int[] memberToDistinct = new int[32];
  private int[] firstMember = new int[32];
  private int[] idx = new int[32];
  private int[] idxTmp = new int[32];
  private byte[] eff;
  private int[] effOff;
  private int[] weights;
  private LongIntHashMap index;
  private boolean indexBuilt;
  /**
   * One-hash Bloom filter over the index's keys, 16-32 bits per key. Most enumerated variants are absent;
   * the filter answers most of those from an array a tenth the size of the hash table, which stays in
   * cache where the table's random probes miss it (amplicon data: 11M lookups for 305k UMIs).
   */
  private long[] bloom = new long[1];
  private int bloomShift;

  int size() {
    return u;
  }

  int count(int d) {
    return count[d];
  }

  int distinctOf(int member) {
    return memberToDistinct[member];
  }

  boolean packed() {
    return packed;
  }

  long retainedBytes() {
    return 4L * count.length + 8L * keys.length + 8L * memberKeys.length + 8L * sortScratch.length + 8L * bloom.length
        + 4L * memberToDistinct.length + 4L * firstMember.length + 4L * idx.length + 4L * idxTmp.length + 128;
  }

  void release() {
    count = new int[32];
    keys = new long[32];
    memberKeys = new long[32];
    sortScratch = new long[32];
    memberToDistinct = new int[32];
    firstMember = new int[32];
    idx = new int[32];
    idxTmp = new int[32];
    bloom = new long[1];
    eff = null;
    effOff = null;
  }

  /** Builds the table from the workspace's effective UMIs of {@code m} members. */
  void build(Workspace ws, int m) {
    this.eff = ws.effBytes;
    this.effOff = ws.effOffsets;
    this.weights = ws.weights;
    this.memberCount = m;
    this.index = ws.index;
    this.indexBuilt = false;
    memberToDistinct = Workspace.ensure(memberToDistinct, m);
    packed = tryPack(m);
    if (packed && words == 1) {
      buildSingleWord(m);
    } else {
      buildBySortedIndices(m);
    }
  }

  /** Packs every member's UMI; false when some UMI has other characters or dashes elsewhere. */
  private boolean tryPack(int m) {
    length = effOff[1] - effOff[0];
    int dashes = 0;
    for (int i = 0; i < length; i++) {
      if (eff[effOff[0] + i] == '-') {
        dashes++;
      }
    }
    bases = length - dashes;
    words = Math.max(1, (bases + 31) >>> 5);
    memberKeys = Workspace.ensure(memberKeys, m * words);
    if (dashes == 0 && words == 1) {
      return packSingleWord(m);
    }
    Arrays.fill(memberKeys, 0, m * words, 0L);
    int first = effOff[0];
    for (int i = 0; i < m; i++) {
      int s = effOff[i];
      if (effOff[i + 1] - s != length) {
        return false;
      }
      int b = 0;
      for (int j = 0; j < length; j++) {
        byte c = eff[s + j];
        long code;
        switch (c) {
          case 'A' -> code = 0;
          case 'C' -> code = 1;
          case 'G' -> code = 2;
          case 'T' -> code = 3;
          case '-' -> {
            if (eff[first + j] != '-') {
              return false;
            }
            continue;
          }
          default -> {
            return false;
          }
        }
        if (eff[first + j] == '-') {
          return false;
        }
        memberKeys[i * words + (b >>> 5)] |= code << (62 - 2 * (b & 31));
        b++;
      }
    }
    return true;
  }

  /**
   * {@link #tryPack} for the usual UMI: at most 32 bases and no dash. Each key is built in a register from a
   * table lookup per base, where the general loop switches on the byte and checks the first member for a
   * dash at every base (2-3% of a whole run's CPU). Same keys: the first base ends in the highest bits.
   */
  private boolean packSingleWord(int m) {
    for (int i = 0; i < m; i++) {
      int s = effOff[i];
      if (effOff[i + 1] - s != length) {
        return false;
      }
      long k = 0;
      for (int j = 0; j < length; j++) {
        int code = BASE_CODE[eff[s + j] & 0xFF];
        if (code < 0) {
          return false;
        }
        k = (k << 2) | code;
      }
      memberKeys[i] = length == 0 ? 0 : k << (64 - 2 * length);
    }
    return true;
  }

  private void buildSingleWord(int m) {
    sortScratch = Workspace.ensure(sortScratch, m);
    for (int i = 0; i < m; i++) {
      sortScratch[i] = memberKeys[i] ^ Long.MIN_VALUE;
    }
    Arrays.sort(sortScratch, 0, m);
    count = Workspace.ensure(count, m);
    keys = Workspace.ensure(keys, m);
    int d = -1;
    for (int i = 0; i < m; i++) {
      if (d < 0 || sortScratch[i] != sortScratch[d]) {
        d++;
        sortScratch[d] = sortScratch[i];
        count[d] = 0;
      }
    }
    u = d + 1;
    for (int i = 0; i < u; i++) {
      keys[i] = sortScratch[i] ^ Long.MIN_VALUE;
    }
    for (int i = 0; i < m; i++) {
      int at = Arrays.binarySearch(sortScratch, 0, u, memberKeys[i] ^ Long.MIN_VALUE);
      memberToDistinct[i] = at;
      count[at] += weights[i];
    }
  }

  private void buildBySortedIndices(int m) {
    idx = Workspace.ensure(idx, m);
    idxTmp = Workspace.ensure(idxTmp, m);
    for (int i = 0; i < m; i++) {
      idx[i] = i;
    }
    mergeSort(m);
    count = Workspace.ensure(count, m);
    firstMember = Workspace.ensure(firstMember, m);
    if (packed) {
      keys = Workspace.ensure(keys, m * words);
    }
    int d = -1;
    for (int p = 0; p < m; p++) {
      int member = idx[p];
      if (d < 0 || compareMembers(firstMember[d], member) != 0) {
        d++;
        firstMember[d] = member;
        count[d] = 0;
        if (packed) {
          System.arraycopy(memberKeys, member * words, keys, d * words, words);
        }
      }
      count[d] += weights[member];
      memberToDistinct[member] = d;
    }
    u = d + 1;
  }

  /** Sorts {@code idx[0..m)} by member UMI, stably. */
  private void mergeSort(int m) {
    int[] sorted = IntSort.sort(idx, m, idxTmp, this::compareMembers);
    if (sorted != idx) {
      idxTmp = idx;
      idx = sorted;
    }
  }

  private int compareMembers(int x, int y) {
    if (packed) {
      for (int w = 0; w < words; w++) {
        int c = Long.compareUnsigned(memberKeys[x * words + w], memberKeys[y * words + w]);
        if (c != 0) {
          return c;
        }
      }
      return 0;
    }
    return Arrays.compareUnsigned(eff, effOff[x], effOff[x + 1], eff, effOff[y], effOff[y + 1]);
  }

  /** True when distinct UMIs {@code a} and {@code b} differ in at most {@code k} positions. */
  boolean within(int a, int b, int k) {
    if (packed) {
      int diff = 0;
      for (int w = 0; w < words; w++) {
        long x = keys[a * words + w] ^ keys[b * words + w];
        diff += Long.bitCount((x | (x >>> 1)) & 0x5555555555555555L);
        if (diff > k) {
          return false;
        }
      }
      return true;
    }
    int sa = effOff[firstMember[a]];
    int la = effOff[firstMember[a] + 1] - sa;
    int sb = effOff[firstMember[b]];
    if (effOff[firstMember[b] + 1] - sb != la) {
      return false;
    }
    int diff = 0;
    for (int i = 0; i < la; i++) {
      if (eff[sa + i] != eff[sb + i] && ++diff > k) {
        return false;
      }
    }
    return true;
  }

  /** Number of variants within {@code k} edits of one UMI, or Long.MAX_VALUE when enumeration is unavailable. */
  long neighborCount(int k) {
    if (!packed || words != 1) {
      return Long.MAX_VALUE;
    }
    long total = 0;
    long choose = 1;
    long pow3 = 1;
    for (int d = 1; d <= Math.min(k, bases); d++) {
      choose = choose * (bases - d + 1) / d;
      pow3 *= 3;
      total += choose * pow3;
      if (total > (1L << 40)) {
        return Long.MAX_VALUE;
      }
    }
    return total;
  }

  /** Calls {@code v} for every distinct UMI within {@code k} edits of {@code a} (not {@code a} itself). */
  void forEachNeighbor(int a, int k, Visitor v) {
    if (!indexBuilt) {
      index.clear();
      index.ensureCapacity(u);
      int bits = Math.max(6, 64 - Long.numberOfLeadingZeros(Math.max(1, 16L * u - 1))); // 2^bits >= 16u
      bloomShift = 64 - bits;
      int words = 1 << (bits - 6);
      if (bloom.length < words) {
        bloom = new long[words];
      } else {
        java.util.Arrays.fill(bloom, 0, words, 0L);
      }
      for (int i = 0; i < u; i++) {
        index.put(keys[i], i);
        long h = (keys[i] * 0x9E3779B97F4A7C15L) >>> bloomShift;
        bloom[(int) (h >>> 6)] |= 1L << h;
      }
      indexBuilt = true;
    }
    enumerate(keys[a], 0, k, v);
  }

  private void enumerate(long key, int from, int remaining, Visitor v) {
    for (int p = from; p < bases; p++) {
      int shift = 62 - 2 * p;
      long orig = (key >>> shift) & 3L;
      long cleared = key & ~(3L << shift);
      for (long alt = 0; alt < 4; alt++) {
        if (alt == orig) {
          continue;
        }
        long variant = cleared | (alt << shift);
        long h = (variant * 0x9E3779B97F4A7C15L) >>> bloomShift;
        if ((bloom[(int) (h >>> 6)] & (1L << h)) != 0) {
          int slot = index.indexOf(variant);
          if (index.indexExists(slot)) {
            v.visit(index.indexGet(slot));
          }
        }
        if (remaining > 1) {
          enumerate(variant, p + 1, remaining - 1, v);
        }
      }
    }
  }

  int memberCount() {
    return memberCount;
  }
}
