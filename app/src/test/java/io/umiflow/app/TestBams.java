package io.umiflow.app;

import io.umiflow.app.simulate.SimulationParameters;
import io.umiflow.app.simulate.Simulator;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BgzfInputStream;
import io.umiflow.codec.BgzfOutputStream;
import io.umiflow.codec.DeflateBackend;
import io.umiflow.codec.RecordSplitter;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Builds test BAMs: simulated ones, and edited copies for the error cases. */
final class TestBams {
  private TestBams() {}

  static SimulationParameters params(long seed, long records) {
    return new SimulationParameters(seed, records, 3, 2_000_000, 100, 300, 50, 3.0, 0.8, 0.002, 60, 8, 0.01, 0.002,
        false, 0.05, 2, 3, 0.01, 0.01, 0.005, 0.005, 0.005, 0.005, 0.005, 0, 0);
  }

  static Path simulate(Path dir, String name, SimulationParameters p) throws IOException {
    Path out = dir.resolve(name);
    try (OutputStream o = Files.newOutputStream(out)) {
      new Simulator(p).run(o, 1, DeflateBackend.best(), "test");
    }
    return out;
  }

  record Bam(BamHeader header, List<byte[]> records) {}

  static Bam read(Path bam) throws IOException {
    List<byte[]> out = new ArrayList<>();
    try (BgzfInputStream in = new BgzfInputStream(new BufferedInputStream(Files.newInputStream(bam)), bam.toString())) {
      BamHeader h = BamHeader.read(in, bam.toString());
      RecordSplitter s = new RecordSplitter(bam.toString());
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf, 0, buf.length)) > 0) {
        s.feed(buf, 0, n, (b, off, len, no) -> out.add(Arrays.copyOfRange(b, off, off + len)));
      }
      s.finish();
      return new Bam(h, out);
    }
  }

  static Path write(Path file, BamHeader header, List<byte[]> records) throws IOException {
    try (BgzfOutputStream out = new BgzfOutputStream(Files.newOutputStream(file), 1, DeflateBackend.JDK)) {
      out.write(header.encode());
      for (byte[] r : records) {
        out.write(r);
      }
    }
    return file;
  }

  /** A file of the compat set ({@code ../shared/compat}, or the folder {@code -Dumiflow.shared} names). */
  static Path compat(String name) {
    return java.nio.file.Paths.get(System.getProperty("umiflow.shared", "../../shared"), "compat", name)
        .toAbsolutePath().normalize();
  }

  /** {@code bam} re-sorted by samtools into {@code dir/name}: {@code order} "" for coordinate, "-n" for name, ... */
  static Path resorted(Path dir, Path bam, String name, String... order) throws Exception {
    Path out = dir.resolve(name);
    List<String> args = new ArrayList<>(List.of("sort", "--no-PG", "-o", out.toString()));
    args.addAll(List.of(order));
    args.add(bam.toString());
    InputFormatsTest.samtools(args.toArray(String[]::new));
    return out;
  }

  /** Decompressed bytes of a BAM. */
  static byte[] decompressed(Path bam) throws IOException {
    try (BgzfInputStream in = new BgzfInputStream(new BufferedInputStream(Files.newInputStream(bam)), bam.toString())) {
      return in.readAllBytes();
    }
  }
}
