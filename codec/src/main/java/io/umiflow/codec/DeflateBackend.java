package io.umiflow.codec;

import com.intel.gkl.compression.IntelDeflaterFactory;
import com.intel.gkl.compression.IntelInflaterFactory;
import java.util.Locale;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * Which deflate implementation compresses and inflates BGZF blocks. {@link #GKL} is Intel's ISA-L/zlib build
 * shipped as native code inside the GKL jar: about six times the JDK's speed at level 1 on x86-64, but plain
 * zlib at other levels. {@link #LIBDEFLATE} is the system's libdeflate, about twice zlib's speed at levels
 * 2-9. {@link #best(int)} picks the fastest that loaded for a level and falls back to {@link #JDK}.
 */
public enum DeflateBackend {
  /** {@code java.util.zip}: always available. */
  JDK,
  /** Intel GKL (ISA-L at level 1, optimised zlib at other levels). */
  GKL,
  /** The system's libdeflate, for compressing and inflating. */
  LIBDEFLATE;

  private static final class GklProbe {
    static final boolean DEFLATE = probeDeflater();
    static final boolean INFLATE = probeInflater();

    private static boolean probeDeflater() {
      try {
        return new IntelDeflaterFactory().usingIntelDeflater();
      } catch (Throwable e) {
        return false;
      }
    }

    private static boolean probeInflater() {
      try {
        return new IntelInflaterFactory().usingIntelInflater();
      } catch (Throwable e) {
        return false;
      }
    }
  }

  /** True when this backend can be used in this JVM (its native library loaded; the JDK's always can). */
  public boolean available() {
    switch (this) {
      case GKL:
        return GklProbe.DEFLATE;
      case LIBDEFLATE:
        return Libdeflate.LOADED;
      default:
        return true;
    }
  }

  /** The fastest available backend at level 1 (ISA-L when GKL loaded). */
  public static DeflateBackend best() {
    return best(1);
  }

  /**
   * The fastest available backend for output at {@code level}: GKL (ISA-L) at levels 0-1, libdeflate above
   * (GKL runs zlib there, at about half libdeflate's speed), then GKL, then the JDK.
   */
  public static DeflateBackend best(int level) {
    if (level > 1 && LIBDEFLATE.available()) {
      return LIBDEFLATE;
    }
    return GKL.available() ? GKL : JDK;
  }

  /** Parses {@code auto} (the {@link #best(int)} for {@code level}), {@code jdk}, {@code gkl} or {@code libdeflate}. */
  public static DeflateBackend parse(String name, int level) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.equals("auto")) {
      return best(level);
    }
    DeflateBackend b;
    try {
      b = valueOf(n.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown deflate backend " + name + " (auto, gkl, libdeflate or jdk)");
    }
    if (!b.available()) {
      throw new IllegalArgumentException("deflate backend " + name + " is not available on this machine");
    }
    return b;
  }

  /** A new raw-deflate (no zlib header) zlib compressor at {@code level}; LIBDEFLATE is not a zlib. */
  Deflater newDeflater(int level) {
    if (this == GKL && GklProbe.DEFLATE) {
      return new IntelDeflaterFactory().makeDeflater(level, true);
    }
    return new Deflater(level, true);
  }

  /** A new raw-inflate zlib decompressor; GKL's when this is GKL and its inflater loaded. */
  Inflater newInflater() {
    if (this == GKL && GklProbe.INFLATE) {
      return new IntelInflaterFactory().makeInflater(true);
    }
    return new Inflater(true);
  }
}
