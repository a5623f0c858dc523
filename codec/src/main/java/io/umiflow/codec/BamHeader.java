package io.umiflow.codec;

import htsjdk.samtools.SAMFileHeader;
import htsjdk.samtools.SAMProgramRecord;
import htsjdk.samtools.SAMReadGroupRecord;
import htsjdk.samtools.SAMTextHeaderCodec;
import htsjdk.samtools.util.BufferedLineReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A BAM header: the SAM text exactly as it was (so our output keeps every line and field order) and the
 * binary reference list, plus htsjdk's parsed view for lookups (sort order, read groups, programs).
 */
public final class BamHeader {
  private static final byte[] MAGIC = {'B', 'A', 'M', 1};

  /** One {@code @SQ}-like entry of the binary reference list. */
  public record Reference(String name, int length) {}

  private final String text;
  private final List<Reference> references;
  private final SAMFileHeader parsed;

  /** Builds a header from SAM text and the binary reference list. */
  public BamHeader(String text, List<Reference> references) {
    this.text = text;
    this.references = List.copyOf(references);
    this.parsed = new SAMTextHeaderCodec().decode(BufferedLineReader.fromString(text), null);
  }

  /** A header from htsjdk's model (text re-encoded by htsjdk; references from the sequence dictionary). */
  public static BamHeader of(SAMFileHeader header) {
    java.io.StringWriter text = new java.io.StringWriter();
    new SAMTextHeaderCodec().encode(text, header);
    List<Reference> refs = new ArrayList<>();
    for (htsjdk.samtools.SAMSequenceRecord s : header.getSequenceDictionary().getSequences()) {
      refs.add(new Reference(s.getSequenceName(), s.getSequenceLength()));
    }
    return new BamHeader(text.toString(), refs);
  }

  /** The SAM header text. */
  public String text() {
    return text;
  }

  /** The binary reference list. */
  public List<Reference> references() {
    return references;
  }

  /** htsjdk's parsed view of the text. */
  public SAMFileHeader samHeader() {
    return parsed;
  }

  /** Reference name for an index, or {@code *}. */
  public String referenceName(int tid) {
    return tid >= 0 && tid < references.size() ? references.get(tid).name() : "*";
  }

  /**
   * A position as people write it, {@code chr1:1000} (1-based), or {@code unmapped} for {@link
   * PositionKey#UNKNOWN}: the one format of loci in messages, progress and errors.
   */
  public String locus(int tid, int pos) {
    return tid == PositionKey.UNKNOWN ? "unmapped" : referenceName(tid) + ":" + (pos + 1);
  }

  /**
   * Why this header does not declare template-coordinate order, or null when it does: {@code @HD} with
   * {@code SO:unsorted}, {@code GO:query} and {@code SS:[...:]template-coordinate}.
   */
  public String templateCoordinateProblem() {
    String hd = null;
    for (String line : text.split("\n")) {
      if (line.startsWith("@HD\t") || line.equals("@HD")) {
        hd = line;
        break;
      }
    }
    if (hd == null) {
      return "the header has no @HD line";
    }
    Map<String, String> f = new HashMap<>();
    for (String field : hd.split("\t")) {
      int c = field.indexOf(':');
      if (c == 2) {
        f.put(field.substring(0, 2), field.substring(3).trim());
      }
    }
    String so = f.get("SO");
    String go = f.get("GO");
    String ss = f.get("SS");
    String ssOrder = ss == null ? null : (ss.indexOf(':') >= 0 ? ss.substring(ss.indexOf(':') + 1) : ss);
    if (!"unsorted".equals(so) || !"query".equals(go) || !"template-coordinate".equals(ssOrder)) {
      String declared = (so == null ? "" : " SO:" + so) + (go == null ? "" : " GO:" + go) + (ss == null ? "" : " SS:" + ss);
      return "the header declares " + (declared.isEmpty() ? "no sort order" : declared.substring(1))
          + ", not template-coordinate order (SO:unsorted GO:query SS:unsorted:template-coordinate)";
    }
    return null;
  }

  /**
   * Library of each read group: {@code RG ID -> LB}, with "unknown" for read groups without one. Reads
   * whose read group is missing or unlisted also belong to "unknown".
   */
  public Map<String, String> librariesByReadGroup() {
    Map<String, String> m = new HashMap<>();
    for (SAMReadGroupRecord rg : parsed.getReadGroups()) {
      m.put(rg.getId(), rg.getLibrary() == null ? "unknown" : rg.getLibrary());
    }
    return m;
  }

