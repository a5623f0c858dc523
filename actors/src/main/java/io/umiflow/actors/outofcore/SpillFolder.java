package io.umiflow.actors.outofcore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * One job's folder of spill files, created on first use under {@code --tmp-dir} (or the output's folder)
 * with a name that says what it is and who owns it ({@code .umiflow-spill-HOST-PID-RANDOM}), and deleted
 * with everything in it when the job ends however it ends. A process killed outright (SIGKILL, a node lost)
 * cannot delete it; {@link #removeStale} does, at the start of the next job that uses the same folder, for
 * folders of this host whose process is gone. Shared by the grouper, the processors and the writer, so
 * thread-safe.
 */
public final class SpillFolder {
  /** The start of every spill folder's name. */
  public static final String PREFIX = ".umiflow-spill-";
  /** This host's name as it appears in spill folder names: letters, digits, dots and dashes. */
  private static final String HOST = hostName();

  private final Path parent;
  /** The setting that chooses the folder, as messages name it ({@code --tmp-dir}, or {@code tmpDir} in a host). */
  private final String tmpOption;
  private Path folder;
  private long files;
  private boolean closed;

  /** A folder under {@code parent}, chosen with the option {@code --tmp-dir}. */
  public SpillFolder(Path parent) {
    this(parent, "--tmp-dir");
  }

  /** A folder under {@code parent}; {@code tmpOption} is the setting that chose it, for messages. */
  public SpillFolder(Path parent, String tmpOption) {
    this.parent = parent;
    this.tmpOption = tmpOption;
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
      folder = Files.createTempDirectory(parent, PREFIX + HOST + "-" + ProcessHandle.current().pid() + "-");
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

  /**
   * Deletes the spill folders under {@code parent} left by processes of this host that are gone; returns
   * how many. Folders of live processes and of other hosts (a shared file system) are left alone. Best
   * effort: never throws.
   */
  public static int removeStale(Path parent) {
    String mine = PREFIX + HOST + "-";
    int removed = 0;
    try (Stream<Path> entries = Files.list(parent)) {
      for (Path p : (Iterable<Path>) entries::iterator) {
        String name = p.getFileName().toString();
        if (!name.startsWith(mine) || !Files.isDirectory(p)) {
          continue;
        }
        String rest = name.substring(mine.length());
        int dash = rest.indexOf('-');
        long pid;
        try {
          pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
        } catch (NumberFormatException e) {
          continue;
        }
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
          continue;
        }
        if (deleteTree(p)) {
          removed++;
        }
      }
    } catch (IOException | RuntimeException ignored) {
      // an unreadable folder: the job reports it when it needs it
    }
    return removed;
  }

  private static boolean deleteTree(Path folder) {
    try (Stream<Path> files = Files.list(folder)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(folder);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The kernel's host name (Linux), else the JVM's idea of it, reduced to characters safe in a file name. */
  private static String hostName() {
    String h = null;
    try {
      h = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
    } catch (IOException | RuntimeException e) {
      try {
        h = java.net.InetAddress.getLocalHost().getHostName();
      } catch (IOException ignored) {
        // below
      }
    }
    h = h == null || h.isEmpty() ? "localhost" : h;
    return h.replaceAll("[^A-Za-z0-9.]", "_");
  }

  /** This host's name as spill folder names give it (for tests). */
  static String host() {
    return HOST;
  }

  /** A one-line description of an I/O failure on spill files, naming the folder and a full disk as such. */
  public String describe(IOException e) {
    return describe(e, "a giant position group");
  }

  /** {@link #describe(IOException)} for the temporary files of {@code what}. */
  public String describe(IOException e, String what) {
    String why = e.getMessage() != null && e.getMessage().contains("No space left") ? "the disk is full"
        : e.getClass().getSimpleName() + ": " + e.getMessage();
    return "cannot write temporary files for " + what + " in " + parent + " (" + why
        + "); free space or point " + tmpOption + " elsewhere";
  }

  /** The folder the spill folder is made in ({@code --tmp-dir}, or the default). */
  public Path parent() {
    return parent;
  }
}
