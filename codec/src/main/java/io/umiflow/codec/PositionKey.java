package io.umiflow.codec;

/**
 * The template-coordinate position of a template: for its two ends (R1 and R2 primaries), the reference,
 * unclipped 5' position and strand, lower end first. A missing or unmapped end is a sentinel that sorts
 * last. Mutable so the grouper can reuse one instance per template instead of allocating.
 *
 * <p>Order is samtools' {@code --template-coordinate} order on these fields: tid1, tid2, pos1, pos2,
 * then reverse strand before forward for end 1 and end 2. Equality of all six is "same position group".
 */
public final class PositionKey implements Comparable<PositionKey> {
  /** Sentinel reference and position of an unmapped or missing end. */
  public static final int UNKNOWN = Integer.MAX_VALUE;

  private int tid1;
  private int pos1;
  private boolean neg1;
  private int tid2;
  private int pos2;
  private boolean neg2;
  private boolean r1Earlier;
  /** Both ends present and mapped: then {@link #r1Earlier} is also fgbio's "R1 is lower" (see set). */
  private boolean bothMapped;

  /** Reference index of the lower end. */
  public int tid1() {
    return tid1;
  }

  /** Unclipped 5' position of the lower end. */
  public int pos1() {
    return pos1;
  }

  /** Strand of the lower end (true = reverse). */
  public boolean neg1() {
    return neg1;
  }

  /** Reference index of the upper end. */
  public int tid2() {
    return tid2;
  }

  /** Unclipped 5' position of the upper end. */
  public int pos2() {
    return pos2;
  }

  /** Strand of the upper end. */
  public boolean neg2() {
    return neg2;
  }

  /** True when R1 is the lower (genomically earlier) end, or R2 is absent. */
  public boolean r1Earlier() {
    return r1Earlier;
  }

  /**
   * Computes the key from the template's primary records.
   *
   * @param r1 offset of the primary R1 in {@code b1}, or -1
   * @param r2 offset of the primary R2 in {@code b2}, or -1
   */
  public PositionKey set(byte[] b1, int r1, byte[] b2, int r2) {
    int ta = UNKNOWN;
    int pa = UNKNOWN;
    boolean na = false;
    if (r1 >= 0 && (BamRecord.flag(b1, r1) & BamRecord.FLAG_UNMAPPED) == 0) {
      ta = BamRecord.refId(b1, r1);
      pa = BamRecord.unclippedFivePrime(b1, r1);
      na = (BamRecord.flag(b1, r1) & BamRecord.FLAG_REVERSE) != 0;
    }
    int tb = UNKNOWN;
    int pb = UNKNOWN;
    boolean nb = false;
    if (r2 >= 0 && (BamRecord.flag(b2, r2) & BamRecord.FLAG_UNMAPPED) == 0) {
      tb = BamRecord.refId(b2, r2);
      pb = BamRecord.unclippedFivePrime(b2, r2);
      nb = (BamRecord.flag(b2, r2) & BamRecord.FLAG_REVERSE) != 0;
    }
    boolean aFirst = ta < tb || (ta == tb && pa < pb) || (ta == tb && pa == pb && !na);
    if (ta == UNKNOWN && tb == UNKNOWN) {
      aFirst = true;
    }
    this.r1Earlier = aFirst;
    this.bothMapped = ta != UNKNOWN && tb != UNKNOWN;
    if (aFirst) {
      tid1 = ta; pos1 = pa; neg1 = na; tid2 = tb; pos2 = pb; neg2 = nb;
    } else {
      tid1 = tb; pos1 = pb; neg1 = nb; tid2 = ta; pos2 = pa; neg2 = na;
    }
    return this;
  }

