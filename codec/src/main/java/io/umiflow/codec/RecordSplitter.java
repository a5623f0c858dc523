package io.umiflow.codec;

/**
 * Cuts a stream of decompressed BAM record bytes, arriving in arbitrary chunks, into whole records.
 * Records inside one chunk are handed out in place; only a record that straddles two chunks is copied
 * into a side buffer. Checks each record's declared layout and numbers records from 1 for messages.
 */
public final class RecordSplitter {
  /** Receives each whole record: {@code b[off..off+len)}, {@code len} including block_size. */
  public interface Sink {
    /** One record; the bytes are valid only during the call. */
    void record(byte[] b, int off, int len, long recordNumber) throws InputFormatException;
  }

  /** The largest record we accept (a sanity bound against garbage lengths), 64 MiB. */
  public static final int MAX_RECORD = 64 << 20;

  private final String source;
  private BamRecord.TagWatch watch;
  private byte[] carry = new byte[1024];
  private int carried;
  private long records;

  /** Splits records of the input named {@code source}. */
  public RecordSplitter(String source) {
    this.source = source;
  }

  /**
   * Watches for tag {@code name} in the records handed out from now on (see {@link #watchedTagSeen}); the
   * layout check walks every tag anyway, so this costs one comparison per tag.
   */
  public void watchTag(String name) {
    watch = new BamRecord.TagWatch(name);
  }

  /** Whether a record handed out since {@link #watchTag} held the watched tag; true when none is watched. */
  public boolean watchedTagSeen() {
    return watch == null || watch.seen();
  }

  /** Records handed out so far. */
  public long records() {
    return records;
  }

  /** Bytes held back because they begin a record that is not complete yet; the next feed emits them too. */
  public int carriedBytes() {
    return carried;
  }

  /** The carry buffer's length: what the splitter holds between feeds. */
  public int carryCapacity() {
    return carry.length;
  }

  /**
   * The carry buffer's largest length while feeding {@code b[off..off+len)}: a record begun in an earlier
   * feed grows it to that record's length once its header is known, and the bytes left at the end grow it to
   * at most {@code len}. Constant time, so a caller can take memory credits before it feeds.
   */
  public int carryCapacityBound(byte[] b, int off, int len) {
    int cap = carry.length;
    if (carried > 0 && carried + len >= 4) {
      int total;
      if (carried >= 4) {
        total = BamRecord.i32(carry, 0) + 4;
      } else {
        byte[] header = new byte[4];
        System.arraycopy(carry, 0, header, 0, carried);
        System.arraycopy(b, off, header, carried, 4 - carried);
        total = BamRecord.i32(header, 0) + 4;
      }
      if (total >= BamRecord.FIXED_SIZE + 4 && total <= MAX_RECORD + 4) {
        cap = grown(cap, total);
      }
    }
    return Math.max(cap, grown(carry.length, len));
  }

  private static int grown(int capacity, int n) {
    return capacity >= n ? capacity : Math.max(n, capacity * 2);
  }

  /** Feeds the next chunk {@code b[off..off+len)}. */
  public void feed(byte[] b, int off, int len, Sink sink) throws InputFormatException {
    feed(b, off, len, Integer.MAX_VALUE, sink);
  }

  /**
   * Feeds {@code b[off..off+len)} but emits at most {@code maxRecords} records (at least one when one is
   * complete); returns the bytes consumed. When it stops early, it stops at a record boundary and the caller
   * feeds the rest later; otherwise it consumes everything, keeping an unfinished record for the next feed.
   */
  public int feed(byte[] b, int off, int len, int maxRecords, Sink sink) throws InputFormatException {
    int p = off;
    int end = off + len;
    int emitted = 0;
    if (carried > 0) {
      // finish the straddling record first
      while (carried < 4 && p < end) {
        carry[carried++] = b[p++];
      }
      if (carried < 4) {
        return len;
      }
      int total = checkedTotal(carry, 0);
      ensureCarry(total);
      int take = Math.min(total - carried, end - p);
      System.arraycopy(b, p, carry, carried, take);
      carried += take;
      p += take;
      if (carried < total) {
        return len;
      }
      emit(carry, 0, total, sink);
      emitted++;
      carried = 0;
      if (carry.length > (1 << 20)) {
        carry = new byte[1024];
      }
    }
    while (end - p >= 4) {
      if (emitted >= Math.max(1, maxRecords)) {
        return p - off;
      }
      int total = checkedTotal(b, p);
      if (end - p < total) {
        break;
      }
      emit(b, p, total, sink);
      emitted++;
      p += total;
    }
    if (p < end) {
      ensureCarry(end - p);
      System.arraycopy(b, p, carry, 0, end - p);
      carried = end - p;
    }
    return len;
  }

  /** Call at the end of input: fails when a record was left unfinished. */
  public void finish() throws InputFormatException {
    if (carried > 0) {
      throw new InputFormatException(source + ": file ends inside record " + (records + 1) + " ("
          + carried + " bytes of it present); the BAM is truncated");
    }
  }

  private int checkedTotal(byte[] b, int p) throws InputFormatException {
    int blockSize = BamRecord.i32(b, p);
    if (blockSize < BamRecord.FIXED_SIZE || blockSize > MAX_RECORD) {
      throw new InputFormatException(source + ": malformed record " + (records + 1) + " (record length "
          + blockSize + " is impossible)");
    }
    return blockSize + 4;
  }

  private void emit(byte[] b, int off, int total, Sink sink) throws InputFormatException {
    records++;
    String problem = BamRecord.checkLayout(b, off, total, watch);
    if (problem != null) {
      throw new InputFormatException(source + ": malformed record " + records + readName(b, off, total) + " ("
          + problem + ")");
    }
    sink.record(b, off, total, records);
  }

  /** {@code " (read NAME)"} when the record's name is intact and printable, else empty. */
  private static String readName(byte[] b, int off, int total) {
    if (total < 4 + BamRecord.FIXED_SIZE) {
      return "";
    }
    int len = BamRecord.readNameLength(b, off);
    int start = BamRecord.readNameOffset(off);
    if (len < 2 || start + len > off + total || b[start + len - 1] != 0) {
      return "";
    }
    for (int i = start; i < start + len - 1; i++) {
      if (b[i] < 33 || b[i] > 126) {
        return "";
      }
    }
    return " (read " + BamRecord.readName(b, off) + ")";
  }

  private void ensureCarry(int n) {
    if (carry.length < n) {
      byte[] c = new byte[grown(carry.length, n)];
      System.arraycopy(carry, 0, c, 0, carried);
      carry = c;
    }
  }
}
