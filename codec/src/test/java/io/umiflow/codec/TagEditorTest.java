package io.umiflow.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class TagEditorTest {
  @Test
  void copyWithStringTag_absentTag_appendsAndKeepsEveryOtherByte() throws IOException {
    BamHeader[] h = new BamHeader[1];
    List<byte[]> records = BamCodecTest.readRaw(Files.newInputStream(CompatData.file("single.tc.bam")), "single", h);
    byte[] value = "12345".getBytes(StandardCharsets.US_ASCII);
    for (byte[] r : records.subList(0, 2000)) {
      byte[] dst = new byte[TagEditor.maxEditedSize(r, 0, value.length)];
      int n = TagEditor.copyWithStringTag(r, 0, 'M', 'I', value, value.length, dst, 0);
      assertEquals(r.length + 4 + value.length, n);
      assertArrayEquals(Arrays.copyOfRange(r, 4, r.length), Arrays.copyOfRange(dst, 4, r.length));
      assertEquals("12345", BamRecord.stringTag(dst, 0, 'M', 'I'));
    }
  }

  @Test
  void copyWithStringTag_presentTag_replacesInPlace() throws IOException {
    BamHeader[] h = new BamHeader[1];
    byte[] r = BamCodecTest.readRaw(Files.newInputStream(CompatData.file("single.tc.bam")), "single", h).get(0);
    byte[] first = new byte[r.length + 64];
    int n1 = TagEditor.copyWithStringTag(r, 0, 'R', 'X', "AAAA".getBytes(), 4, first, 0);
    String rg = BamRecord.stringTag(r, 0, 'R', 'G');
    assertEquals("AAAA", BamRecord.stringTag(first, 0, 'R', 'X'));
    assertEquals(rg, BamRecord.stringTag(first, 0, 'R', 'G'));
    byte[] second = new byte[n1 + 64];
    int n2 = TagEditor.copyWithStringTag(first, 0, 'R', 'X', "CCCCCCCCCCCC".getBytes(), 12, second, 0);
    assertEquals(n1 + 8, n2);
    assertEquals("CCCCCCCCCCCC", BamRecord.stringTag(second, 0, 'R', 'X'));
    // tag order is unchanged: RX stays where it was relative to the others
    int rxFirst = BamRecord.findTag(first, 0, 'R', 'X');
    int rxSecond = BamRecord.findTag(second, 0, 'R', 'X');
    assertEquals(rxFirst, rxSecond);
  }

  /** The editor's fast path (the layout check saw no such tag) against the searching one, on real records. */
  @Test
  void copyAppendingStringTag_equalsTheSearchingCopy_forRecordsWithoutTheTag() throws IOException {
    BamHeader[] h = new BamHeader[1];
    List<byte[]> records = BamCodecTest.readRaw(Files.newInputStream(CompatData.file("paired.tc.bam")), "paired", h);
    java.util.Random rnd = new java.util.Random(7);
    for (byte[] r : records.subList(0, 5000)) {
      byte[] value = new byte[1 + rnd.nextInt(30)];
      for (int i = 0; i < value.length; i++) {
        value[i] = (byte) ('0' + rnd.nextInt(10));
      }
      int len = rnd.nextInt(value.length) + 1;
      int at = rnd.nextInt(8);
      byte[] searched = new byte[at + TagEditor.maxEditedSize(r, 0, len)];
      byte[] appended = new byte[searched.length];
      int n1 = TagEditor.copyWithStringTag(r, 0, 'M', 'I', value, len, searched, at);
      int n2 = TagEditor.copyAppendingStringTag(r, 0, 'M', 'I', value, len, appended, at);
      assertEquals(n1, n2);
      assertArrayEquals(searched, appended);
    }
  }
}