  /**
   * A copy with one more {@code @PG} line: ID unique among the existing ones (name, then name.1, ...),
   * {@code PP} the last program of the existing chain (the last listed program no other refers to).
   */
  public BamHeader withProgram(String name, String version, String commandLine) {
    Set<String> ids = new HashSet<>();
    Set<String> referenced = new HashSet<>();
    List<String> order = new ArrayList<>();
    for (SAMProgramRecord pg : parsed.getProgramRecords()) {
      ids.add(pg.getId());
      order.add(pg.getId());
      if (pg.getPreviousProgramGroupId() != null) {
        referenced.add(pg.getPreviousProgramGroupId());
      }
    }
    String id = name;
    for (int i = 1; ids.contains(id); i++) {
      id = name + "." + i;
    }
    String previous = null;
    for (String pg : order) {
      if (!referenced.contains(pg)) {
        previous = pg;
      }
    }
    StringBuilder line = new StringBuilder("@PG\tID:").append(id).append("\tPN:").append(name);
    if (previous != null) {
      line.append("\tPP:").append(previous);
    }
    line.append("\tVN:").append(version);
    if (commandLine != null && !commandLine.isEmpty()) {
      line.append("\tCL:").append(commandLine.replace('\t', ' ').replace('\n', ' '));
    }
    String base = text.isEmpty() || text.endsWith("\n") ? text : text + "\n";
    return new BamHeader(base + line + "\n", references);
  }

  /** The binary BAM header: magic, text, reference list. */
  public byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() + 64 * references.size() + 16);
    byte[] t = text.getBytes(StandardCharsets.UTF_8);
    out.writeBytes(MAGIC);
    writeI32(out, t.length);
    out.writeBytes(t);
    writeI32(out, references.size());
    for (Reference r : references) {
      byte[] n = r.name().getBytes(StandardCharsets.UTF_8);
      writeI32(out, n.length + 1);
      out.writeBytes(n);
      out.write(0);
      writeI32(out, r.length());
    }
    return out.toByteArray();
  }

  private static void writeI32(ByteArrayOutputStream out, int v) {
    out.write(v);
    out.write(v >>> 8);
    out.write(v >>> 16);
    out.write(v >>> 24);
  }

  /** A header together with the number of bytes it took at the start of the decompressed stream. */
  public record Parsed(BamHeader header, int consumed) {}

  /**
   * Parses a header from the start of decompressed BAM bytes {@code b[0..len)}. Returns null when more
   * bytes are needed; throws when the bytes are not a BAM header.
   */
  public static Parsed parse(byte[] b, int len, String source) throws InputFormatException {
    if (len < 8) {
      return null;
    }
    for (int i = 0; i < 4; i++) {
      if (b[i] != MAGIC[i]) {
        throw new InputFormatException(source + ": not a BAM file (no BAM magic after decompressing)");
      }
    }
    int lText = BamRecord.i32(b, 4);
    if (lText < 0) {
      throw new InputFormatException(source + ": corrupt BAM header (text length " + lText + ")");
    }
    long p = 8L + lText;
    if (p + 4 > len) {
      return null;
    }
    int textEnd = 8 + lText;
    while (textEnd > 8 && b[textEnd - 1] == 0) {
      textEnd--;
    }
    String text = new String(b, 8, textEnd - 8, StandardCharsets.UTF_8);
    int nRef = BamRecord.i32(b, (int) p);
    if (nRef < 0) {
      throw new InputFormatException(source + ": corrupt BAM header (reference count " + nRef + ")");
    }
    p += 4;
    List<Reference> refs = new ArrayList<>(Math.min(nRef, 1 << 16));
    for (int i = 0; i < nRef; i++) {
      if (p + 4 > len) {
        return null;
      }
      int lName = BamRecord.i32(b, (int) p);
      if (lName < 1) {
        throw new InputFormatException(source + ": corrupt BAM header (reference " + i + " name length " + lName + ")");
      }
      if (p + 4 + lName + 4 > len) {
        return null;
      }
      String name = new String(b, (int) p + 4, lName - 1, StandardCharsets.UTF_8);
      int length = BamRecord.i32(b, (int) p + 4 + lName);
      refs.add(new Reference(name, length));
      p += 8 + lName;
    }
    try {
      return new Parsed(new BamHeader(text, refs), (int) p);
    } catch (RuntimeException e) {
      throw new InputFormatException(source + ": malformed SAM header text (" + e.getMessage() + ")", e);
    }
  }

  /** Reads a header from a decompressed stream (tests and small tools); the stream is left after it. */
  public static BamHeader read(InputStream in, String source) throws IOException {
    byte[] buf = new byte[1 << 16];
    int len = 0;
    while (true) {
      Parsed p = parse(buf, len, source);
      if (p != null) {
        if (p.consumed() != len) {
          throw new IllegalStateException("read past the header");
        }
        return p.header();
      }
      int need = needed(buf, len);
      if (need > buf.length) {
        buf = java.util.Arrays.copyOf(buf, need);
      }
      int n = in.readNBytes(buf, len, need - len);
      if (n <= 0) {
        throw new InputFormatException(source + ": file ends inside the BAM header");
      }
      len += n;
    }
  }

  /** How many bytes the header parser needs to make progress (exactly, so a stream is not over-read). */
  private static int needed(byte[] b, int len) {
    if (len < 8) {
      return 8;
    }
    int p = 8 + BamRecord.i32(b, 4);
    if (len < p + 4) {
      return p + 4;
    }
    int nRef = BamRecord.i32(b, p);
    p += 4;
    for (int i = 0; i < nRef; i++) {
      if (len < p + 4) {
        return p + 4;
      }
      int lName = BamRecord.i32(b, p);
      if (len < p + 8 + lName) {
        return p + 8 + lName;
      }
      p += 8 + lName;
    }
    return len;
  }
}
