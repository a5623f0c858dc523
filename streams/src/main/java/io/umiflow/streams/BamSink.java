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
 * {@code settings.deflateBackend()}, and the end-of-file block. Batches are compressed on the system's
 * dispatcher, {@code settings.threads()} at a time, and written in order; the sink holds at most that many
 * batches and their compressed copies.
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
      Executor cpu = mat.system().dispatcher();
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
    private final ArrayDeque<BlockDeflater> idle = new ArrayDeque<>();
    private boolean closed;

    Deflaters(int level, DeflateBackend backend) {
      this.level = level;
      this.backend = backend;
    }

    ByteString deflate(Payload p) {
      BlockDeflater d = take();
      try {
        return ByteString.fromArrayUnsafe(d.deflateAll(p.bytes(), 0, p.length()));
      } finally {
        giveBack(d);
      }
    }

    private synchronized BlockDeflater take() {
      BlockDeflater d = idle.poll();
      return d != null ? d : new BlockDeflater(level, backend);
    }

    private synchronized void giveBack(BlockDeflater d) {
      if (closed) {
        d.close();
      } else {
        idle.push(d);
      }
    }

    synchronized void close() {
      closed = true;
      for (BlockDeflater d : idle) {
        d.close();
      }
      idle.clear();
    }
  }
}
