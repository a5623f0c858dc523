package io.umiflow.actors.pipeline;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.GroupedBatch;
import io.umiflow.actors.batch.Batch;
import io.umiflow.actors.batch.BatchMetrics;
import io.umiflow.actors.memory.MemoryLedger;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.Bgzf;
import io.umiflow.codec.BlockDeflater;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;

/**
 * The output end. Numbers molecules across the file: as batches report their molecule counts (in any
 * order) it hands each its first id once every earlier batch is counted, so ids run 0..N-1 in input order
 * whatever the thread count. Writes the compressed batches in input order (blocking I/O, on the I/O
 * dispatcher), returning each batch's credit once written and moving the flow account's head to the next
 * batch (see {@link MemoryLedger}). Output goes to a temporary file beside the
 * final one and is renamed only when complete; a stopped or failed job leaves nothing under the final name.
 */
final class Writer extends AbstractBehavior<Writer.Command> {
  sealed interface Command {}

  /** Batch {@code seq} has {@code molecules} molecules; answer {@code replyTo} with its first id. */
  record Counted(long seq, long molecules, ActorRef<Processor.Command> replyTo) implements Command {}

  /**
   * Batch {@code seq} compressed into BGZF blocks, or for a giant group into the BGZF file {@code file}
   * (copied into place and deleted); {@code credit} goes back to the batches account once written.
   */
  record Compressed(long seq, java.util.List<byte[]> blocks, Path file, long credit, BatchMetrics metrics)
      implements Command {}

  /** The grouper sent batches {@code 0..batches-1}. */
  record EndOfBatches(long batches) implements Command {}

  /** Stream stage only: batch {@code seq}'s records with their ids, for {@link StageOutput}. */
  record Delivered(long seq, GroupedBatch batch, long credit, BatchMetrics metrics) implements Command {}

  /** Stream stage only: the consumer asks for {@code bytes} more. */
  record Demand(long bytes) implements Command {}

  private final GroupSettings settings;
  private final MemoryLedger.Account flow;
  private final PipelineStats stats;
  private final ActorRef<PipelineEvent> job;
  private final MoleculeNumbering numbering = new MoleculeNumbering();
  private final Map<Long, Compressed> ready = new HashMap<>();
  private final BatchMetrics totals = new BatchMetrics();
  private long nextToWrite;
  private long endAt = -1;
  private OutputStream out;
  /** The BAM (unless it goes to standard output or a host's stream) and the metrics files, committed together. */
  private final OutputSet outputs = new OutputSet();
  private boolean done;
  /** Standard output and host-supplied streams are flushed, never closed. */
  private final boolean keepOpen;

  static Behavior<Command> create(GroupSettings settings, java.io.OutputStream hostOutput, BamHeader header,
                                  MemoryLedger.Account flow, PipelineStats stats,
                                  ActorRef<PipelineEvent> job) {
    return Behaviors.setup(ctx -> new Writer(ctx, settings, hostOutput, header, flow, stats, job));
  }

  private Writer(ActorContext<Command> ctx, GroupSettings settings, java.io.OutputStream hostOutput, BamHeader header,
                 MemoryLedger.Account flow, PipelineStats stats, ActorRef<PipelineEvent> job) {
    super(ctx);
    this.settings = settings;
    this.flow = flow;
    this.stats = stats;
    this.job = job;
    this.keepOpen = hostOutput != null || settings.outputIsStdout();
    try {
      if (hostOutput != null) {
        out = hostOutput;
      } else if (settings.outputIsStdout()) {
        out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 20);
      } else {
        out = new BufferedOutputStream(outputs.create(Paths.get(settings.output())), 1 << 20);
      }
      byte[] h = header.encode();
      try (BlockDeflater deflater = new BlockDeflater(settings.compressionLevel(), settings.deflateBackend())) {
        out.write(deflater.deflateAll(h, 0, h.length));
      }
    } catch (IOException e) {
      fail(e);
    }
  }

  private void fail(IOException e) {
    done = true;
    String what = settings.outputIsStdout() ? "standard output" : settings.output();
    String why = e.getMessage() != null && e.getMessage().contains("No space left") ? "the disk is full"
        : e.getClass().getSimpleName() + ": " + e.getMessage();
    job.tell(new PipelineEvent.Failed(what + ": cannot write (" + why + ")"));
    cleanup();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Counted.class, this::onCounted)
        .onMessage(Compressed.class, this::onCompressed)
        .onMessage(EndOfBatches.class, this::onEnd)
        .onMessage(Delivered.class, d -> notForFiles(d))
        .onMessage(Demand.class, d -> notForFiles(d))
        .onSignal(PostStop.class, s -> {
          cleanup();
          return this;
        })
        .build();
  }

  private Behavior<Command> onCounted(Counted c) {
    numbering.counted(c);
    return this;
  }

  private Behavior<Command> notForFiles(Command c) {
    job.tell(new PipelineEvent.Failed("internal error: the file writer received " + c.getClass().getSimpleName()));
    return this;
  }

  private Behavior<Command> onCompressed(Compressed c) {
    ready.put(c.seq(), c);
    Compressed next;
    while (!done && (next = ready.remove(nextToWrite)) != null) {
      try {
        for (byte[] block : next.blocks()) {
          out.write(block);
        }
        if (next.file() != null) {
          Files.copy(next.file(), out);
          Files.delete(next.file());
        }
      } catch (IOException e) {
        fail(e);
        return this;
      }
      totals.add(next.metrics());
      stats.recordsWritten.addAndGet(next.metrics().recordsOut);
      stats.batchesWritten.incrementAndGet();
      flow.release(next.credit());
      nextToWrite++;
      flow.advanceHead(nextToWrite); // the next batch is the head of the output order now
    }
    finishIfDone();
    return this;
  }

  private Behavior<Command> onEnd(EndOfBatches e) {
    endAt = e.batches();
    finishIfDone();
    return this;
  }

  private void finishIfDone() {
    if (done || endAt < 0 || nextToWrite < endAt) {
      return;
    }
    try {
      out.write(Bgzf.eofBlock());
      out.flush();
      if (!keepOpen) {
        out.close();
      }
      out = null;
      // the metrics are staged beside the BAM, then all are renamed: the metrics first, the BAM last
      if (settings.familySizeHistogram() != null) {
        outputs.write(Paths.get(settings.familySizeHistogram()), MetricsFiles.familySizes(totals));
      }
      if (settings.groupingMetrics() != null) {
        outputs.write(Paths.get(settings.groupingMetrics()), MetricsFiles.groupingMetrics(totals));
      }
      if (settings.groupSizeHistogram() != null) {
        outputs.write(Paths.get(settings.groupSizeHistogram()), MetricsFiles.groupSizes(totals));
      }
      outputs.commit();
      done = true;
      job.tell(new PipelineEvent.Finished(totals));
    } catch (IOException e) {
      fail(e);
    }
  }

  /** Closes and deletes an unfinished temporary output. */
  private void cleanup() {
    if (out != null) {
      try {
        if (keepOpen) {
          out.flush();
        } else {
          out.close();
        }
      } catch (IOException ignored) {
        // the file is deleted next; nothing to save
      }
      out = null;
    }
    outputs.abort();
  }
}
