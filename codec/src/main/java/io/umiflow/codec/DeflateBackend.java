package io.umiflow.codec;

import com.intel.gkl.compression.IntelDeflaterFactory;
import com.intel.gkl.compression.IntelInflaterFactory;
import java.util.Locale;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * Which zlib implementation compresses and inflates BGZF blocks. {@link #GKL} is Intel's ISA-L/zlib build
 * shipped as native code inside the GKL jar: about six times the JDK's speed at level 1 on x86-64. It
 * loads only on x86-64 Linux and macOS; {@link #best()} falls back to {@link #JDK} elsewhere.
 */
public enum DeflateBackend {
  /** {@code java.util.zip}: always available. */
  JDK,
  /** Intel GKL (ISA-L at level 1, optimised zlib at other levels). */
  GKL;

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

  /** True when this backend can be used in this JVM (GKL's native library loaded). */
  public boolean available() {
    return this == JDK || GklProbe.DEFLATE;
  }

  /** The fastest available backend. */
  public static DeflateBackend best() {
    return GKL.available() ? GKL : JDK;
  }

  /** Parses {@code auto}, {@code jdk} or {@code gkl} (case-insensitive). */
  public static DeflateBackend parse(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.equals("auto")) {
      return best();
    }
    DeflateBackend b = valueOf(n.toUpperCase(Locale.ROOT));
    if (!b.available()) {
      throw new IllegalArgumentException("deflate backend " + name + " is not available on this machine");
    }
    return b;
  }

  /** A new raw-deflate (no zlib header) compressor at {@code level}. */
  Deflater newDeflater(int level) {
    if (this == GKL && GklProbe.DEFLATE) {
      return new IntelDeflaterFactory().makeDeflater(level, true);
    }
    return new Deflater(level, true);
  }

  /** A new raw-inflate decompressor; GKL's when this is GKL and its inflater loaded. */
  Inflater newInflater() {
    if (this == GKL && GklProbe.INFLATE) {
      return new IntelInflaterFactory().makeInflater(true);
    }
    return new Inflater(true);
  }
}
