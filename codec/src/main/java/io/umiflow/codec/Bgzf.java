package io.umiflow.codec;

/**
 * Constants and small helpers of the BGZF format (SAM spec section 4.1): a series of gzip members of at
 * most 64 KiB each, whose extra field {@code BC} holds the member's total size minus one, ended by a
 * fixed empty member.
 */
public final class Bgzf {
  /** Largest compressed block, header and footer included. */
  public static final int MAX_BLOCK_SIZE = 65536;
  /** Largest payload we put in one block, so that even incompressible data fits in {@link #MAX_BLOCK_SIZE}. */
  public static final int MAX_PAYLOAD = 65280;
  /** Bytes of the fixed header ahead of the deflate stream. */
  public static final int HEADER_SIZE = 18;
  /** Bytes of the CRC32 and ISIZE footer. */
  public static final int FOOTER_SIZE = 8;

  /** The empty block every BGZF file ends with. */
  private static final byte[] EOF_BLOCK = {
      31, -117, 8, 4, 0, 0, 0, 0, 0, -1, 6, 0, 66, 67, 2, 0, 27, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0
  };

  private Bgzf() {}

  /** A fresh copy of the end-of-file marker block. */
  public static byte[] eofBlock() {
    return EOF_BLOCK.clone();
  }

  /** True when the block in {@code b[0..len)} is the empty end-of-file marker. */
  public static boolean isEofBlock(byte[] b, int len) {
    if (len != EOF_BLOCK.length) {
      return false;
    }
    for (int i = 0; i < len; i++) {
      if (b[i] != EOF_BLOCK[i]) {
        return false;
      }
    }
    return true;
  }

  static int u16(byte[] b, int off) {
    return BamRecord.u16(b, off);
  }

  static int i32(byte[] b, int off) {
    return BamRecord.i32(b, off);
  }

  static void putI32(byte[] b, int off, int v) {
    BamRecord.putI32(b, off, v);
  }
}
