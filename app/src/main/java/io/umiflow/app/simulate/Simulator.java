package io.umiflow.app.simulate;

import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BgzfOutputStream;
import io.umiflow.codec.DeflateBackend;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Writes a simulated, template-coordinate-sorted BAM: molecules on a few contigs, paired reads, UMI
 * families, sequencing noise. The output is already in {@code samtools sort --template-coordinate} order:
 * per contig, first the pairs with both ends on it by (start, end), then the pairs whose other end is on a
 * later contig or unmapped (samtools orders by both references before positions), and pairs with both
 * reads unmapped at the very end; inside a position group by library, then name.
 *
 * <p>Cost: molecules are generated per contig and sorted by a packed long (8 bytes each); templates are
 * streamed as they are made, except the few deferred ones above, which are held encoded until the end of
 * their contig. Memory stays near 20 bytes per molecule of the largest contig. Over 300 lines because each
 * shape knob (hotspots, amplicons, libraries, cells, errors) is a few lines of one generation loop.
 */
public final class Simulator {
  private static final int OP_M = 0;
  private static final int OP_S = 4;
  private static final int OP_H = 5;
  private static final String BASES = "ACGT";
  private static final int INSERT_BITS = 21;

  private final SimulationParameters p;
  private final SplittableRandom rnd;
  private final RecordBuilder rb = new RecordBuilder();
  private final String[] cellBarcodes;
  private OutputStream out;
  private long nameCounter;
  private long records;
  /** {@code records}, published every 1024 records for a progress display on another thread. */
  private volatile long recordsPublished;
  private long templates;
  private long molecules;
  private final List<Deferred> unmappedPairs = new ArrayList<>();

  /** A template held back to be written at the end of its contig or of the file, in samtools order. */
  private record Deferred(int tid2, int pos1, int pos2, boolean neg1, boolean neg2, int library, String name,
                          byte[] bytes) {}

  private static final Comparator<Deferred> SAMTOOLS_ORDER = Comparator
      .comparingInt(Deferred::tid2)
      .thenComparingInt(Deferred::pos1)
      .thenComparingInt(Deferred::pos2)
      .thenComparing(Deferred::neg1, Comparator.reverseOrder())
      .thenComparing(Deferred::neg2, Comparator.reverseOrder())
      .thenComparingInt(Deferred::library)
      .thenComparing(Deferred::name);

  /** What a run wrote. */
  public record Result(long records, long templates, long molecules) {}

  /** A simulator for these parameters. */
  public Simulator(SimulationParameters p) {
    this.p = p;
    this.rnd = new SplittableRandom(p.seed());
    this.cellBarcodes = new String[p.cells()];
    for (int i = 0; i < p.cells(); i++) {
      cellBarcodes[i] = randomBases(16) + "-1";
    }
  }

  /** The header: template-coordinate order, contigs, one read group per library. */
  public BamHeader header(String commandLine) {
    StringBuilder t = new StringBuilder("@HD\tVN:1.6\tSO:unsorted\tGO:query\tSS:unsorted:template-coordinate\n");
    List<BamHeader.Reference> refs = new ArrayList<>();
    for (int c = 0; c < p.contigs(); c++) {
      t.append("@SQ\tSN:chr").append(c + 1).append("\tLN:").append(p.contigLength()).append('\n');
      refs.add(new BamHeader.Reference("chr" + (c + 1), p.contigLength()));
    }
    for (int l = 0; l < p.libraries(); l++) {
      t.append("@RG\tID:").append(readGroup(l)).append("\tLB:").append(library(l)).append("\tSM:sim\tPL:ILLUMINA\n");
    }
    t.append("@PG\tID:umiflow-simulate\tPN:umiflow\tCL:").append(commandLine.replace('\t', ' ')).append('\n');
    return new BamHeader(t.toString(), refs);
  }

  private static String readGroup(int l) {
    return String.valueOf((char) ('A' + l % 26)) + (l >= 26 ? String.valueOf(l / 26) : "");
  }

  private static String library(int l) {
    return String.format(Locale.ROOT, "lib%02d", l + 1);
  }

