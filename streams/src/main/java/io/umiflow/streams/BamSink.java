package io.umiflow.streams;

import akka.Done;
import akka.NotUsed;
import akka.japi.function.Creator;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Keep;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import akka.stream.javadsl.StreamConverters;
import akka.util.ByteString;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.GroupedBatch;
import io.umiflow.actors.Version;
import io.umiflow.actors.pipeline.OutputSet;
import io.umiflow.actors.pipeline.Pipeline;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.Bgzf;
import io.umiflow.codec.BlockDeflater;
import io.umiflow.codec.DeflateBackend;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Grouped position groups written as a BAM file, as {@code umiflow group} writes it: the input's header with
 * umiflow's {@code @PG} line, the records in order, BGZF at {@code settings.compressionLevel()} with
 * {@code settings.deflateBackend()}, and the end-of-file block. Batches are compressed on
 * {@code umiflow.worker-dispatcher} (the grouping's workers), {@code settings.threads()} at a time, and written
 * in order; the sink holds at most that many batches and their compressed copies.
 */
public final class BamSink {
  private BamSink() {}

  /**
   * Writes to {@code target} under a temporary name beside it ({@code .NAME.<random>.umiflow-tmp}, with the
   * mode the process's umask gives), renamed to {@code target} when the stream completes; on failure the
   * temporary file is removed and nothing appears under {@code target}. The materialized value completes
   * after the rename.
   */
  public static Sink<GroupedBatch, CompletionStage<Done>> toPath(Path target, BamHeader inputHeader,
                                                                 GroupSettings settings) {
    return Sink.<GroupedBatch, CompletionStage<Done>>fromMaterializer((mat, attrs) -> {
      OutputSet outputs = new OutputSet();
      return bgzf(inputHeader, settings)
          .watchTermination(Keep.right())
          .toMat(StreamConverters.fromOutputStream(() -> outputs.create(target)), (upstream, written) ->
              upstream.thenCombine(written, (d, io) -> d).handle((d, failure) -> {
                if (failure != null) {
                  outputs.abort();
                  throw new java.util.concurrent.CompletionException(failure);
                }
                try {
                  outputs.commit();
                } catch (java.io.IOException e) {
                  outputs.abort();
                  throw new java.util.concurrent.CompletionException(e);
                }
                return Done.getInstance();
              }));
    }).mapMaterializedValue(m -> m.thenCompose(done -> done));
  }

  /**
   * Writes to the stream {@code create} opens when the sink runs, and closes it at the end (also on failure,
   * leaving a BAM without its end-of-file block, which readers take as truncated).
   */
  public static Sink<GroupedBatch, CompletionStage<Done>> toOutputStream(Creator<OutputStream> create,
                                                                         BamHeader inputHeader, GroupSettings settings) {
    return bgzf(inputHeader, settings).toMat(StreamConverters.fromOutputStream(create),
        (nu, io) -> io.thenApply(r -> Done.getInstance()));
  }

  /** The BAM file's bytes: header, records, end-of-file block, compressed in parallel and kept in order. */
  public static Flow<GroupedBatch, ByteString, NotUsed> bgzf(BamHeader inputHeader, GroupSettings settings) {
    BamHeader header = inputHeader.withProgram("umiflow", Version.VERSION, settings.commandLine());
    int threads = settings.threads();
    return Flow.<GroupedBatch, ByteString, NotUsed>fromMaterializer((mat, attrs) -> {
      // the grouping's own workers: as many threads as cores, so that this work and the grouping's take turns
      // instead of crowding the cores with more runnable threads (measured: 10% faster on 2 cores)
      Executor cpu = mat.system().dispatchers().lookup(Pipeline.WORKER_DISPATCHER);
      Deflaters deflaters = new Deflaters(settings.compressionLevel(), settings.deflateBackend());
      byte[] headerBytes = header.encode();
      return Flow.<GroupedBatch>create()
          .map(b -> new Payload(b.records(), b.length()))
          .prepend(Source.single(new Payload(headerBytes, headerBytes.length)))
          .mapAsync(threads, p -> CompletableFuture.supplyAsync(() -> deflaters.deflate(p), cpu))
          .concat(Source.single(ByteString.fromArrayUnsafe(Bgzf.eofBlock())))
          .watchTermination((nu, done) -> {
            done.whenComplete((d, e) -> deflaters.close());
            return NotUsed.getInstance();
          });
    }).mapMaterializedValue(m -> NotUsed.getInstance());
  }

  /** A deflater and the scratch array its blocks go to before the exact copy. */
  private static final class Deflater {
    final BlockDeflater deflater;
    byte[] scratch = new byte[0];

    Deflater(BlockDeflater deflater) {
      this.deflater = deflater;
    }
  }

  /** Uncompressed bytes {@code bytes[0..length)} to compress into blocks. */
  private record Payload(byte[] bytes, int length) {}

  /**
   * The deflaters of one materialization, one per task running at once ({@link BlockDeflater} is not
   * thread-safe and holds native memory): taken and given back around each batch, closed when the stream
   * ends (a deflater given back after that is closed at once).
   */
  private static final class Deflaters {
    private final int level;
    private final DeflateBackend backend;
    private final ArrayDeque<Deflater> idle = new ArrayDeque<>();
    private boolean closed;

    Deflaters(int level, DeflateBackend backend) {
      this.level = level;
      this.backend = backend;
    }

    ByteString deflate(Payload p) {
      Deflater d = take();
      try {
        // blocks into the deflater's scratch (room for the worst case, kept between batches), then one exact copy
        int blocks = (p.length() + Bgzf.MAX_PAYLOAD - 1) / Bgzf.MAX_PAYLOAD;
        if (d.scratch.length < blocks * Bgzf.MAX_BLOCK_SIZE) {
          d.scratch = new byte[blocks * Bgzf.MAX_BLOCK_SIZE];
        }
        int used = 0;
        for (int at = 0; at < p.length(); at += Bgzf.MAX_PAYLOAD) {
          used += d.deflater.deflate(p.bytes(), at, Math.min(Bgzf.MAX_PAYLOAD, p.length() - at), d.scratch, used);
        }
        return ByteString.fromArray(d.scratch, 0, used);
      } finally {
        giveBack(d);
      }
    }

    private synchronized Deflater take() {
      Deflater d = idle.poll();
      return d != null ? d : new Deflater(new BlockDeflater(level, backend));
    }

    private synchronized void giveBack(Deflater d) {
      if (closed) {
        d.deflater.close();
      } else {
        idle.push(d);
      }
    }

    synchronized void close() {
      closed = true;
      for (Deflater d : idle) {
        d.deflater.close();
      }
      idle.clear();
    }
  }
}
