package io.umiflow.actors.pipeline;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.memory.ByteArrayPool;
import io.umiflow.actors.memory.MemoryLedger;
import io.umiflow.actors.memory.MemoryPlan;
import io.umiflow.actors.outofcore.SpillFolder;
import io.umiflow.actors.sort.ParallelBgzfInput;
import io.umiflow.actors.sort.TemplateRuns;
import io.umiflow.codec.InputFormatException;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BgzfBlockReader;
import io.umiflow.codec.BlockInflater;
import io.umiflow.codec.CompressedBlock;
import io.umiflow.codec.SamCramInput;
import java.io.BufferedInputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the input's compressed BGZF blocks (blocking I/O, on the I/O dispatcher) and sends them, a chunk of
 * blocks at a time, to the inflaters. Before reading a chunk it takes credits for the chunk's compressed
 * and inflated bytes from the reader account; the grouper gives them back once it has parsed the chunk,
 * so a stalled downstream stops the reader. Reads the header itself first, inflating on its own thread.
 *
 * <p>SAM and CRAM input (told apart by their first bytes) is decoded here instead, by htsjdk
 * ({@link SamCramInput}), into chunks of raw BAM records sent to the grouper directly: the same credits per
 * chunk, and the decoder's own working memory taken from the flow account for as long as it reads.
 */
final class Reader extends AbstractBehavior<Reader.Command> {
  sealed interface Command {}

  /** Go on after the header: where the chunks go, and where a sort's runs go. */
  record Continue(List<ActorRef<Inflater.Command>> inflaters, ActorRef<Grouper.Command> grouper,
                  ByteArrayPool chunkBuffers, SpillFolder spillFolder) implements Command {}

  /** Read the next chunk (sent to self, and by the ledger when credits come back). */
  enum ReadMore implements Command { INSTANCE }

  /** Raw BAM records into a chunk array, as {@link SamCramInput#fill}: bytes written, 0 at the end. */
  private interface RecordFill {
    int fill(byte[] out) throws IOException;
  }

  /** What the sort starts from: the header, its records as a stream, and the BGZF blocks under them. */
  private record PendingSort(BamHeader header, InputStream records, BgzfBlockReader blocks, byte[] leftover) {}


  private final GroupSettings settings;
  private final MemoryLedger.Account account;
  /** Where a SAM or CRAM decoder's working memory is charged. */
  private final MemoryLedger.Account flow;
  private final PipelineStats stats;
  private final ActorRef<PipelineEvent> job;
  private final String source;
  private InputStream in;
  private BgzfBlockReader blocks;
  /** The SAM or CRAM decoder; null for BAM input. */
  private SamCramInput decoder;
  /** Bytes of the flow account the decoder holds. */
  private long decoderCredit;
  /** Where chunks of raw records come from when not from BGZF blocks: the decoder, or the sort. */
  private RecordFill fill;
  /** The input's header and records, kept until the sort starts; null when the input is not sorted here. */
  private PendingSort pendingSort;
  /** The job's own sort, once started; null when the input is not sorted here. */
  private SortingInput sorting;
  private ByteArrayPool chunkBuffers;
  /** Where the sort's runs go. */
  private SpillFolder spillFolder;
  private List<ActorRef<Inflater.Command>> inflaters;
  private ActorRef<Grouper.Command> grouper;
  private long nextSeq = 1;
  private boolean reserved;
  private boolean finished;

  static Behavior<Command> create(GroupSettings settings, MemoryLedger.Account account, MemoryLedger.Account flow,
                                  PipelineStats stats, ActorRef<PipelineEvent> job) {
    return Behaviors.setup(ctx -> new Reader(ctx, settings, account, flow, stats, job));
  }

  private Reader(ActorContext<Command> ctx, GroupSettings settings, MemoryLedger.Account account,
                 MemoryLedger.Account flow, PipelineStats stats, ActorRef<PipelineEvent> job) {
    super(ctx);
    this.settings = settings;
    this.account = account;
    this.flow = flow;
    this.stats = stats;
    this.job = job;
    this.source = settings.source();
    readHeader();
  }

