package io.umiflow.codec;

import htsjdk.samtools.SAMFileHeader;
import htsjdk.samtools.SAMSequenceRecord;
import htsjdk.samtools.SAMTextHeaderCodec;
import htsjdk.samtools.ValidationStringency;
import htsjdk.samtools.cram.build.CramContainerIterator;
import htsjdk.samtools.cram.structure.Container;
import htsjdk.samtools.cram.structure.Slice;
import htsjdk.samtools.reference.FastaSequenceIndex;
import htsjdk.samtools.util.BufferedLineReader;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPInputStream;

/**
 * SAM and CRAM input, decoded by htsjdk on the reading side and re-encoded as the raw BAM records the rest of
 * the pipeline reads, so nothing downstream knows the input was not BAM. Costs what htsjdk's decoding costs
 * plus one BAM encoding per record: SAM on the reading thread, CRAM slices on several threads at once
 * ({@link CramSliceDecoder}), each holding a slice's records and the reference span it covers
 * ({@link #DECODER_BYTES}).
 *
 * <p>CRAM needs the reference it was written against: a FASTA with its {@code .fai} index. Before the first
 * record the input's {@code @SQ} names and lengths are checked against the index; htsjdk checks each slice's
 * reference MD5 while decoding, and a mismatch becomes a one-line error naming the record.
 */
public final class SamCramInput implements Closeable {
  /** What an input file holds, from its first bytes. */
  public enum Format { BAM, SAM, CRAM }

  /**
   * What the decoder may hold at once beyond the chunk being filled: a CRAM container's decoded records
   * (10,000 by samtools' default, about 1 KiB each with their objects), its compressed blocks and the
   * reference span of its slices; a SAM reader holds one line. Charged to the job's budget while reading.
   */
  public static final long DECODER_BYTES = 32L << 20;
  /** What a SAM decoding thread holds: a block of lines (at most 1 MiB of text), its records and their copy. */
  public static final long SAM_DECODER_BYTES = 8L << 20;

  private final String source;
  /** The CRAM's reference FASTA, for messages; null for SAM. */
  private final Path reference;
  /** CRAM: htsjdk's containers; slices read but not yet decoding; slices decoding, in order. */
  private final CramContainerIterator containers;
  private final ArrayDeque<Slice> slices = new ArrayDeque<>();
  private final ThreadLocal<CramSliceDecoder> cramDecoder;
  /** SAM: the text's lines, read here, and parsed in blocks on the decoding threads; null for CRAM. */
  private final BufferedReader lines;
  private final ThreadLocal<SamBlockDecoder> samDecoder;
  private String nextLine;
  private long lineNumber;
  /** Records in the blocks handed out so far (SAM), to number the next block's first. */
  private long recordsQueued;
  /** Blocks or slices decoding, in input order, on {@code decodeThreads} threads. */
  private final ArrayDeque<Future<DecodedRecords>> decoding = new ArrayDeque<>();
  private final ExecutorService decoders;
  private final int decodeThreads;
  private final BamHeader header;
  /** What {@link #fill} copies from: the encoded record (SAM) or slice (CRAM), and how far it got. */
  private byte[] pending = new byte[0];
  private int pendingLength;
  private int pendingAt;
  private long recordsRead;

  /**
   * Looks at {@code in}'s first bytes without consuming them ({@code in} must support mark and reset):
   * {@code CRAM} magic, a gzip stream whose inflated bytes start with BAM's magic, else SAM (plain or
   * compressed). An empty input is taken as BAM, whose reader says it is empty.
   */
  public static Format detect(InputStream in) throws IOException {
    in.mark(1 << 16);
    byte[] head = in.readNBytes(4);
    in.reset();
    if (head.length < 4) {
      return Format.BAM;
    }
    if (head[0] == 'C' && head[1] == 'R' && head[2] == 'A' && head[3] == 'M') {
      return Format.CRAM;
    }
    if ((head[0] & 0xff) != 0x1f || (head[1] & 0xff) != 0x8b) {
      return Format.SAM;
    }
    in.mark(1 << 16);
    try {
      byte[] magic = new GZIPInputStream(new NonClosing(in), 512).readNBytes(4);
      return magic.length == 4 && magic[0] == 'B' && magic[1] == 'A' && magic[2] == 'M' && magic[3] == 1
          ? Format.BAM : Format.SAM;
    } catch (IOException e) {
      return Format.BAM; // a damaged first block: the BAM reader says what is wrong with it
    } finally {
      in.reset();
    }
  }