  /**
   * Whether R1 is the "lower" read for duplex strand labels, exactly as fgbio 4.1 decides it: stored
   * reference, then 5' position, ties to R1 when it is on the forward strand. An unmapped read's 5'
   * position is 0 in fgbio's 1-based terms (-1 here) whatever its stored position, so it is the lower
   * read against a mapped mate on the same reference. Checked against the compat data, where all four
   * mapped/unmapped and strand combinations occur. A template with one primary read counts as R1-lower.
   */
  public static boolean r1IsLower(byte[] b1, int r1, byte[] b2, int r2) {
    if (r1 < 0 || r2 < 0) {
      return true;
    }
    int ref1 = BamRecord.refId(b1, r1);
    int ref2 = BamRecord.refId(b2, r2);
    int pos1 = strandPosition(b1, r1);
    int pos2 = strandPosition(b2, r2);
    boolean r1Forward = (BamRecord.flag(b1, r1) & BamRecord.FLAG_REVERSE) == 0;
    return ref1 < ref2 || (ref1 == ref2 && (pos1 < pos2 || (pos1 == pos2 && r1Forward)));
  }

  /**
   * {@link #r1IsLower(byte[], int, byte[], int)} for the records this key was last {@link #set} from, without
   * decoding their CIGARs again when both ends are mapped: then the two rules agree term by term (reference,
   * unclipped 5' position, R1 forward on a tie).
   */
  public boolean r1IsLowerOf(byte[] b1, int r1, byte[] b2, int r2) {
    return bothMapped ? r1Earlier : r1IsLower(b1, r1, b2, r2);
  }

  private static int strandPosition(byte[] b, int o) {
    return (BamRecord.flag(b, o) & BamRecord.FLAG_UNMAPPED) == 0 ? BamRecord.unclippedFivePrime(b, o) : -1;
  }

  /** Sets all fields directly (tests, simulator). */
  public PositionKey set(int tid1, int pos1, boolean neg1, int tid2, int pos2, boolean neg2) {
    this.tid1 = tid1; this.pos1 = pos1; this.neg1 = neg1;
    this.tid2 = tid2; this.pos2 = pos2; this.neg2 = neg2;
    this.r1Earlier = true;
    return this;
  }

  /** Copies another key into this one. */
  public PositionKey copyFrom(PositionKey o) {
    tid1 = o.tid1; pos1 = o.pos1; neg1 = o.neg1;
    tid2 = o.tid2; pos2 = o.pos2; neg2 = o.neg2;
    r1Earlier = o.r1Earlier;
    return this;
  }

  /** True when both ends are unknown (an all-unmapped template). */
  public boolean unmapped() {
    return tid1 == UNKNOWN;
  }

  @Override
  public int compareTo(PositionKey o) {
    int c = Integer.compare(tid1, o.tid1);
    if (c != 0) return c;
    c = Integer.compare(tid2, o.tid2);
    if (c != 0) return c;
    c = Integer.compare(pos1, o.pos1);
    if (c != 0) return c;
    c = Integer.compare(pos2, o.pos2);
    if (c != 0) return c;
    if (neg1 != o.neg1) return neg1 ? -1 : 1;
    if (neg2 != o.neg2) return neg2 ? -1 : 1;
    return 0;
  }

  /** Same position group. */
  public boolean samePosition(PositionKey o) {
    return tid1 == o.tid1 && pos1 == o.pos1 && neg1 == o.neg1 && tid2 == o.tid2 && pos2 == o.pos2 && neg2 == o.neg2;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PositionKey k && samePosition(k);
  }

  @Override
  public int hashCode() {
    return ((tid1 * 31 + pos1) * 31 + tid2) * 31 + pos2 + (neg1 ? 2 : 0) + (neg2 ? 1 : 0);
  }

  /** Both ends by reference index, e.g. {@code 0:1000+ 0:1250-}; {@link #describe} names the references. */
  @Override
  public String toString() {
    return end(null, tid1, pos1, neg1) + " " + end(null, tid2, pos2, neg2);
  }

  /** Both ends with their strands, e.g. {@code chr1:1000+ chr1:1250-}, or {@code unmapped}. */
  public String describe(BamHeader header) {
    if (unmapped()) {
      return "unmapped";
    }
    return end(header, tid1, pos1, neg1) + " " + end(header, tid2, pos2, neg2);
  }

  private static String end(BamHeader header, int tid, int pos, boolean neg) {
    if (tid == UNKNOWN) {
      return "*";
    }
    return (header == null ? tid + ":" + (pos + 1) : header.locus(tid, pos)) + (neg ? "-" : "+");
  }
}