  private void readHeader() {
    try {
      in = settings.inputIsStdin() ? new BufferedInputStream(System.in, 1 << 20) : open(Paths.get(settings.input()));
      SamCramInput.Format format = SamCramInput.detect(in);
      if (format != SamCramInput.Format.BAM) {
        openDecoder(format);
        return;
      }
      blocks = new BgzfBlockReader(in, source);
      BlockInflater inflater = new BlockInflater();
      byte[] buf = new byte[1 << 16];
      int len = 0;
      BamHeader.Parsed parsed = null;
      while (parsed == null) {
        CompressedBlock b = blocks.next();
        if (b == null) {
          throw new io.umiflow.codec.InputFormatException(source + ": file ends inside the BAM header"
              + (len == 0 ? " (empty file)" : ""));
        }
        stats.compressedBytesRead.addAndGet(b.length());
        byte[] data = inflater.inflate(b, source);
        if (len + data.length > buf.length) {
          buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + data.length));
        }
        System.arraycopy(data, 0, buf, len, data.length);
        len += data.length;
        parsed = BamHeader.parse(buf, len, source);
      }
      int rest = len - parsed.consumed();
      byte[] leftover = Arrays.copyOfRange(buf, parsed.consumed(), len);
      if (sortsItself(parsed.header())) {
        pendingSort = new PendingSort(parsed.header(), null, blocks, leftover);
        reportSorting(parsed.header());
        return;
      }
      if (!account.tryAcquire(rest)) {
        throw new IllegalStateException("reader account cannot hold the first block");
      }
      job.tell(new PipelineEvent.HeaderRead(parsed.header(), leftover, rest));
    } catch (NoSuchFileException e) {
      fail(source + ": no such file");
    } catch (IOException e) {
      fail(message(e).replace("--reference", settings.option("--reference"))); // the decoder names the CLI's option
    }
  }

  /**
   * Opens the SAM or CRAM decoder with the flow account's credit for its working memory, and reports the
   * header. It decodes CRAM slices or blocks of SAM lines on as many threads as the job has and the flow
   * account can give {@link SamCramInput#DECODER_BYTES} (SAM: {@link SamCramInput#SAM_DECODER_BYTES}) each
   * (at least one, or the job fails naming the budget that would do).
   */
  private void openDecoder(SamCramInput.Format format) throws IOException {
    boolean cram = format == SamCramInput.Format.CRAM;
    long each = cram ? SamCramInput.DECODER_BYTES : SamCramInput.SAM_DECODER_BYTES;
    int threads = settings.threads();
    while (threads > 0 && !flow.tryAcquire(MemoryLedger.NO_ITEM, threads * each)) {
      threads--;
    }
    if (threads == 0) {
      job.tell(new PipelineEvent.Failed(source + ": the memory budget cannot hold the " + format + " decoder ("
          + (each >> 20) + " MiB)", MemoryPlan.smallestBudget(each, settings.threads(), settings.memoryTuning(),
          p -> p.flowCapacity() - p.headReserve())));
      finished = true;
      return;
    }
    decoderCredit = threads * each;
    decoder = new SamCramInput(new CountingInput(in, stats), source, format,
        settings.reference() == null ? null : Paths.get(settings.reference()), threads);
    if (sortsItself(decoder.header())) {
      pendingSort = new PendingSort(decoder.header(), new DecodedStream(decoder), null, new byte[0]);
      reportSorting(decoder.header());
      return;
    }
    fill = decoder::fill;
    job.tell(new PipelineEvent.HeaderRead(decoder.header(), new byte[0], 0));
  }

  /** Whether this job sorts its input: asked to always, or (by default) when the header does not declare the order. */
  private boolean sortsItself(BamHeader header) {
    return switch (settings.sort()) {
      case ALWAYS -> true;
      case NEVER -> false;
      case AUTO -> header.templateCoordinateProblem() != null;
    };
  }

  /** Reports the header the sorted records will have, and why the job sorts. */
  private void reportSorting(BamHeader header) {
    String problem = header.templateCoordinateProblem();
    String why = problem != null ? problem.replaceFirst("^the header declares ", "declared ")
        .replaceFirst(", not template-coordinate order.*", "") : "sorting asked for";
    job.tell(new PipelineEvent.HeaderRead(io.umiflow.actors.sort.TemplateSorter.sortedHeader(header), new byte[0], 0,
        source + " (" + why + ") is sorted into template-coordinate order first"));
  }

  /** A SAM or CRAM decoder's records as a stream, for the sort. */
  private static final class DecodedStream extends InputStream {
    private final SamCramInput decoder;
    private final byte[] buf = new byte[1 << 16];
    private int at;
    private int end;

    DecodedStream(SamCramInput decoder) {
      this.decoder = decoder;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (at == end) {
        end = decoder.fill(buf);
        at = 0;
        if (end == 0) {
          return -1;
        }
      }
      int k = Math.min(len, end - at);
      System.arraycopy(buf, at, b, off, k);
      at += k;
      return k;
    }
  }

  /** Counts the bytes a decoder reads from the input, for progress. */
  private static final class CountingInput extends java.io.FilterInputStream {
    private final PipelineStats stats;

    CountingInput(InputStream in, PipelineStats stats) {
      super(in);
      this.stats = stats;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        stats.compressedBytesRead.incrementAndGet();
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        stats.compressedBytesRead.addAndGet(n);
      }
      return n;
    }
  }

  /**
   * Opens the input as a {@link FileInputStream}, not through {@code Files.newInputStream}: the latter's
   * {@code available()} asks the channel for its position, which fails with "Illegal seek" on a named pipe
   * or a shell's process substitution ({@code -i <(samtools sort ...)}).
   */
  private static InputStream open(Path path) throws IOException {
    if (!Files.exists(path)) {
      throw new NoSuchFileException(path.toString());
    }
    return new BufferedInputStream(new FileInputStream(path.toFile()), 1 << 20);
  }

  private String message(IOException e) {
    if (e instanceof io.umiflow.codec.InputFormatException) {
      return e.getMessage();
    }
    return source + ": cannot read (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
  }

  private void fail(String reason) {
    finished = true;
    job.tell(new PipelineEvent.Failed(reason));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Continue.class, this::onContinue)
        .onMessageEquals(ReadMore.INSTANCE, this::onReadMore)
        .onSignal(PostStop.class, s -> onStop())
        .build();
  }

  private Behavior<Command> onContinue(Continue c) {
    this.inflaters = c.inflaters();
    this.grouper = c.grouper();
    this.chunkBuffers = c.chunkBuffers();
    if (pendingSort != null && !startSort(c.spillFolder())) {
      return this;
    }
    getContext().getSelf().tell(ReadMore.INSTANCE);
    return this;
  }

  /**
   * Takes the sort's credit from the flow account and starts it; false (the job failed) when the budget
   * cannot hold it.
   */
  private boolean startSort(SpillFolder spillFolder) {
    PendingSort p = pendingSort;
    pendingSort = null;
    int threads = Math.min(settings.threads(), SortingInput.MAX_TASKS);
    int inflaters = p.blocks() == null ? 0 : threads;
    long inflateBytes = p.blocks() == null ? 0 : ParallelBgzfInput.bytesHeld(inflaters);
    long credit = SortingInput.creditFor(flow);
    long least = SortingInput.leastCredit(threads, inflateBytes);
    if (credit < least || SortingInput.mergeBytesFor(flow) < 4 * TemplateRuns.RUN_READER_BYTES
        || !flow.tryAcquire(0, credit)) {
      finished = true;
      job.tell(new PipelineEvent.Failed(source + ": the memory budget cannot hold the sort's buffers (" + (least >> 20)
          + " MiB)", MemoryPlan.smallestBudget(least + (1L << 20), settings.threads(), settings.memoryTuning(),
          plan -> Math.min(plan.flowCapacity(), 4 * (plan.flowCapacity() - plan.headReserve()) / 3))));
      return false;
    }
    java.util.concurrent.Executor executor = getContext().getSystem().dispatchers()
        .lookup(akka.actor.typed.DispatcherSelector.fromConfig(Pipeline.WORKER_DISPATCHER));
    InputStream records = p.records();
    ParallelBgzfInput bam = null;
    if (p.blocks() != null) {
      bam = new ParallelBgzfInput(p.blocks(), source, settings.deflateBackend(), executor, inflaters,
          stats.compressedBytesRead::addAndGet);
      records = new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(p.leftover()), bam);
    }
    sorting = new SortingInput(records, bam, p.header().librariesByReadGroup(), source, spillFolder, executor,
        threads, flow, credit, inflateBytes, settings.spillRunBytes());
    this.spillFolder = spillFolder;
    fill = sorting::fill;
    stats.sortedRecords.set(-1);
    return true;
  }

  private Behavior<Command> onReadMore() {
    if (finished) {
      return this;
    }
    if (sorting != null && !sorting.ready()) {
      try {
        if (!sorting.step()) {
          getContext().getSelf().tell(ReadMore.INSTANCE);
          return this;
        }
        stats.sortedRecords.set(Math.max(1, sorting.recordsRead()));
      } catch (SortingInput.TemporaryFilesFailure e) {
        fail(source + ": " + spillFolder.describe(e.cause(), "sorting the input"));
        return this;
      } catch (IOException e) {
        fail(message(e));
        return this;
      }
    }
    if (!reserved) {
      ActorRef<Command> self = getContext().getSelf();
      reserved = true;
      long credit = fill != null ? chunkBuffers.charge(ByteArrayPool.CHUNK_SIZE) : MemoryPlan.CHUNK_RESERVE;
      if (!account.acquireOrWait(credit, () -> self.tell(ReadMore.INSTANCE))) {
        return this; // the ledger sends ReadMore once it has granted the credits
      }
    }
    if (fill != null) {
      return decodeChunk();
    }
    try {
      List<CompressedBlock> chunk = new ArrayList<>(MemoryPlan.BLOCKS_PER_CHUNK);
      long compressed = 0;
      long inflated = 0;
      CompressedBlock b = null;
      while (chunk.size() < MemoryPlan.BLOCKS_PER_CHUNK && (b = blocks.next()) != null) {
        chunk.add(b);
        compressed += b.length();
        inflated += Math.max(0, b.uncompressedSize());
        stats.compressedBytesRead.addAndGet(b.length());
      }
      // the compressed blocks, and the array they will be inflated into (a pooled array is charged whole)
      long used = compressed + Math.max(inflated, ByteArrayPool.CHUNK_SIZE);
      reserved = false;
      account.release(MemoryPlan.CHUNK_RESERVE - Math.min(used, MemoryPlan.CHUNK_RESERVE));
      if (!chunk.isEmpty()) {
        long seq = nextSeq++;
        inflaters.get((int) (seq % inflaters.size())).tell(new Inflater.InflateChunk(seq, chunk, compressed, inflated));
      }
      if (b == null) {
        finished = true;
        if (!blocks.sawEofMarker()) {
          fail(source + ": missing BGZF end-of-file marker; the file is truncated");
          return this;
        }
        grouper.tell(new Grouper.EndOfInput(nextSeq));
        closeInput();
      } else {
        getContext().getSelf().tell(ReadMore.INSTANCE);
      }
    } catch (IOException e) {
      fail(message(e));
    }
    return this;
  }

  /** Fills a chunk array with the decoder's records (its credit already taken) and sends it to the grouper. */
  private Behavior<Command> decodeChunk() {
    byte[] chunk = chunkBuffers.take(ByteArrayPool.CHUNK_SIZE);
    reserved = false;
    int n;
    try {
      n = fill.fill(chunk);
    } catch (InputFormatException e) {
      chunkBuffers.give(chunk);
      fail(e.getMessage());
      return this;
    } catch (IOException e) {
      chunkBuffers.give(chunk);
      fail(message(e));
      return this;
    }
    if (n > 0) {
      grouper.tell(new Grouper.Chunk(nextSeq++, chunk, n, chunkBuffers.charge(ByteArrayPool.CHUNK_SIZE), chunkBuffers));
    } else {
      chunkBuffers.give(chunk);
    }
    if (n < chunk.length) {
      finished = true;
      grouper.tell(new Grouper.EndOfInput(nextSeq));
      closeInput();
    } else {
      getContext().getSelf().tell(ReadMore.INSTANCE);
    }
    return this;
  }

  private void closeInput() {
    if (sorting != null) {
      sorting.close();
      sorting = null;
    }
    if (decoder != null) {
      try {
        decoder.close();
      } catch (IOException ignored) {
        // nothing left to read
      }
      decoder = null;
    }
    flow.release(decoderCredit);
    decoderCredit = 0;
    if (in != null && !settings.inputIsStdin()) {
      try {
        in.close();
      } catch (IOException ignored) {
        // nothing left to read; a close failure loses nothing
      }
    }
    in = null;
  }

  private Behavior<Command> onStop() {
    account.cancelWaiters();
    closeInput();
    return this;
  }
}
