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
      byte[] c = new byte[Math.max(n, carry.length * 2)];
      System.arraycopy(carry, 0, c, 0, carried);
      carry = c;
    }
  }
}
