package io.umiflow.bench;

import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BamRecord;
import io.umiflow.codec.BgzfInputStream;
import io.umiflow.codec.InputFormatException;
import io.umiflow.codec.PositionKey;
import io.umiflow.codec.RecordSplitter;
import io.umiflow.codec.TagEditor;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The per-record work outside compression, one thread, over every record of a real BAM's decompressed bytes
 * ({@code ../shared/compat/single.tc.bam}, or {@code -Dbam=FILE}); one operation is one pass over all of them,
 * so ns/record = the score / {@link #records}:
 * <ul>
 *   <li>{@code split}: cutting the byte stream into records and checking each one's layout (the grouper);
 *   <li>{@code decode}: the fields the grouper and the classifier read (flag, reference, MAPQ, name, the UMI,
 *       read group and cell tags in one walk);
 *   <li>{@code positionKey}: the template-coordinate key and fgbio's R1-lower rule for each record as a
 *       one-ended template (CIGAR decode for the unclipped 5' position);
 *   <li>{@code tagEdit}: copying each record with its {@code MI} tag set (the processors' output).
 * </ul>
 * The launcher runs C1 only ({@code -XX:TieredStopAtLevel=1}); pass it with {@code -jvmArgs} to measure what
 * umiflow runs, or leave it out for C2.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class RecordBenchmark {
  private byte[] stream;
  private int streamLength;
  private int[] offsets;
  /** Records in one pass: divide a score by this for the cost per record. */
  public int records;
  private byte[] edited;
  private final byte[] id = "123456".getBytes();
  private final int[] tagCodes = {BamRecord.tagCode("RX"), BamRecord.tagCode("RG"), BamRecord.tagCode("CB")};
  private final int[] tagOffsets = new int[3];
  private final PositionKey key = new PositionKey();
  private final RecordSplitter.Sink discard = (b, off, len, no) -> { };

  @Setup
  public void setup() throws IOException {
    Path bam = Paths.get(System.getProperty("bam", "../shared/compat/single.tc.bam"));
    try (BgzfInputStream in = new BgzfInputStream(new BufferedInputStream(Files.newInputStream(bam)), bam.toString())) {
      BamHeader.read(in, bam.toString());
      stream = in.readAllBytes();
    }
    streamLength = stream.length;
    int[] found = new int[1 << 16];
    int[] n = {0};
    int[][] holder = {found};
    new RecordSplitter(bam.toString()).feed(stream, 0, streamLength, (b, off, len, no) -> {
      if (n[0] == holder[0].length) {
        holder[0] = java.util.Arrays.copyOf(holder[0], n[0] * 2);
      }
      holder[0][n[0]++] = off;
    });
    records = n[0];
    offsets = java.util.Arrays.copyOf(holder[0], records);
    edited = new byte[streamLength + 16 * records];
    System.out.printf("%n%s: %d records, %d bytes%n", bam, records, streamLength);
  }

  @Benchmark
  public long split() throws InputFormatException {
    RecordSplitter splitter = new RecordSplitter("bench");
    splitter.feed(stream, 0, streamLength, discard);
    return splitter.records();
  }

  @Benchmark
  public void decode(Blackhole bh) {
    byte[] d = stream;
    for (int o : offsets) {
      bh.consume(BamRecord.flag(d, o) + BamRecord.refId(d, o) + BamRecord.mapq(d, o) + BamRecord.readNameLength(d, o));
      BamRecord.findTags(d, o, tagCodes, tagOffsets);
      bh.consume(tagOffsets[0] + tagOffsets[1] + tagOffsets[2]);
    }
  }

  @Benchmark
  public void positionKey(Blackhole bh) {
    byte[] d = stream;
    for (int o : offsets) {
      key.set(d, o, d, -1);
      bh.consume(key.pos1());
      bh.consume(key.r1IsLowerOf(d, o, d, -1));
    }
  }

  @Benchmark
  public int tagEdit() {
    byte[] d = stream;
    int at = 0;
    for (int o : offsets) {
      at += TagEditor.copyWithStringTag(d, o, 'M', 'I', id, id.length, edited, at);
    }
    return at;
  }
}