  /**
   * Opens {@code in} ({@code format} SAM or CRAM, named {@code source} in errors) and reads its header;
   * {@code reference} is the FASTA for CRAM (null for SAM, or when none was given). CRAM slices are decoded
   * on {@code decodeThreads} threads at once, each holding up to {@link #DECODER_BYTES}.
   */
  public SamCramInput(InputStream in, String source, Format format, Path reference, int decodeThreads)
      throws InputFormatException {
    this.source = source;
    this.reference = reference;
    this.decodeThreads = Math.max(1, decodeThreads);
    SAMFileHeader h;
    if (format == Format.CRAM) {
      lines = null;
      if (reference == null) {
        throw new InputFormatException(source + ": a CRAM file needs the reference it was written against; "
            + "give it with --reference FASTA");
      }
      FastaSequenceIndex index = index(reference);
      try {
        containers = new CramContainerIterator(in);
        h = containers.getSamFileHeader();
      } catch (RuntimeException e) {
        throw new InputFormatException(source + ": not a CRAM file (" + oneLine(e) + ")", e);
      }
      checkAgainst(h, reference, index);
      header = bamHeader(h, null);
      SAMFileHeader samHeader = h;
      cramDecoder = ThreadLocal.withInitial(() -> new CramSliceDecoder(samHeader, reference, source));
      samDecoder = null;
    } else {
      containers = null;
      cramDecoder = null;
      try {
        lines = new BufferedReader(new InputStreamReader(gunzipped(in), StandardCharsets.ISO_8859_1), 1 << 16);
        StringBuilder text = new StringBuilder();
        while ((nextLine = lines.readLine()) != null && nextLine.startsWith("@")) {
          lineNumber++;
          text.append(nextLine).append('\n');
        }
        h = new SAMTextHeaderCodec().decode(BufferedLineReader.fromString(text.toString()), source);
        header = bamHeader(h, text.toString());
      } catch (IOException | RuntimeException e) {
        throw new InputFormatException(source + ": not a BAM, SAM or CRAM file (" + oneLine(e) + ")", e);
      }
      SAMFileHeader samHeader = h;
      samDecoder = ThreadLocal.withInitial(() -> new SamBlockDecoder(samHeader));
    }
    decoders = Executors.newFixedThreadPool(this.decodeThreads, r -> {
      Thread t = new Thread(r, "umiflow-" + format.name().toLowerCase(Locale.ROOT) + "-decoder");
      t.setDaemon(true);
      return t;
    });
  }

  /** SAM text, inflated when gzip- or bgzip-compressed. */
  private static InputStream gunzipped(InputStream in) throws IOException {
    in.mark(2);
    int b0 = in.read();
    int b1 = in.read();
    in.reset();
    return b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(in, 1 << 16) : in;
  }

  /** The header as the BAM reader would give it: the SAM text and the reference list. */
  public BamHeader header() {
    return header;
  }

  /** Records decoded so far. */
  public long recordsRead() {
    return recordsRead;
  }

  /**
   * Fills {@code out} from its start with the next raw BAM records (length-prefixed, as in a BAM file; the
   * last may continue in the next call); returns the bytes written, 0 at the end of the input.
   */
  public int fill(byte[] out) throws InputFormatException {
    int n = 0;
    try {
      while (n < out.length) {
        if (pendingAt < pendingLength) {
          int k = Math.min(out.length - n, pendingLength - pendingAt);
          System.arraycopy(pending, pendingAt, out, n, k);
          pendingAt += k;
          n += k;
        } else if (!nextDecoded()) {
          break;
        }
      }
    } catch (RuntimeException e) {
      throw failure(e);
    }
    return n;
  }

