package io.umiflow.app;

import io.umiflow.actors.Version;
import io.umiflow.codec.DeflateBackend;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * What this build and this machine are: the version, the commit the jar was built from (written into the
 * jar at build time; {@code unknown} outside a git checkout), the Java runtime, the deflate backends found,
 * and the process's peak resident memory.
 */
final class BuildInfo {
  private BuildInfo() {}

  static String version() {
    return Version.VERSION;
  }

  /** {@code git describe --always --dirty} of the source tree the jar was built from, or {@code unknown}. */
  static String commit() {
    try (InputStream in = BuildInfo.class.getResourceAsStream("/umiflow-build.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      String c = p.getProperty("commit", "").trim();
      return c.isEmpty() || c.startsWith("${") ? "unknown" : c;
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** The deflate implementations this process can use, e.g. {@code gkl (ISA-L), libdeflate, jdk}. */
  static String deflateBackends() {
    List<String> found = new ArrayList<>();
    if (DeflateBackend.GKL.available()) {
      found.add("gkl (Intel ISA-L, level 1)");
    }
    if (DeflateBackend.LIBDEFLATE.available()) {
      found.add("libdeflate (levels 2-9)");
    }
    found.add("jdk (zlib)");
    return String.join(", ", found);
  }

  static String runtime() {
    return "Java " + Runtime.version() + " (" + System.getProperty("java.vendor", "?") + ")";
  }

  /** The lines of {@code umiflow --version}. */
  static String[] versionLines() {
    return new String[] {"umiflow " + version() + " (commit " + commit() + ")", runtime(),
        "deflate: " + deflateBackends()};
  }

  /** The process's peak resident set size in bytes ({@code VmHWM}), or -1 where the system does not say. */
  static long peakRssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          String[] parts = line.substring(6).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or no procfs
    }
    return -1;
  }
}
