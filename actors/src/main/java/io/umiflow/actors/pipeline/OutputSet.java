package io.umiflow.actors.pipeline;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A run's output files, which appear complete or not at all, together. Each is written under a hidden
 * temporary name beside its final one ({@code .NAME.<random>.umiflow-tmp}), created like any new file so
 * that the user's umask decides its mode (not the owner-only mode of {@code Files.createTempFile}). When
 * every one is complete, {@link #commit} renames them in the reverse order of their creation: the BAM,
 * created first, is renamed last, so a BAM under its final name means its metrics are in place. If any rename fails, the files this
 * commit already renamed are removed and the rest deleted: a failure leaves none of the run's outputs.
 *
 * <p>Not thread-safe: one writer owns it.
 */
public final class OutputSet {
  /** The suffix of every temporary output; what a killed run leaves behind has it. */
  public static final String SUFFIX = ".umiflow-tmp";

  private record Staged(Path temporary, Path target) {}

  private final List<Staged> staged = new ArrayList<>();

  /** The hidden temporary name of a new output file beside {@code target}; nothing is created. */
  public static Path temporaryBeside(Path target) {
    Path abs = target.toAbsolutePath();
    return abs.resolveSibling("." + abs.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong())
        + SUFFIX);
  }

  /**
   * Creates the temporary file for {@code target} and returns a stream to it; it is renamed at {@link #commit}.
   * Fails when {@code target}'s folder does not exist.
   */
  public OutputStream create(Path target) throws IOException {
    Path abs = target.toAbsolutePath();
    Path dir = abs.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new IOException("folder " + dir + " does not exist");
    }
    Path tmp = temporaryBeside(abs);
    OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    staged.add(new Staged(tmp, abs));
    return out;
  }

  /** Writes {@code text} (UTF-8) as the whole content of {@code target}, renamed at {@link #commit}. */
  public void write(Path target, String text) throws IOException {
    try (OutputStream out = create(target)) {
      out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  /**
   * Renames every file to its final name, the last created first. On failure removes what it renamed and
   * the rest of the temporary files, then throws.
   */
  public void commit() throws IOException {
    List<Path> renamed = new ArrayList<>();
    try {
      for (int i = staged.size() - 1; i >= 0; i--) {
        Staged s = staged.get(i);
        Files.move(s.temporary(), s.target(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        renamed.add(s.target());
      }
      staged.clear();
    } catch (IOException e) {
      for (Path p : renamed) {
        Files.deleteIfExists(p);
      }
      abort();
      throw e;
    }
  }

  /** Deletes every temporary file not yet renamed (best effort). */
  public void abort() {
    for (Staged s : staged) {
      try {
        Files.deleteIfExists(s.temporary());
      } catch (IOException ignored) {
        // a leftover has a hidden name that says what it is; cohort nodes remove them at the next start
      }
    }
    staged.clear();
  }
}