  /**
   * Makes the next decoded slice (CRAM) or block of lines (SAM) the one {@link #fill} copies from; false at
   * the end. The input is read here, in order, and each unit decoded on one of {@code decodeThreads}
   * threads, as many at once as there are threads; results are taken in input order.
   */
  private boolean nextDecoded() throws InputFormatException {
    while (decoding.size() < decodeThreads) {
      java.util.concurrent.Callable<DecodedRecords> task = containers != null ? nextSliceTask() : nextBlockTask();
      if (task == null) {
        break;
      }
      decoding.add(decoders.submit(task));
    }
    if (decoding.isEmpty()) {
      return false;
    }
    DecodedRecords d;
    try {
      d = decoding.removeFirst().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InputFormatException(source + ": interrupted after record " + recordsRead);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof SamBlockDecoder.LineFailure f) {
        throw new InputFormatException(source + ": record " + f.record + " (line " + f.line + "): "
            + oneLine(f.getCause()), f);
      }
      throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
    }
    pending = d.bytes();
    pendingLength = d.length();
    pendingAt = 0;
    recordsRead += d.records();
    return true;
  }

  /** The next CRAM slice's decoding, reading containers as needed; null at the end. */
  private java.util.concurrent.Callable<DecodedRecords> nextSliceTask() {
    while (slices.isEmpty()) {
      if (!containers.hasNext()) {
        return null;
      }
      Container c = containers.next();
      if (!c.isEOF() && c.getSlices() != null) {
        slices.addAll(c.getSlices());
      }
    }
    Slice slice = slices.removeFirst();
    return () -> cramDecoder.get().decode(slice);
  }

  /** The next block of SAM lines' parsing (up to {@link #BLOCK_LINES} lines or 1 MiB); null at the end. */
  private java.util.concurrent.Callable<DecodedRecords> nextBlockTask() throws InputFormatException {
    List<String> block = new ArrayList<>();
    long[] numbers = new long[BLOCK_LINES];
    long chars = 0;
    while (nextLine != null && block.size() < BLOCK_LINES && chars < (1 << 20)) {
      lineNumber++;
      if (!nextLine.isEmpty()) {
        numbers[block.size()] = lineNumber;
        block.add(nextLine);
        chars += nextLine.length();
      }
      advanceLine();
    }
    if (block.isEmpty()) {
      return null;
    }
    SamBlockDecoder.Block b = new SamBlockDecoder.Block(block, numbers, recordsQueued + 1);
    recordsQueued += block.size();
    return () -> samDecoder.get().decode(b);
  }

  /** Lines per SAM block: enough to make the hand-off cheap, few enough to keep several blocks in flight. */
  private static final int BLOCK_LINES = 4096;

  private void advanceLine() throws InputFormatException {
    try {
      nextLine = lines.readLine();
    } catch (IOException e) {
      throw new InputFormatException(source + ": cannot read after record " + recordsRead + " ("
          + oneLine(e) + ")", e);
    }
  }

  @Override
  public void close() throws IOException {
    decoders.shutdownNow();
    if (containers != null) {
      containers.close();
    } else {
      lines.close();
    }
  }

  private InputFormatException failure(RuntimeException e) {
    String where = "after record " + recordsRead;
    String cause = oneLine(e);
    if (containers != null && cause.contains("MD5")) {
      return new InputFormatException(source + ": " + where + ": the reference " + reference + " does not match "
          + "the CRAM (a slice's reference MD5 differs); give the FASTA it was written against", e);
    }
    if (hasCause(e, java.io.EOFException.class) || e instanceof htsjdk.samtools.util.RuntimeEOFException
        || e instanceof IndexOutOfBoundsException || e instanceof java.nio.BufferUnderflowException) {
      return new InputFormatException(source + ": " + where + ": the file ends early or is corrupt ("
          + cause + "); is it complete?", e);
    }
    return new InputFormatException(source + ": " + where + ": " + cause, e);
  }

  private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /** The FASTA's index, or a one-line error saying how to make it. */
  private FastaSequenceIndex index(Path reference) throws InputFormatException {
    if (!Files.isRegularFile(reference)) {
      throw new InputFormatException(reference + ": no such reference FASTA");
    }
    Path fai = reference.resolveSibling(reference.getFileName() + ".fai");
    if (!Files.isRegularFile(fai)) {
      throw new InputFormatException(reference + ": the reference has no index " + fai.getFileName()
          + "; make one with: samtools faidx " + reference);
    }
    if (reference.getFileName().toString().endsWith(".gz")
        && !Files.isRegularFile(reference.resolveSibling(reference.getFileName() + ".gzi"))) {
      throw new InputFormatException(reference + ": a compressed reference needs bgzip compression and its .gzi "
          + "index; make them with: bgzip -i and samtools faidx");
    }
    try {
      return new FastaSequenceIndex(fai);
    } catch (RuntimeException e) {
      throw new InputFormatException(fai + ": cannot read the FASTA index (" + oneLine(e) + ")", e);
    }
  }

  /** Each {@code @SQ} of the input must be in the reference with the same length. */
  private void checkAgainst(SAMFileHeader h, Path reference, FastaSequenceIndex index) throws InputFormatException {
    for (SAMSequenceRecord sq : h.getSequenceDictionary().getSequences()) {
      if (!index.hasIndexEntry(sq.getSequenceName())) {
        throw new InputFormatException(source + ": @SQ " + sq.getSequenceName() + " is not in the reference "
            + reference + "; is it the one the CRAM was written against?");
      }
      long length = index.getIndexEntry(sq.getSequenceName()).getSize();
      if (length != sq.getSequenceLength()) {
        throw new InputFormatException(String.format(Locale.ROOT, "%s: @SQ %s is %,d bases long but %,d in the "
            + "reference %s; is it the one the CRAM was written against?", source, sq.getSequenceName(),
            sq.getSequenceLength(), length, reference));
      }
    }
  }

  /** The header with {@code text} as it was written (SAM), or as htsjdk writes {@code h} (CRAM, when null). */
  private static BamHeader bamHeader(SAMFileHeader h, String verbatim) {
    StringWriter text = new StringWriter();
    if (verbatim != null) {
      text.write(verbatim);
    } else {
      new SAMTextHeaderCodec().encode(text, h, true);
    }
    List<BamHeader.Reference> refs = new ArrayList<>();
    for (SAMSequenceRecord sq : h.getSequenceDictionary().getSequences()) {
      refs.add(new BamHeader.Reference(sq.getSequenceName(), sq.getSequenceLength()));
    }
    return new BamHeader(text.toString(), refs);
  }

  /** An exception's message on one line, with htsjdk's wrapping of causes flattened. */
  private static String oneLine(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && (t.getMessage() == null || t.getMessage().equals(t.getCause().toString()))) {
      t = t.getCause();
    }
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return m.replaceAll("\\s*[\\r\\n]+\\s*", "; ").trim();
  }

  /** Keeps {@link GZIPInputStream#close()} from closing the input it only peeks at. */
  private static final class NonClosing extends java.io.FilterInputStream {
    NonClosing(InputStream in) {
      super(in);
    }

    @Override
    public void close() {
      // the peeked stream stays open
    }
  }
}
