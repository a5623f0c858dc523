package io.umiflow.codec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Locates {@code ../shared/compat} (set by the build as the {@code umiflow.shared} property). */
final class CompatData {
  private CompatData() {}

  static Path file(String name) {
    String shared = System.getProperty("umiflow.shared", "../../shared");
    Path p = Paths.get(shared, "compat", name).toAbsolutePath().normalize();
    if (!Files.isReadable(p)) {
      throw new IllegalStateException("compat file missing: " + p);
    }
    return p;
  }
}
