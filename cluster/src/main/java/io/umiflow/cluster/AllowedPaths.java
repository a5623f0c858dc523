package io.umiflow.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The folders a worker node reads and writes samples in ({@code --allow-path}). A sample names files that
 * the node's user then reads and writes; without this check anyone who may submit a sample could make the
 * node read any file and overwrite any other. Paths are compared after resolving symbolic links (of the
 * file, or for a file not yet written, of its folder), so a link cannot lead outside.
 */
public final class AllowedPaths {
  private final List<Path> roots;

  private AllowedPaths(List<Path> roots) {
    this.roots = roots;
  }

  /** Samples may use files anywhere (embedding hosts and tests that place their own nodes). */
  public static AllowedPaths anywhere() {
    return new AllowedPaths(null);
  }

  /** Samples may use files under {@code folders} only; each must exist. */
  public static AllowedPaths under(List<Path> folders) {
    List<Path> real = new ArrayList<>();
    for (Path f : folders) {
      try {
        real.add(f.toRealPath());
      } catch (IOException e) {
        throw new IllegalArgumentException("--allow-path " + f + ": no such folder");
      }
      if (!Files.isDirectory(real.get(real.size() - 1))) {
        throw new IllegalArgumentException("--allow-path " + f + " is not a folder");
      }
    }
    return new AllowedPaths(List.copyOf(real));
  }

  /**
   * Null when every file {@code work} names is under an allowed folder, else one line naming the first that
   * is not. Checked before the sample's options are, so that a refused sample learns nothing about files
   * outside (not even whether they exist).
   */
  public String refusal(SampleWork work) {
    if (roots == null) {
      return null;
    }
    java.util.Map<String, String> o = work.options();
    String[][] files = {{work.input(), "input"}, {work.output(), "output"},
        {o.get("family-size-histogram"), "--family-size-histogram"}, {o.get("grouping-metrics"), "--grouping-metrics"},
        {o.get("group-size-histogram"), "--group-size-histogram"}, {o.get("reference"), "--reference"},
        {o.get("tmp-dir"), "--tmp-dir"}};
    for (String[] f : files) {
      if (f[0] == null) {
        continue;
      }
      if (f[0].equals("-")) {
        return "the " + f[1] + " cannot be standard input or output on a cluster node";
      }
      if (!allowed(Paths.get(f[0]))) {
        return "the " + f[1] + " " + f[0] + " is outside this node's --allow-path folders ("
            + roots.stream().map(Path::toString).collect(Collectors.joining(", ")) + ")";
      }
    }
    return null;
  }

  private boolean allowed(Path p) {
    Path abs = p.toAbsolutePath().normalize();
    Path real;
    try {
      real = Files.exists(abs) ? abs.toRealPath()
          : abs.getParent() == null ? abs : abs.getParent().toRealPath().resolve(abs.getFileName());
    } catch (IOException e) {
      real = abs; // a folder that does not exist: judged by its name; the job then reports it missing
    }
    for (Path root : roots) {
      if (real.startsWith(root)) {
        return true;
      }
    }
    return false;
  }
}
