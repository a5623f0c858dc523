package io.umiflow.actors.outofcore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * One job's folder of spill files, created on first use under {@code --tmp-dir} (or the output's folder)
 * with a name that says what it is, and deleted with everything in it when the job ends however it ends.
 * Shared by the grouper, the processors and the writer, so thread-safe.
 */
public final class SpillFolder {
  private final Path parent;
  private Path folder;
  private long files;
  private boolean closed;

  public SpillFolder(Path parent) {
    this.parent = parent;
  }

  /** A new, not yet existing, file path in the folder; creates the folder when needed. */
  public synchronized Path newFile(String kind) throws IOException {
    if (closed) {
      throw new IOException("the job has ended");
    }
    if (folder == null) {
      if (!Files.isDirectory(parent)) {
        throw new IOException("temporary folder " + parent + " does not exist");
      }
      folder = Files.createTempDirectory(parent, ".umiflow-spill-");
    }
    return folder.resolve(kind + "-" + (files++) + ".bgzf");
  }

  /** The folder, or null when nothing spilled. */
  synchronized Path folder() {
    return folder;
  }

  /** Deletes the folder and its files; later calls to {@link #newFile} fail. Best effort, never throws. */
  public synchronized void deleteAll() {
    closed = true;
    if (folder == null) {
      return;
    }
    try (Stream<Path> files = Files.list(folder)) {
      files.forEach(f -> {
        try {
          Files.deleteIfExists(f);
        } catch (IOException ignored) {
          // a file still open elsewhere: the folder delete below reports nothing either
        }
      });
      Files.deleteIfExists(folder);
    } catch (IOException ignored) {
      // the folder's hidden name says what it is
    }
    folder = null;
  }

  /** A one-line description of an I/O failure on spill files, naming the folder and a full disk as such. */
  public String describe(IOException e) {
    String why = e.getMessage() != null && e.getMessage().contains("No space left") ? "the disk is full"
        : e.getClass().getSimpleName() + ": " + e.getMessage();
    return "cannot write temporary files for a giant position group in " + parent + " (" + why
        + "); free space or point --tmp-dir elsewhere";
  }
}
