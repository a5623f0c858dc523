package io.umiflow.app;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Small files that appear complete or not at all: written beside their final name under a hidden temporary
 * one, then renamed. The temporary file is created like any new file, so the result has the permissions
 * the user's umask gives (not the owner-only ones of {@code Files.createTempFile}).
 */
final class AtomicFiles {
  private AtomicFiles() {}

  static void writeString(Path path, String text) throws IOException {
    Path abs = path.toAbsolutePath();
    Path tmp = temporaryBeside(abs);
    try {
      try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        w.write(text);
      }
      Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** A hidden name beside {@code target} for its temporary file; nothing is created. */
  static Path temporaryBeside(Path target) {
    return io.umiflow.actors.pipeline.OutputSet.temporaryBeside(target);
  }
}