  /** Writes the whole BAM to {@code raw} (closed at the end). */
  public Result run(OutputStream raw, int level, DeflateBackend backend, String commandLine) throws IOException {
    try (BgzfOutputStream bgzf = new BgzfOutputStream(raw, level, backend)) {
      out = bgzf;
      bgzf.write(header(commandLine).encode());
      double meanFamily = p.familyMean() * (1 - p.largeFamilyRate()) + p.largeFamilyRate() * p.largeFamilySize();
      long regular = Math.round(p.records() / 2.0 / meanFamily);
      for (int c = 0; c < p.contigs(); c++) {
        long n = regular / p.contigs() + (c < regular % p.contigs() ? 1 : 0);
        writeContig(c, n);
      }
      unmappedPairs.sort(SAMTOOLS_ORDER);
      for (Deferred d : unmappedPairs) {
        writeBytes(d.bytes());
      }
      flush();
    }
    recordsPublished = records;
    return new Result(records, templates, molecules);
  }

  /** Records written so far, as of the last 1024; safe to call from any thread while {@link #run} runs. */
  public long recordsSoFar() {
    return recordsPublished;
  }

  private void counted() {
    if ((++records & 1023) == 0) {
      recordsPublished = records;
    }
  }

  private void writeContig(int c, long regular) throws IOException {
    int maxInsert = p.insertMean() + 4 * p.insertSd();
    List<Long> lociKeys = new ArrayList<>();
    List<Long> lociMolecules = new ArrayList<>();
    long total = regular;
    for (int i = c; i < p.ampliconLoci(); i += p.contigs()) {
      int start = (int) ((long) (p.contigLength() - maxInsert) * (i / p.contigs() + 1) / (p.ampliconLoci() / p.contigs() + 2));
      lociKeys.add(((long) start << INSERT_BITS) | p.insertMean());
      long molecules = Math.max(1, Math.round(p.ampliconTemplates(i) / p.familyMean()));
      lociMolecules.add(molecules);
      total += molecules;
    }
    if (total > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("too many molecules on one contig: " + total);
    }
    long[] keys = new long[(int) total];
    int k = 0;
    for (long i = 0; i < regular; i++) {
      int start = rnd.nextInt(p.contigLength() - maxInsert - 1);
      keys[k++] = ((long) start << INSERT_BITS) | insert();
    }
    for (int l = 0; l < lociKeys.size(); l++) {
      for (long i = 0; i < lociMolecules.get(l); i++) {
        keys[k++] = lociKeys.get(l);
      }
    }
    Arrays.sort(keys);
    List<Deferred> deferred = new ArrayList<>();
    for (int i = 0; i < keys.length; ) {
      int j = i + 1;
      while (j < keys.length && keys[j] == keys[i]) {
        j++;
      }
      int start = (int) (keys[i] >>> INSERT_BITS);
      int insert = (int) (keys[i] & ((1 << INSERT_BITS) - 1));
      writePositionGroup(c, start, insert, j - i, deferred);
      i = j;
    }
    deferred.sort(SAMTOOLS_ORDER);
    for (Deferred d : deferred) {
      writeBytes(d.bytes());
    }
  }

  private int insert() {
    double v = p.insertMean() + gaussian() * p.insertSd();
    return (int) Math.max(p.readLength(), Math.min(p.insertMean() + 4L * p.insertSd(), Math.round(v)));
  }

