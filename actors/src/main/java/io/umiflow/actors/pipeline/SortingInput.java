package io.umiflow.actors.pipeline;

import io.umiflow.actors.memory.MemoryLedger;
import io.umiflow.actors.outofcore.SpillFolder;
import io.umiflow.actors.sort.ParallelBgzfInput;
import io.umiflow.actors.sort.TemplateRuns;
import io.umiflow.codec.DeflateBackend;
import io.umiflow.codec.InputFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * The file job's own sort, for input not in template-coordinate order: the reader reads every record into
 * {@link TemplateRuns} in {@link #step steps} (so that the job can still stop it), then {@link #fill fills}
 * chunks from the merge of the runs in place of the input's, so the grouper sees sorted records and no
 * intermediate BAM is written or read.
 *
 * <p>Memory, charged against the job's one budget: while the input is read, the pipeline behind the reader has
 * nothing to do, so the sort takes what the flow account has free ({@link #creditFor}) for the records and
 * keys buffered, the run compression and the input's inflation ahead. Once merging, its credit shrinks to
 * the run readers and an in-memory last run of at most three quarters of the account's shared part
 * ({@link #mergeBytesFor}; the head reserve and the rest stay with the pipeline), given back as it drains.
 */
final class SortingInput implements AutoCloseable {
  /** Records read in one step at most, so that a stop or a failure elsewhere is seen between steps. */
  private static final long STEP_BYTES = 16L << 20;
  /**
   * Inflation and compression tasks in flight at most: enough to keep up with the one thread that parses
   * and keys records, and their buffers stay small at small budgets.
   */
  static final int MAX_TASKS = 4;

  /** Writing or reading the sort's runs failed (a full disk, say); the cause names the file. */
  static final class TemporaryFilesFailure extends IOException {
    TemporaryFilesFailure(IOException cause) {
      super(cause.getMessage(), cause);
    }

    IOException cause() {
      return (IOException) getCause();
    }
  }
  /** The most a sort takes: its buffer's ceiling and the inflation and compression buffers beside it. */
  static final long MAX_CREDIT = TemplateRuns.MAX_BUFFER + (32L << 20);

  private final InputStream records;
  private final ParallelBgzfInput bam;
  private final TemplateRuns runs;
  private final MemoryLedger.Account flow;
  private final String source;
  private final long bufferBytes;
  private final long mergeBytes;
  private long credit;
  private InputStream sorted;

  /**
   * @param records   the input's raw records, after the header
   * @param bam       the BGZF blocks under {@code records}, checked for the end marker; null for SAM and CRAM
   * @param credit    flow credit already taken ({@link #creditFor}); given back on close
   * @param threads   compression tasks in flight when a run is written
   * @param runBytes  0, or (tests) the buffer's size, with twice that for the merge: many runs, and merges
   *                  of merges
   */
  SortingInput(InputStream records, ParallelBgzfInput bam, Map<String, String> libraries, String source,
               SpillFolder spill, Executor executor, int threads, MemoryLedger.Account flow, long credit,
               long inflateBytes, long runBytes) {
    this.records = records;
    this.bam = bam;
    this.flow = flow;
    this.source = source;
    this.credit = credit;
    this.runs = new TemplateRuns(libraries, source, spill, DeflateBackend.best(1), executor, threads);
    long buffer = credit - inflateBytes - TemplateRuns.workBytes(threads);
    this.bufferBytes = runBytes > 0 ? Math.min(runBytes, buffer) : buffer;
    this.mergeBytes = runBytes > 0 ? 2 * runBytes : Math.min(buffer, mergeBytesFor(flow));
  }

  /**
   * The flow credit a sort takes while reading: all the account has free, less 1 MiB, up to
   * {@link #MAX_CREDIT}.
   */
  static long creditFor(MemoryLedger.Account flow) {
    return Math.min(MAX_CREDIT, flow.capacity() - flow.held() - (1L << 20));
  }

  /** What the merge may hold: three quarters of what the account lends to items other than the head. */
  static long mergeBytesFor(MemoryLedger.Account flow) {
    return (flow.capacity() - flow.reserve()) * 3 / 4;
  }

  /** The least credit a sort can work with: inflation, run compression and 1 MiB of records. */
  static long leastCredit(int threads, long inflateBytes) {
    return inflateBytes + TemplateRuns.workBytes(threads) + (1L << 20);
  }

  /** Whether every record is read and sorted: {@link #fill} gives them in order. */
  boolean ready() {
    return sorted != null;
  }

  /** Records read so far. */
  long recordsRead() {
    return runs.records();
  }

  /**
   * Reads up to {@link #STEP_BYTES} of records, spilling a run whenever the buffer is full; at the end of
   * the input starts the merge. Returns {@link #ready()}.
   */
  boolean step() throws IOException {
    long read = 0;
    byte[] rec;
    while (read < STEP_BYTES) {
      rec = TemplateRuns.RecordReading.next(records, source, runs.records() + 1);
      if (rec == null) {
        if (bam != null && !bam.sawEofMarker()) {
          throw new InputFormatException(source + ": missing BGZF end-of-file marker; the file is truncated");
        }
        records.close();
        try {
          sorted = runs.sorted(mergeBytes);
        } catch (InputFormatException e) {
          throw e;
        } catch (IOException e) {
          throw new TemporaryFilesFailure(e);
        }
        giveBackDrained();
        return true;
      }
      runs.add(rec);
      read += rec.length;
      if (runs.held() >= bufferBytes) {
        try {
          runs.spill();
        } catch (IOException e) {
          throw new TemporaryFilesFailure(e);
        }
      }
    }
    return false;
  }

  /** Fills {@code out} with the next sorted records (the last may continue in the next call); 0 at the end. */
  int fill(byte[] out) throws IOException {
    int n = sorted.readNBytes(out, 0, out.length);
    giveBackDrained();
    return n;
  }

  /** Gives back the credit the merge no longer needs, a MiB or more at a time. */
  private void giveBackDrained() {
    long need = runs.mergeHeld();
    if (credit - need >= 1 << 20) {
      flow.release(credit - need);
      credit = need;
    }
  }

  /** Closes the input and the merge, deletes the runs and gives back the credit. */
  @Override
  public void close() {
    try {
      records.close();
    } catch (IOException ignored) {
      // nothing more is read
    }
    try {
      if (sorted != null) {
        sorted.close();
      }
    } catch (IOException ignored) {
      // the runs are deleted below
    }
    runs.close();
    flow.release(credit);
    credit = 0;
  }
}
