package io.umiflow.bench;

import io.umiflow.codec.Bgzf;
import io.umiflow.codec.BgzfInputStream;
import io.umiflow.codec.BlockDeflater;
import io.umiflow.codec.BlockInflater;
import io.umiflow.codec.CompressedBlock;
import io.umiflow.codec.DeflateBackend;
import io.umiflow.codec.InputFormatException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * BGZF block compression and decompression on one thread, per backend and level, over 64 KiB blocks of a
 * real BAM's decompressed bytes ({@code ../shared/compat/single.tc.bam}, or {@code -Dbam=FILE}). One
 * operation is one block of {@link Bgzf#MAX_PAYLOAD} bytes: MB/s = ops/s x 0.06528.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(1)
@State(Scope.Thread)
public class BgzfBenchmark {
  @Param({"JDK", "GKL", "LIBDEFLATE"})
  public String backend;

  @Param({"1", "5"})
  public int level;

  private final List<byte[]> payloads = new ArrayList<>();
  private final List<CompressedBlock> compressed = new ArrayList<>();
  private BlockDeflater deflater;
  private BlockInflater inflater;
  private final byte[] out = new byte[Bgzf.MAX_BLOCK_SIZE];
  private int next;

  @Setup(Level.Trial)
  public void setup() throws IOException {
    Path bam = Paths.get(System.getProperty("bam", "../shared/compat/single.tc.bam"));
    byte[] all;
    try (BgzfInputStream in = new BgzfInputStream(new BufferedInputStream(Files.newInputStream(bam)), bam.toString())) {
      all = in.readAllBytes();
    }
    DeflateBackend b = DeflateBackend.valueOf(backend);
    deflater = new BlockDeflater(level, b);
    inflater = new BlockInflater(b);
    for (int p = 0; p + Bgzf.MAX_PAYLOAD <= all.length && payloads.size() < 256; p += Bgzf.MAX_PAYLOAD) {
      byte[] payload = java.util.Arrays.copyOfRange(all, p, p + Bgzf.MAX_PAYLOAD);
      payloads.add(payload);
      int n = deflater.deflate(payload, 0, payload.length, out, 0);
      compressed.add(new CompressedBlock(java.util.Arrays.copyOf(out, n), n, 0));
    }
    long in = 0;
    long z = 0;
    for (int i = 0; i < payloads.size(); i++) {
      in += payloads.get(i).length;
      z += compressed.get(i).length();
    }
    System.out.printf("%n%s level %d: %d blocks, compression ratio %.3f%n", backend, level, payloads.size(),
        z / (double) in);
  }

  @Benchmark
  public int deflateBlock() {
    byte[] p = payloads.get(next++ % payloads.size());
    return deflater.deflate(p, 0, p.length, out, 0);
  }

  @Benchmark
  public int inflateBlock() throws InputFormatException {
    return inflater.inflate(compressed.get(next++ % compressed.size()), out, 0, "bench");
  }
}
