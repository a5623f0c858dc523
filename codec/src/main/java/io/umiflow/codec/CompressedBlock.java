package io.umiflow.codec;

/**
 * One BGZF member exactly as it was read: {@code data[0..length)} holds header, deflate stream and
 * footer. {@code fileOffset} is where it started in its source, for error messages and virtual offsets.
 */
public record CompressedBlock(byte[] data, int length, long fileOffset) {
  /** Uncompressed size stated in the block's footer (ISIZE). */
  public int uncompressedSize() {
    return Bgzf.i32(data, length - 4);
  }
}
