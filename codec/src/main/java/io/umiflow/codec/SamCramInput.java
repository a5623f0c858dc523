package io.umiflow.codec;

import htsjdk.samtools.BAMRecordCodec;
import htsjdk.samtools.DefaultSAMRecordFactory;
import htsjdk.samtools.SAMFileHeader;
import htsjdk.samtools.SAMLineParser;
import htsjdk.samtools.SAMRecord;
import htsjdk.samtools.SAMSequenceRecord;
import htsjdk.samtools.SAMTextHeaderCodec;
import htsjdk.samtools.ValidationStringency;
import htsjdk.samtools.cram.build.CRAMReferenceRegion;
import htsjdk.samtools.cram.build.CramContainerIterator;
import htsjdk.samtools.cram.structure.CRAMCompressionRecord;
import htsjdk.samtools.cram.structure.CompressorCache;
import htsjdk.samtools.cram.structure.Container;
import htsjdk.samtools.cram.structure.ReadTag;
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
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * SAM and CRAM input, decoded by htsjdk on the reading side and re-encoded as the raw BAM records the rest of
 * the pipeline reads, so nothing downstream knows the input was not BAM. Costs what htsjdk's decoding costs
 * (one thread; for CRAM a container's records and the reference span its slices cover are held at once,
 * see {@link #DECODER_BYTES}) plus one BAM encoding per record.
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
  /** What a SAM reader holds: a line and a record. */
  public static final long SAM_DECODER_BYTES = 2L << 20;

  private final String source;
  /** The CRAM's reference FASTA, for messages; null for SAM. */
  private final Path reference;
  /** CRAM: htsjdk's containers, the reference span of the current slice, and the slice's decoded records. */
  private final CramContainerIterator containers;
  private final CramSliceNormalizer normalizer;
  private final CompressorCache compressors = new CompressorCache();
  private final ArrayDeque<Slice> slices = new ArrayDeque<>();
  private List<CRAMCompressionRecord> sliceRecords = List.of();
  private int sliceAt;
  private SAMFileHeader samHeader;
  /** SAM: the text's lines and htsjdk's parser of one line; null for CRAM. */
  private final BufferedReader lines;
  private final SAMLineParser lineParser;
  private String nextLine;
  private long lineNumber;
  /** SAM: the tags of the current line, in its order, and scratch for putting them back in it. */
  private int[] lineTags = new int[16];
  private byte[] tagScratch = new byte[1 << 10];
  /** Where each encoded tag starts, and where the last ends. */
  private int[] tagStarts = new int[32];
  private final BamHeader header;
  private final BAMRecordCodec codec;
  private final Encoded encoded = new Encoded();
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
   * {@code reference} is the FASTA for CRAM (null for SAM, or when none was given).
   */
  public SamCramInput(InputStream in, String source, Format format, Path reference) throws InputFormatException {
    this.source = source;
    this.reference = reference;
    SAMFileHeader h;
    if (format == Format.CRAM) {
      lines = null;
      lineParser = null;
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
      RegionReference bases = new RegionReference(reference, source);
      CRAMReferenceRegion referenceRegion = new CRAMReferenceRegion(bases, h.getSequenceDictionary());
      normalizer = new CramSliceNormalizer(referenceRegion, bases, h);
      header = bamHeader(h, null);
    } else {
      containers = null;
      normalizer = null;
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
      lineParser = new SAMLineParser(new DefaultSAMRecordFactory(), ValidationStringency.SILENT, h, null, null);
    }
    samHeader = h;
    codec = new BAMRecordCodec(h);
    codec.setOutputStream(encoded);
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
        if (pendingAt < encoded.size()) {
          int k = Math.min(out.length - n, encoded.size() - pendingAt);
          System.arraycopy(encoded.bytes(), pendingAt, out, n, k);
          pendingAt += k;
          n += k;
        } else if (!encodeNext()) {
          break;
        }
      }
    } catch (RuntimeException e) {
      throw failure(e);
    }
    return n;
  }

  /** Encodes the next record into {@code encoded}; false at the end of the input. */
  private boolean encodeNext() throws InputFormatException {
    encoded.reset();
    pendingAt = 0;
    if (containers != null) {
      return encodeNextCram();
    }
    while (nextLine != null && nextLine.isEmpty()) {
      advanceLine();
    }
    if (nextLine == null) {
      return false;
    }
    lineNumber++;
    recordsRead++;
    SAMRecord r = lineParser.parseLine(nextLine, (int) Math.min(Integer.MAX_VALUE, lineNumber));
    checkReference(r.getReferenceName(), r.getReferenceIndex());
    checkReference(r.getMateReferenceName(), r.getMateReferenceIndex());
    codec.encode(r);
    putTagsInLineOrder(nextLine);
    advanceLine();
    return true;
  }

  /**
   * Decodes slices as needed and encodes the next CRAM record. Its TLEN is computed as samtools computes it
   * (htsjdk's rule differs: it measures to the mates' 5' ends and breaks ties otherwise), so that a CRAM
   * written by samtools reads back with the TLEN of the BAM it came from; its tags follow the CRAM's order
   * with RG last, as samtools gives them.
   */
  private boolean encodeNextCram() {
    while (sliceAt == sliceRecords.size()) {
      if (slices.isEmpty()) {
        if (!containers.hasNext()) {
          return false;
        }
        Container c = containers.next();
        if (c.isEOF() || c.getSlices() == null) {
          continue;
        }
        slices.addAll(c.getSlices());
        continue;
      }
      Slice slice = slices.removeFirst();
      List<CRAMCompressionRecord> decoded = slice.deserializeCRAMRecords(compressors, ValidationStringency.SILENT);
      normalizer.normalize(slice, decoded);
      sliceRecords = decoded;
      sliceAt = 0;
    }
    CRAMCompressionRecord r = sliceRecords.get(sliceAt++);
    recordsRead++;
    SAMRecord sam = r.toSAMRecord(samHeader);
    if (!r.isDetached() && r.getPreviousSegment() == null && r.getNextSegment() != null) {
      samtoolsTemplateLengths(r);
    }
    if (r.getPreviousSegment() != null || r.getNextSegment() != null) {
      Integer tlen = templateLengths.remove(r);
      if (tlen != null) {
        sam.setInferredInsertSize(tlen);
      }
    }
    codec.encode(sam);
    putTagsInCramOrder(r);
    return true;
  }

  /** TLENs computed for the attached segments of templates not yet encoded. */
  private final IdentityHashMap<CRAMCompressionRecord, Integer> templateLengths = new IdentityHashMap<>();

  /**
   * samtools' TLEN for the attached segments starting at {@code first}: the span from the leftmost start to
   * the rightmost end, positive for the leftmost segment (for READ1 when several start there), negative for
   * the others; 0 when they lie on different references.
   */
  private void samtoolsTemplateLengths(CRAMCompressionRecord first) {
    long left = Long.MAX_VALUE;
    long right = Long.MIN_VALUE;
    int atLeft = 0;
    boolean oneReference = true;
    for (CRAMCompressionRecord s = first; s != null; s = s.getNextSegment()) {
      long start = s.getAlignmentStart();
      long end = s.isSegmentUnmapped() ? start : s.getAlignmentEnd();
      if (start < left) {
        left = start;
        atLeft = 1;
      } else if (start == left) {
        atLeft++;
      }
      right = Math.max(right, end);
      oneReference &= s.getReferenceIndex() == first.getReferenceIndex();
    }
    long span = right - left + 1;
    for (CRAMCompressionRecord s = first; s != null; s = s.getNextSegment()) {
      long tlen;
      if (!oneReference) {
        tlen = 0;
      } else if (s.getAlignmentStart() == left && (atLeft == 1 || (s.getBAMFlags() & 0x40) != 0)) {
        tlen = span;
      } else {
        tlen = -span;
      }
      templateLengths.put(s, (int) tlen);
    }
  }

  /** Puts the encoded record's tags in the CRAM's order, RG (kept apart by CRAM) last. */
  private void putTagsInCramOrder(CRAMCompressionRecord r) {
    List<ReadTag> tags = r.getTags();
    int count = 0;
    if (tags != null) {
      for (ReadTag t : tags) {
        lineTags = count == lineTags.length ? Arrays.copyOf(lineTags, count * 2 + 1) : lineTags;
        lineTags[count++] = BamRecord.tagCode(t.getKey());
      }
    }
    lineTags = count == lineTags.length ? Arrays.copyOf(lineTags, count * 2 + 1) : lineTags;
    lineTags[count++] = BamRecord.tagCode("RG");
    putTagsInOrder(count);
  }

  /** htsjdk, lenient, takes an unknown reference name as "unmapped"; we say what is wrong instead. */
  private void checkReference(String name, Integer index) throws InputFormatException {
    if ((index == null || index < 0) && name != null && !name.equals("*")) {
      throw new InputFormatException(source + ": record " + recordsRead + " (line " + lineNumber + "): reference "
          + name + " is not in the header's @SQ lines");
    }
  }

  private void advanceLine() throws InputFormatException {
    try {
      nextLine = lines.readLine();
    } catch (IOException e) {
      throw new InputFormatException(source + ": cannot read after record " + recordsRead + " ("
          + oneLine(e) + ")", e);
    }
  }

  /**
   * htsjdk keeps a record's tags sorted by name; the BAM a SAM file came from, and samtools' conversion of
   * it, keep them in the order written. Puts the encoded record's tags back in {@code line}'s order.
   */
  private void putTagsInLineOrder(String line) {
    int count = 0;
    int field = 0;
    for (int i = 0; i < line.length(); i++) {
      if (line.charAt(i) == '\t' && ++field >= 11 && i + 2 < line.length()) {
        if (count == lineTags.length) {
          lineTags = Arrays.copyOf(lineTags, count * 2);
        }
        lineTags[count++] = BamRecord.tagCode(line.substring(i + 1, i + 3));
      }
    }
    putTagsInOrder(count);
  }

  /** Puts the encoded record's tags in the order of {@code lineTags[0..count)} (tags not named there stay out: none). */
  private void putTagsInOrder(int count) {
    byte[] b = encoded.bytes();
    int start = BamRecord.tagsOffset(b, 0);
    int end = encoded.size();
    if (count < 2) {
      return;
    }
    if (end - start > tagScratch.length) {
      tagScratch = new byte[end - start];
    }
    int n = 0;
    for (int p = start; p < end; n++) { // one walk: where each tag starts
      int next = BamRecord.skipTagValue(b, p + 2, end);
      if (next < 0) {
        return; // htsjdk wrote it; a malformed tag here would be htsjdk's, leave the record as it is
      }
      if (n == tagStarts.length - 1) {
        tagStarts = Arrays.copyOf(tagStarts, tagStarts.length * 2);
      }
      tagStarts[n] = p;
      tagStarts[n + 1] = next;
      p = next;
    }
    int out = 0;
    for (int t = 0; t < count; t++) {
      for (int i = 0; i < n; i++) {
        int p = tagStarts[i];
        if ((((b[p] & 0xff) << 8) | (b[p + 1] & 0xff)) == lineTags[t]) {
          System.arraycopy(b, p, tagScratch, out, tagStarts[i + 1] - p);
          out += tagStarts[i + 1] - p;
          break;
        }
      }
    }
    if (out == end - start) {
      System.arraycopy(tagScratch, 0, b, start, out);
    }
  }

  @Override
  public void close() throws IOException {
    if (containers != null) {
      containers.close();
    } else {
      lines.close();
    }
  }

  private InputFormatException failure(RuntimeException e) {
    String where = lines != null ? "record " + recordsRead + " (line " + lineNumber + ")"
        : "after record " + recordsRead;
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

  /**
   * A byte sink whose array is read directly, so that each record is copied once; unsynchronized, unlike
   * {@link java.io.ByteArrayOutputStream}, since htsjdk writes a record in many small pieces.
   */
  private static final class Encoded extends java.io.OutputStream {
    private byte[] buf = new byte[1 << 12];
    private int count;

    @Override
    public void write(int b) {
      ensure(1);
      buf[count++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      ensure(len);
      System.arraycopy(b, off, buf, count, len);
      count += len;
    }

    private void ensure(int more) {
      if (count + more > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + more));
      }
    }

    void reset() {
      count = 0;
    }

    int size() {
      return count;
    }

    byte[] bytes() {
      return buf;
    }
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
