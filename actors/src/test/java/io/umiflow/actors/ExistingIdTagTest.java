package io.umiflow.actors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import io.umiflow.assign.Strategy;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BamRecord;
import io.umiflow.codec.BgzfOutputStream;
import io.umiflow.codec.DeflateBackend;
import io.umiflow.codec.TagEditor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Input that already holds the ids' tag (a BAM grouped before): the tag is replaced, never doubled. Batches
 * cut before the grouper has seen the tag append it without a search; this checks the batch where the tag
 * first turns up and all after it, against the same input without the tag.
 */
class ExistingIdTagTest {
  private static final ActorTestKit KIT = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    KIT.shutdownTestKit();
  }

  @TempDir
  Path tmp;

  @ParameterizedTest(name = "{0} {1}, MI from record {2}")
  @CsvSource({"single, adjacency, 30000", "paired, paired, 1", "paired, paired, 61000"})
  void inputWithOldIds_sameRecordsAsWithout(String compat, String strategy, int from) throws IOException {
    Path plain = JobRunner.shared(compat + ".tc.bam");
    List<byte[]> records = JobRunner.records(plain);
    assertTrue(records.size() > from, records.size() + " records");
    Path tagged = tmp.resolve("tagged.bam");
    BamHeader header = BamHeader.of(htsjdk.samtools.SamReaderFactory.makeDefault().getFileHeader(plain));
    byte[] old = "999999/B".getBytes(StandardCharsets.US_ASCII);
    try (BgzfOutputStream o = new BgzfOutputStream(Files.newOutputStream(tagged), 1, DeflateBackend.JDK)) {
      o.write(header.encode());
      for (int r = 0; r < records.size(); r++) {
        byte[] rec = records.get(r);
        if (r + 1 >= from) { // appended last, where a new MI goes: replacing it gives the untagged run's bytes
          byte[] with = new byte[TagEditor.maxEditedSize(rec, 0, old.length)];
          rec = Arrays.copyOf(with, TagEditor.copyWithStringTag(rec, 0, 'M', 'I', old, old.length, with, 0));
        }
        o.write(rec);
      }
    }
    List<byte[]> expected = run(plain, strategy);
    List<byte[]> actual = run(tagged, strategy);
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), actual.get(i), "record " + (i + 1) + " ("
          + BamRecord.stringTag(actual.get(i), 0, 'M', 'I') + ")");
    }
  }

  /** The output records of a run with small batches (many cuts before and after the tag turns up). */
  private List<byte[]> run(Path in, String strategy) throws IOException {
    Path out = tmp.resolve(in.getFileName() + ".out.bam");
    GroupSettings s = GroupSettings.builder().input(in.toString()).output(out.toString())
        .strategy(Strategy.parse(strategy)).threads(2).memoryBudget(24L << 20).progressMillis(0).build();
    assertInstanceOf(GroupJob.Completed.class, JobRunner.run(KIT, s));
    return JobRunner.records(out);
  }
}
