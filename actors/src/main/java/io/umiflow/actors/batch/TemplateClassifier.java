package io.umiflow.actors.batch;
import io.umiflow.actors.GroupSettings;

import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BamRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Applies fgbio's template filters and reads what partitioning and assignment need from each kept
 * template: its UMI, library and cell barcode, as offsets into the batch's data. One per processor; the
 * per-template arrays are reused from batch to batch and indexed by template number.
 */
public final class TemplateClassifier {
  public static final int KEEP = 0;
  static final int NON_PF = 1;
  static final int POOR_ALIGNMENT = 2;
  static final int NS_IN_UMI = 3;
  static final int TOO_SHORT = 4;

  private final GroupSettings settings;
  private final String source;
  private final char raw0;
  private final char raw1;
  /** Tags read from each template's first record in one walk: raw UMI, read group, cell barcode. */
  private final int[] tagCodes;
  private final int[] tagOffsets = new int[3];
  // library lookup: read group id bytes -> library ordinal (libraries in name order; "unknown" among them)
  private final List<byte[]> readGroupIds = new ArrayList<>();
  private final List<Integer> readGroupLibrary = new ArrayList<>();
  private final int unknownLibrary;

  // per template of the current batch
  public int[] library = new int[64];
  public int[] cellOff = new int[64];
  public int[] cellLen = new int[64];
  public int[] umiOff = new int[64];
  public int[] umiLen = new int[64];

  public TemplateClassifier(GroupSettings settings, BamHeader header) {
    this.settings = settings;
    this.source = settings.source();
    this.raw0 = settings.rawTag().charAt(0);
    this.raw1 = settings.rawTag().charAt(1);
    this.tagCodes = new int[] {BamRecord.tagCode(settings.rawTag()), BamRecord.tagCode("RG"),
        BamRecord.tagCode(settings.cellTag())};
    Map<String, String> libs = header.librariesByReadGroup();
    List<String> names = new ArrayList<>(new java.util.TreeSet<>(libs.values()));
    if (!names.contains("unknown")) {
      names.add("unknown");
      names.sort(null);
    }
    for (Map.Entry<String, String> e : libs.entrySet()) {
      readGroupIds.add(e.getKey().getBytes(StandardCharsets.UTF_8));
      readGroupLibrary.add(names.indexOf(e.getValue()));
    }
    this.unknownLibrary = names.indexOf("unknown");
  }

  /** Makes room for a batch of {@code n} templates. */
  public void ensure(int n) {
    if (library.length < n) {
      int cap = Math.max(n, library.length * 2);
      library = new int[cap];
      cellOff = new int[cap];
      cellLen = new int[cap];
      umiOff = new int[cap];
      umiLen = new int[cap];
    }
  }

  /** Gives back per-template arrays grown for a large batch. */
  void release() {
    library = new int[64];
    cellOff = new int[64];
    cellLen = new int[64];
    umiOff = new int[64];
    umiLen = new int[64];
  }

  /** Bytes held by the per-template arrays. */
  public long retainedBytes() {
    return 20L * library.length;
  }

