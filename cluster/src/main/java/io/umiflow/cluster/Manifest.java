package io.umiflow.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A cohort manifest: one sample per line, tab-separated {@code sample  input  output  [option=value ...]}.
 * Blank lines and lines starting with {@code #} are skipped, as is a header line starting with
 * {@code sample}. Relative paths are taken from the manifest's folder and sent to the nodes absolute.
 */
public final class Manifest {
  private Manifest() {}

  /** Thrown for a manifest that cannot be used; the message names the file and line. */
  public static final class ManifestException extends Exception {
    ManifestException(String message) {
      super(message, null, false, false);
    }
  }

  /** Reads and checks a manifest; {@code defaults} are options for every sample, overridden per line. */
  public static List<SampleWork> read(Path file, Map<String, String> defaults) throws ManifestException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ManifestException(file + ": no such file");
    } catch (IOException e) {
      throw new ManifestException(file + ": cannot read (" + e.getMessage() + ")");
    }
    Path base = file.toAbsolutePath().getParent();
    List<SampleWork> out = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    Set<Path> outputs = new HashSet<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      String where = file + ":" + (i + 1) + ": ";
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\t", -1);
      if (out.isEmpty() && ids.isEmpty() && f[0].trim().toLowerCase(java.util.Locale.ROOT).startsWith("sample")
          && f.length >= 3 && f[1].trim().equalsIgnoreCase("input")) {
        continue; // header
      }
      if (f.length < 3 || f[0].isBlank() || f[1].isBlank() || f[2].isBlank()) {
        throw new ManifestException(where + "expected sample, input and output separated by tabs");
      }
      String id = f[0].trim();
      if (!ids.add(id)) {
        throw new ManifestException(where + "sample '" + id + "' appears twice");
      }
      Path input = base.resolve(f[1].trim()).normalize();
      Path output = base.resolve(f[2].trim()).normalize();
      if (!Files.isReadable(input)) {
        throw new ManifestException(where + "input " + input + " does not exist or is not readable");
      }
      if (!outputs.add(output)) {
        throw new ManifestException(where + "output " + output + " is also another sample's output");
      }
      if (output.equals(input)) {
        throw new ManifestException(where + "the output must not be the input");
      }
      Map<String, String> options = new LinkedHashMap<>(defaults);
      for (int k = 3; k < f.length; k++) {
        String opt = f[k].trim();
        if (opt.isEmpty()) {
          continue;
        }
        int eq = opt.indexOf('=');
        if (eq <= 0) {
          throw new ManifestException(where + "option '" + opt + "' is not name=value");
        }
        String name = opt.substring(0, eq).trim();
        String value = opt.substring(eq + 1).trim();
        if (name.equals("family-size-histogram") || name.equals("grouping-metrics") || name.equals("tmp-dir")) {
          value = base.resolve(value).normalize().toString();
        }
        options.put(name, value);
      }
      try {
        SampleOptions.validate(options);
      } catch (IllegalArgumentException e) {
        throw new ManifestException(where + e.getMessage());
      }
      out.add(new SampleWork(id, input.toString(), output.toString(), options));
    }
    if (out.isEmpty()) {
      throw new ManifestException(file + ": no samples");
    }
    return out;
  }
}