  private double gaussian() {
    double u1 = Math.max(1e-12, rnd.nextDouble());
    double u2 = rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  private int familySize() {
    if (p.largeFamilyRate() > 0 && rnd.nextDouble() < p.largeFamilyRate()) {
      return Math.max(1, (int) Math.round(p.largeFamilySize() * (0.75 + 0.5 * rnd.nextDouble())));
    }
    double s = p.familySigma();
    double mu = Math.log(p.familyMean()) - s * s / 2;
    return (int) Math.max(1, Math.round(Math.exp(mu + s * gaussian())));
  }

  /** All molecules sharing one (start, insert): drawn first, then written library by library. */
  private void writePositionGroup(int c, int start, int insert, int count, List<Deferred> deferred) throws IOException {
    int[] lib = new int[count];
    int[] family = new int[count];
    String[] umiA = new String[count];
    String[] umiB = new String[count];
    String[] cell = new String[count];
    boolean[] f2r1 = new boolean[count];
    for (int m = 0; m < count; m++) {
      lib[m] = rnd.nextInt(p.libraries());
      family[m] = familySize();
      umiA[m] = randomBases(p.umiLength());
      umiB[m] = p.duplex() ? randomBases(p.umiLength()) : null;
      cell[m] = p.cells() > 0 ? cellBarcodes[rnd.nextInt(p.cells())] : null;
      f2r1[m] = rnd.nextBoolean();
    }
    molecules += count;
    for (int l = 0; l < p.libraries(); l++) {
      for (int m = 0; m < count; m++) {
        if (lib[m] != l) {
          continue;
        }
        for (int t = 0; t < family[m]; t++) {
          boolean strandB = p.duplex() ? rnd.nextBoolean() : f2r1[m];
          String umi = p.duplex()
              ? (strandB ? noisy(umiB[m]) + "-" + noisy(umiA[m]) : noisy(umiA[m]) + "-" + noisy(umiB[m]))
              : noisy(umiA[m]);
          writeTemplate(c, start, insert, strandB, l, umi, cell[m], deferred);
        }
      }
    }
  }

  private String randomBases(int n) {
    char[] b = new char[n];
    for (int i = 0; i < n; i++) {
      b[i] = BASES.charAt(rnd.nextInt(4));
    }
    return new String(b);
  }

  private String noisy(String umi) {
    char[] b = null;
    for (int i = 0; i < umi.length(); i++) {
      if (p.umiErrorRate() > 0 && rnd.nextDouble() < p.umiErrorRate()) {
        b = b == null ? umi.toCharArray() : b;
        b[i] = BASES.charAt((BASES.indexOf(b[i]) + 1 + rnd.nextInt(3)) % 4);
      }
    }
    if (p.nRate() > 0 && rnd.nextDouble() < p.nRate()) {
      b = b == null ? umi.toCharArray() : b;
      b[rnd.nextInt(b.length)] = 'N';
    }
    return b == null ? umi : new String(b);
  }

  private String nextName() {
    return String.format(Locale.ROOT, "sim:%010x", nameCounter++);
  }

  /**
   * One template of a molecule at [start, start+insert). {@code f2r1}: R1 is the reverse read at the
   * upper end (the B strand of a duplex).
   */
  private void writeTemplate(int c, int start, int insert, boolean f2r1, int lib, String umi, String cell,
                             List<Deferred> deferred) throws IOException {
    templates++;
    String name = nextName();
    int len = p.readLength();
    int end = start + insert - 1;
    boolean qcFail = rnd.nextDouble() < p.qcFailRate();
    int qc = qcFail ? 0x200 : 0;
    double noise = rnd.nextDouble();
    if (noise < p.unmappedRate()) {
      int from = rb.length();
      unmappedRead(name, 0x1 | 0x4 | 0x8 | 0x40 | qc, -1, -1, -1, -1, lib, umi, cell, null, 0);
      unmappedRead(name, 0x1 | 0x4 | 0x8 | 0x80 | qc, -1, -1, -1, -1, lib, umi, cell, null, 0);
      unmappedPairs.add(new Deferred(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, false, false, lib, name,
          take(from)));
      return;
    }
    noise -= p.unmappedRate();
    boolean chimera = noise < p.chimeraRate() && c + 1 < p.contigs();
    noise -= p.chimeraRate();
    boolean mateUnmapped = !chimera && noise >= 0 && noise < p.unmappedMateRate();
    int mapq1 = 60;
    int mapq2 = 60;
    if (rnd.nextDouble() < p.mapq0Rate()) {
      if (rnd.nextBoolean()) mapq1 = 0; else mapq2 = 0;
    }
    // the forward read at start, the reverse read ending at end
    int clipF = rnd.nextDouble() < p.softClipRate() ? 1 + rnd.nextInt(Math.min(10, len / 4)) : 0;
    int clipR = rnd.nextDouble() < p.softClipRate() ? 1 + rnd.nextInt(Math.min(10, len / 4)) : 0;
    int[] cigarF = clipF > 0 ? new int[] {clipF << 4 | OP_S, (len - clipF) << 4 | OP_M} : new int[] {len << 4 | OP_M};
    int[] cigarR = clipR > 0 ? new int[] {(len - clipR) << 4 | OP_M, clipR << 4 | OP_S} : new int[] {len << 4 | OP_M};
    int posF = start + clipF;
    int posR = end - len + 1;
    int flagF = f2r1 ? 0x80 : 0x40;
    int flagR = f2r1 ? 0x40 : 0x80;
    if (mateUnmapped) {
      // the mapped read is R1's role end; its mate sits unmapped at its position
      boolean mappedReverse = rnd.nextBoolean();
      int mpos = mappedReverse ? posR : posF;
      int[] mcig = mappedReverse ? cigarR : cigarF;
      int five = mappedReverse ? end : start;
      int from = rb.length();
      mapped(name, 0x1 | 0x8 | 0x40 | (mappedReverse ? 0x10 : 0) | qc, c, mpos, mapq1, mcig, c, mpos, 0, lib, umi, cell,
          null, 0);
      // MC lets samtools compute the mapped mate's 5' end, so both records get the same sort key
      unmappedRead(name, 0x1 | 0x4 | 0x80 | (mappedReverse ? 0x20 : 0) | qc, c, mpos, c, mpos, lib, umi, cell,
          cigarString(mcig), mapq1);
      deferred.add(new Deferred(Integer.MAX_VALUE, five, Integer.MAX_VALUE, mappedReverse, false, lib, name, take(from)));
      return;
    }
    if (chimera) {
      int c2 = c + 1 + rnd.nextInt(p.contigs() - c - 1);
      int pos2 = rnd.nextInt(p.contigLength() - len - 1);
      int from = rb.length();
      // lower end: the forward read on this contig; the other end forward on a later contig
      mapped(name, 0x1 | flagF | qc, c, posF, mapq1, cigarF, c2, pos2, 0, lib, umi, cell, cigarString(cigarF2(len)),
          mapq2);
      mapped(name, 0x1 | flagR | qc, c2, pos2, mapq2, cigarF2(len), c, posF, 0, lib, umi, cell,
          cigarString(cigarF), mapq1);
      deferred.add(new Deferred(c2, start, pos2, false, false, lib, name, take(from)));
      return;
    }
    mapped(name, 0x1 | 0x2 | 0x20 | flagF | qc, c, posF, mapq1, cigarF, c, posR, insert, lib, umi, cell,
        cigarString(cigarR), mapq2);
    mapped(name, 0x1 | 0x2 | 0x10 | flagR | qc, c, posR, mapq2, cigarR, c, posF, -insert, lib, umi, cell,
        cigarString(cigarF), mapq1);
    if (rnd.nextDouble() < p.secondaryRate()) {
      mapped(name, 0x1 | 0x2 | 0x20 | 0x100 | flagF | qc, c, posF, 0, cigarF, c, posR, insert, lib, umi, cell,
          cigarString(cigarR), mapq2);
    }
    if (rnd.nextDouble() < p.supplementaryRate()) {
      int half = len / 2;
      int[] supp = {half << 4 | OP_M, (len - half) << 4 | OP_H};
      mapped(name, 0x1 | 0x2 | 0x20 | 0x800 | flagF | qc, c, start, 0, supp, c, posR, insert, lib, umi, cell,
          cigarString(cigarR), mapq2, half);
    }
    if (rb.length() > (1 << 20)) {
      flush();
    }
  }

  private static int[] cigarF2(int len) {
    return new int[] {len << 4 | OP_M};
  }

  private static String cigarString(int[] cigar) {
    return RecordBuilder.cigarString(cigar);
  }

  private void mapped(String name, int flag, int ref, int pos, int mapq, int[] cigar, int mref, int mpos, int tlen,
                      int lib, String umi, String cell, String mateCigar, int mateMapq) {
    mapped(name, flag, ref, pos, mapq, cigar, mref, mpos, tlen, lib, umi, cell, mateCigar, mateMapq, p.readLength());
  }

  private void mapped(String name, int flag, int ref, int pos, int mapq, int[] cigar, int mref, int mpos, int tlen,
                      int lib, String umi, String cell, String mateCigar, int mateMapq, int seqLength) {
    rb.start(name, flag, ref, pos, mapq, cigar, mref, mpos, tlen, seqLength, rnd);
    tags(lib, umi, cell, mateCigar, mateMapq);
    rb.finish();
    counted();
  }

  private void unmappedRead(String name, int flag, int ref, int pos, int mref, int mpos, int lib, String umi,
                            String cell, String mateCigar, int mateMapq) {
    rb.start(name, flag, ref, pos, 0, new int[0], mref, mpos, 0, p.readLength(), rnd);
    tags(lib, umi, cell, mateCigar, mateMapq);
    rb.finish();
    counted();
  }

  /** RG, RX, CB when cells are simulated, and MC/MQ when the mate is mapped (null mate CIGAR otherwise). */
  private void tags(int lib, String umi, String cell, String mateCigar, int mateMapq) {
    rb.tagZ("RG", readGroup(lib));
    rb.tagZ("RX", umi);
    if (cell != null) {
      rb.tagZ("CB", cell);
    }
    if (mateCigar != null) {
      rb.tagZ("MC", mateCigar);
      rb.tagC("MQ", mateMapq);
    }
  }

  /** Removes the records written since {@code from} from the buffer and returns them. */
  private byte[] take(int from) {
    byte[] b = rb.copy(from);
    rb.truncate(from);
    return b;
  }

  private void flush() throws IOException {
    out.write(rb.buffer(), 0, rb.length());
    rb.clear();
  }

  private void writeBytes(byte[] b) throws IOException {
    flush();
    out.write(b);
  }
}