  /**
   * fgbio's filters in its order (non-PF, all unmapped, MAPQ, N in UMI, UMI too short). Also reads, in one
   * walk over the first primary record's tags, the UMI (R1's raw tag, else R2's), library and cell.
   */
  public int classify(Batch b, int t) {
    byte[] d = b.data();
    int r1 = b.r1()[t];
    int r2 = b.r2()[t];
    int f1 = r1 >= 0 ? BamRecord.flag(d, r1) : BamRecord.FLAG_UNMAPPED;
    int f2 = r2 >= 0 ? BamRecord.flag(d, r2) : BamRecord.FLAG_UNMAPPED;
    // fgbio 4.1 tests QC-fail before "all unmapped" (GROUPING.md lists them the other way round; the compat
    // metrics count QC-fail unmapped pairs as discarded_non_pf, and they are the contract).
    if (!settings.includeNonPf()
        && ((r1 >= 0 && (f1 & BamRecord.FLAG_QC_FAIL) != 0) || (r2 >= 0 && (f2 & BamRecord.FLAG_QC_FAIL) != 0))) {
      return NON_PF;
    }
    if ((f1 & BamRecord.FLAG_UNMAPPED) != 0 && (f2 & BamRecord.FLAG_UNMAPPED) != 0) {
      return POOR_ALIGNMENT;
    }
    int minMapQ = settings.minMapQ();
    if ((r1 >= 0 && (f1 & BamRecord.FLAG_UNMAPPED) == 0 && BamRecord.mapq(d, r1) < minMapQ)
        || (r2 >= 0 && (f2 & BamRecord.FLAG_UNMAPPED) == 0 && BamRecord.mapq(d, r2) < minMapQ)) {
      return POOR_ALIGNMENT;
    }
    int rec = BatchAssigner.first(b, t);
    BamRecord.findTags(d, rec, tagCodes, tagOffsets);
    int recEnd = rec + BamRecord.totalSize(d, rec);
    library[t] = libraryOf(d, tagOffsets[1], recEnd);
    int cellTag = tagOffsets[2];
    cellLen[t] = cellTag < 0 ? -1 : BamRecord.stringLength(d, cellTag, recEnd);
    cellOff[t] = cellTag + 1;
    int tag = tagOffsets[0];
    if (tag < 0 && rec == r1 && r2 >= 0) {
      rec = r2;
      recEnd = rec + BamRecord.totalSize(d, rec);
      tag = BamRecord.findTag(d, rec, raw0, raw1);
    }
    int len = tag < 0 ? -1 : BamRecord.stringLength(d, tag, recEnd);
    if (len <= 0) {
      throw new JobFailure(source + ": record " + b.recordNumber()[t] + " (read " + BamRecord.readName(d, BatchAssigner.first(b, t))
          + ") " + (tag < 0 ? "has no " + settings.rawTag() + " tag" : "has an empty or non-string "
          + settings.rawTag() + " tag") + "; every kept template needs its UMI (see " + settings.option("--raw-tag") + ")");
    }
    int start = tag + 1;
    int acgt = 0;
    for (int i = 0; i < len; i++) {
      byte c = d[start + i];
      if (c == 'N' || c == 'n') {
        return NS_IN_UMI;
      }
      if (c == 'A' || c == 'C' || c == 'G' || c == 'T' || c == 'a' || c == 'c' || c == 'g' || c == 't') {
        acgt++;
      }
    }
    if (settings.minUmiLength() > 0 && acgt < settings.minUmiLength()) {
      return TOO_SHORT;
    }
    umiOff[t] = start;
    umiLen[t] = len;
    return KEEP;
  }

  int comparePartition(byte[] d, int x, int y) {
    int c = Integer.compare(library[x], library[y]);
    if (c != 0) {
      return c;
    }
    if (cellLen[x] < 0 || cellLen[y] < 0) {
      return Integer.compare(cellLen[x], cellLen[y]);
    }
    return Arrays.compareUnsigned(d, cellOff[x], cellOff[x] + cellLen[x], d, cellOff[y], cellOff[y] + cellLen[y]);
  }

  /** Library ordinal of the read group whose RG tag type byte is at {@code tag} (-1: none). */
  private int libraryOf(byte[] d, int tag, int recEnd) {
    if (tag < 0) {
      return unknownLibrary;
    }
    int len = BamRecord.stringLength(d, tag, recEnd);
    for (int i = 0; i < readGroupIds.size(); i++) {
      byte[] id = readGroupIds.get(i);
      if (id.length == len && Arrays.equals(id, 0, len, d, tag + 1, tag + 1 + len)) {
        return readGroupLibrary.get(i);
      }
    }
    return unknownLibrary;
  }
}
