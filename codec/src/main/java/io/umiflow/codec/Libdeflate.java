package io.umiflow.codec;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.lang.ref.Cleaner;

/**
 * The system's libdeflate (Debian/Ubuntu package {@code libdeflate0}, the library samtools and htslib link),
 * called through JNA's direct mapping: one native call per 64 KiB block, so the call overhead (about a
 * microsecond) is lost in the compression itself. At level 5 it compresses BGZF payloads about twice as fast
 * as zlib with a slightly better ratio; at level 1 ISA-L (GKL) is faster still, which is why
 * {@link DeflateBackend#best(int)} picks it only above level 1.
 *
 * <p>Looked up once, on first use, by its versioned file name through the dynamic loader, so no development
 * package is needed. When it is missing, {@link #LOADED} is false and nothing else changes.
 */
final class Libdeflate {
  /** The file the dynamic loader resolves; the ABI has been stable under this soname since 1.0. */
  private static final String SONAME = System.getProperty("umiflow.libdeflate", "libdeflate.so.0");

  /** True when the library loaded and its functions are bound. */
  static final boolean LOADED = load();

  private Libdeflate() {}

  private static boolean load() {
    try {
      Native.register(Libdeflate.class, NativeLibrary.getInstance(SONAME));
      return true;
    } catch (Throwable e) { // UnsatisfiedLinkError, or JNA's own dispatch library missing for this platform
      return false;
    }
  }

  // size_t is mapped to long: umiflow's native backends exist for 64-bit platforms only
  static native Pointer libdeflate_alloc_compressor(int level);

  static native long libdeflate_deflate_compress(Pointer compressor, Pointer in, long inBytes, Pointer out,
      long outAvailable);

  static native void libdeflate_free_compressor(Pointer compressor);

  static native Pointer libdeflate_alloc_decompressor();

  /** Returns 0 on success, 1 bad data, 2 short output, 3 insufficient space. */
  static native int libdeflate_deflate_decompress(Pointer decompressor, Pointer in, long inBytes, Pointer out,
      long outAvailable, Pointer actualOut);

  static native void libdeflate_free_decompressor(Pointer decompressor);

  /**
   * One compressor at a fixed level with its native in and out buffers (about 330 KiB of native memory for
   * libdeflate's level-5 state plus 2 x 64 KiB buffers, freed by {@link #close()}). Not thread-safe.
   */
  static final class Compressor implements AutoCloseable {
    private final Pointer state;
    private final Memory in = new Memory(Bgzf.MAX_BLOCK_SIZE);
    private final Memory out = new Memory(Bgzf.MAX_BLOCK_SIZE);
    private boolean closed;

    Compressor(int level) {
      if (!LOADED) {
        throw new IllegalStateException(SONAME + " is not available");
      }
      state = libdeflate_alloc_compressor(level);
      if (state == null) {
        throw new IllegalStateException("libdeflate refused compression level " + level);
      }
    }

    /**
     * Raw-deflates {@code src[off..off+len)} into {@code dst} from offset 0; returns the compressed length, or
     * -1 when it needs more than {@code room} bytes.
     */
    int compress(byte[] src, int off, int len, byte[] dst, int room) {
      in.write(0, src, off, len);
      long n = libdeflate_deflate_compress(state, in, len, out, Math.min(room, Bgzf.MAX_BLOCK_SIZE));
      if (n == 0) {
        return -1;
      }
      out.read(0, dst, 0, (int) n);
      return (int) n;
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      libdeflate_free_compressor(state);
      in.close();
      out.close();
    }
  }

  /** Frees decompressors whose owners (inflaters have no close) became unreachable. */
  private static final Cleaner CLEANER = Cleaner.create();

  /**
   * One decompressor with native in and out buffers (about 140 KiB of native memory). Inflaters have no
   * close method, so the native state is freed by a {@link Cleaner} once this becomes unreachable. Not
   * thread-safe.
   */
  static final class Decompressor {
    private final Pointer state;
    private final Memory in = new Memory(Bgzf.MAX_BLOCK_SIZE);
    private final Memory out = new Memory(Bgzf.MAX_BLOCK_SIZE);

    Decompressor() {
      if (!LOADED) {
        throw new IllegalStateException(SONAME + " is not available");
      }
      Pointer p = libdeflate_alloc_decompressor();
      if (p == null) {
        throw new IllegalStateException("libdeflate could not allocate a decompressor");
      }
      state = p;
      CLEANER.register(this, () -> libdeflate_free_decompressor(p));
    }

    /**
     * Inflates the raw deflate stream {@code src[off..off+len)} into exactly {@code expected} bytes of
     * {@code dst} at {@code dstOff}; returns null on success, else why it failed.
     */
    String decompress(byte[] src, int off, int len, byte[] dst, int dstOff, int expected) {
      in.write(0, src, off, len);
      int result = libdeflate_deflate_decompress(state, in, len, out, expected, null);
      switch (result) {
        case 0:
          out.read(0, dst, dstOff, expected);
          return null;
        case 1:
          return "invalid deflate data";
        case 2:
          return "fewer bytes than ISIZE";
        default:
          return "more data than ISIZE";
      }
    }
  }
}
