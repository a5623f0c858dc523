package io.umiflow.streams;

import akka.NotUsed;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import io.umiflow.actors.pipeline.Pipeline;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BgzfBlockReader;
import io.umiflow.codec.BlockInflater;
import io.umiflow.codec.CompressedBlock;
import io.umiflow.codec.DeflateBackend;
import io.umiflow.codec.InputFormatException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A BAM file (or stream) as an Akka Streams {@link Source} of raw records, for {@link GroupingFlow}: the
 * header is read when the source is opened (the flow needs it before it runs), and {@link #records()}
 * emits the decompressed records after it, in chunks of about a MiB that may end inside a record. Blocks
 * are read on the blocking-I/O dispatcher and inflated on {@code umiflow.worker-dispatcher} (the grouping's
 * workers), {@code threads} groups of blocks at a time, in order; the source holds at most {@code threads + 1}
 * such groups (16 blocks, 1 MiB, each), plus what downstream buffers.
 *
 * <p>A file ending without BGZF's end-of-file block (a truncated file) fails the source with a one-line
 * message naming it, as {@code umiflow group} does. BAM only: SAM and CRAM are read by the file job.
 */
public final class BamSource {
  /** Blocks inflated per task: about 1 MiB of records per emitted chunk. */
  private static final int BLOCKS_PER_CHUNK = 16;
  /** Each thread's inflater: {@link BlockInflater} is not thread-safe and holds no native memory to free. */
  private static final ThreadLocal<BlockInflater> INFLATERS =
      ThreadLocal.withInitial(() -> new BlockInflater(DeflateBackend.best()));

  private final String name;
  private final BamHeader header;
  private final Path file;
  /** For a stream: the reader positioned after the header and the records read with it; null for a file. */
  private final Opened stream;
  private final AtomicBoolean streamTaken = new AtomicBoolean();

  private BamSource(String name, BamHeader header, Path file, Opened stream) {
    this.name = name;
    this.header = header;
    this.file = file;
    this.stream = stream;
  }

  /** Opens {@code bam} and reads its header; {@link #records()} may run any number of times. */
  public static BamSource open(Path bam) throws IOException {
    Opened first = open(bam, bam.toString());
    first.reader.close();
    return new BamSource(bam.toString(), first.header, bam, null);
  }

  /**
   * Reads the header of the BAM in {@code in} (named {@code name} in messages); {@link #records()} may run
   * once, and closes {@code in} when it ends.
   */
  public static BamSource of(InputStream in, String name) throws IOException {
    Opened opened = scan(new BgzfBlockReader(in, name), name);
    return new BamSource(name, opened.header, null, opened);
  }

  /** The header of the records. */
  public BamHeader header() {
    return header;
  }

  /** The records after the header, inflated on up to the machine's processors. */
  public Source<ByteString, NotUsed> records() {
    return records(Runtime.getRuntime().availableProcessors());
  }

  /** The records after the header, inflated {@code threads} block groups at a time. */
  public Source<ByteString, NotUsed> records(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    Source<Chunk, NotUsed> chunks = Source.unfoldResource(this::start, Opened::next, Opened::close);
    return Source.fromMaterializer((mat, attrs) -> {
      if (file == null && !streamTaken.compareAndSet(false, true)) {
        return Source.<ByteString>failed(new IllegalStateException(name + ": a BamSource over a stream can run once"));
      }
      // the grouping's own workers: as many threads as cores, so that this work and the grouping's take turns
      // instead of crowding the cores with more runnable threads (measured: 10% faster on 2 cores)
      Executor cpu = mat.system().dispatchers().lookup(Pipeline.WORKER_DISPATCHER);
      return chunks.mapAsync(threads, c -> c.inflated != null ? CompletableFuture.completedFuture(c.inflated)
          : CompletableFuture.supplyAsync(() -> inflate(c.blocks, name), cpu));
    }).mapMaterializedValue(m -> NotUsed.getInstance()).filter(b -> !b.isEmpty());
  }

  private Opened start() throws IOException {
    return file == null ? stream : open(file, name);
  }

  private static Opened open(Path bam, String name) throws IOException {
    InputStream in;
    try {
      in = new BufferedInputStream(Files.newInputStream(bam), 1 << 16);
    } catch (NoSuchFileException e) {
      throw new InputFormatException(name + ": no such file");
    }
    try {
      return scan(new BgzfBlockReader(in, name), name);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  /** Reads and inflates blocks until the header is parsed; keeps the records read with it. */
  private static Opened scan(BgzfBlockReader reader, String name) throws IOException {
    byte[] buf = new byte[1 << 17];
    int len = 0;
    BlockInflater inflater = INFLATERS.get();
    while (true) {
      BamHeader.Parsed parsed = len == 0 ? null : BamHeader.parse(buf, len, name);
      if (parsed != null) {
        ByteString rest = ByteString.fromArray(buf, parsed.consumed(), len - parsed.consumed());
        return new Opened(reader, name, parsed.header(), rest);
      }
      CompressedBlock block = reader.next();
      if (block == null) {
        throw new InputFormatException(name + ": the file ends inside the BAM header");
      }
      if (buf.length - len < block.uncompressedSize()) {
        buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, len + block.uncompressedSize()));
      }
      len += inflater.inflate(block, buf, len, name);
    }
  }

  private static ByteString inflate(List<CompressedBlock> blocks, String name) {
    int total = 0;
    for (CompressedBlock b : blocks) {
      total += Math.max(0, b.uncompressedSize());
    }
    byte[] out = new byte[total];
    int at = 0;
    BlockInflater inflater = INFLATERS.get();
    try {
      for (CompressedBlock b : blocks) {
        at += inflater.inflate(b, out, at, name);
      }
    } catch (InputFormatException e) {
      throw new CompletionException(e);
    }
    return at == out.length ? ByteString.fromArrayUnsafe(out) : ByteString.fromArrayUnsafe(out, 0, at);
  }

  /** Inflated records ready to emit, or blocks still to inflate. */
  private record Chunk(ByteString inflated, List<CompressedBlock> blocks) {}

  /** An open reader past the header, and the records that came with the header's blocks. */
  private static final class Opened {
    private final BgzfBlockReader reader;
    private final String name;
    private final BamHeader header;
    private ByteString first;

    Opened(BgzfBlockReader reader, String name, BamHeader header, ByteString first) {
      this.reader = reader;
      this.name = name;
      this.header = header;
      this.first = first;
    }

    Optional<Chunk> next() throws IOException {
      if (first != null) {
        Chunk c = new Chunk(first, null);
        first = null;
        return Optional.of(c);
      }
      List<CompressedBlock> blocks = new ArrayList<>(BLOCKS_PER_CHUNK);
      CompressedBlock b;
      while (blocks.size() < BLOCKS_PER_CHUNK && (b = reader.next()) != null) {
        blocks.add(b);
      }
      if (blocks.isEmpty()) {
        if (!reader.sawEofMarker()) {
          throw new InputFormatException(name + ": the file ends without BGZF's end-of-file block; it is truncated");
        }
        return Optional.empty();
      }
      return Optional.of(new Chunk(null, blocks));
    }

    void close() {
      try {
        reader.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @Override
  public String toString() {
    return "BamSource(" + name + ")";
  }
}
