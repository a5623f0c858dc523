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
  private byte[] carry = new byte[1024];
  private int carried;
  private long records;

  /** Splits records of the input named {@code source}. */
  public RecordSplitter(String source) {
    this.source = source;
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
   * What feeding {@code b[off..off+len)} would do, without doing it: how many records it would emit, the
   * largest of them, and the carry buffer's largest length during the feed. Lets a caller take memory
   * credits before it feeds. A malformed length ends the scan (the feed reports it).
   *
   * @param length        bytes to feed: all that were scanned, or fewer when the scan stopped at a record limit
   * @param records       records the feed emits at most
   * @param maxRecord     bytes of the largest of them
   * @param carryCapacity the carry buffer's length at most during the feed
   */
  public record Scan(int length, int records, int maxRecord, int carryCapacity) {}

  /**
   * See {@link Scan}: what feeding at most {@code len} bytes from {@code off} does, stopping after
   * {@code maxRecords} records (at least one record's bytes are always included).
   */
  public Scan scan(byte[] b, int off, int len, int maxRecords) {
    int p = off;
    int end = off + len;
    int n = 0;
    int max = 0;
    int cap = carry.length;
    if (carried > 0) {
      int have = carried;
      int total;
      if (have < 4) {
        if (have + (end - p) < 4) {
          return new Scan(len, 0, 0, cap);
        }
        byte[] header = new byte[4];
        System.arraycopy(carry, 0, header, 0, have);
        System.arraycopy(b, p, header, have, 4 - have);
        total = BamRecord.i32(header, 0) + 4;
      } else {
        total = BamRecord.i32(carry, 0) + 4;
      }
      if (total < BamRecord.FIXED_SIZE + 4 || total > MAX_RECORD + 4) {
        return new Scan(len, 0, 0, cap);
      }
      cap = grown(cap, total);
      int rest = total - have;
      if (end - p < rest) {
        return new Scan(len, 0, 0, cap);
      }
      p += rest;
      n = 1;
      max = total;
    }
    while (end - p >= 4 && n < Math.max(1, maxRecords)) {
      int total = BamRecord.i32(b, p) + 4;
      if (total < BamRecord.FIXED_SIZE + 4 || total > MAX_RECORD + 4 || end - p < total) {
        break;
      }
      n++;
      max = Math.max(max, total);
      p += total;
    }
    if (n >= Math.max(1, maxRecords) && p < end) {
      return new Scan(p - off, n, max, cap); // stops at a record boundary: nothing more is carried
    }
    if (p < end) {
      cap = Math.max(cap, grown(carried > 0 && n > 0 && cap > (1 << 20) ? 1024 : cap, end - p));
    }
    return new Scan(len, n, max, cap);
  }

  private static int grown(int capacity, int n) {
    return capacity >= n ? capacity : Math.max(n, capacity * 2);
  }

  /** Feeds the next chunk {@code b[off..off+len)}. */
  public void feed(byte[] b, int off, int len, Sink sink) throws InputFormatException {
    int p = off;
    int end = off + len;
    if (carried > 0) {
      // finish the straddling record first
      while (carried < 4 && p < end) {
        carry[carried++] = b[p++];
      }
      if (carried < 4) {
        return;
      }
      int total = checkedTotal(carry, 0);
      ensureCarry(total);
      int take = Math.min(total - carried, end - p);
      System.arraycopy(b, p, carry, carried, take);
      carried += take;
      p += take;
      if (carried < total) {
        return;
      }
      emit(carry, 0, total, sink);
      carried = 0;
      if (carry.length > (1 << 20)) {
        carry = new byte[1024];
      }
    }
    while (end - p >= 4) {
      int total = checkedTotal(b, p);
      if (end - p < total) {
        break;
      }
      emit(b, p, total, sink);
      p += total;
    }
    if (p < end) {
      ensureCarry(end - p);
      System.arraycopy(b, p, carry, 0, end - p);
      carried = end - p;
    }
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
    String problem = BamRecord.checkLayout(b, off, total);
    if (problem != null) {
      throw new InputFormatException(source + ": malformed record " + records + " (" + problem + ")");
    }
    sink.record(b, off, total, records);
  }

  private void ensureCarry(int n) {
    if (carry.length < n) {
      byte[] c = new byte[grown(carry.length, n)];
      System.arraycopy(carry, 0, c, 0, carried);
      carry = c;
    }
  }
}
