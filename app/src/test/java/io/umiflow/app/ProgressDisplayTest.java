package io.umiflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.umiflow.cluster.SampleEvent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The progress bar's and plain lines' text, and how the terminal is redrawn. */
class ProgressDisplayTest {
  private static final long MIB = 1 << 20;

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);

  private String written() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void bar_percentAmountRateElapsedAndEta() {
    // a quarter read in 10 s: 30 s to go
    ProgressDisplay.Status s = new ProgressDisplay.Status(256 * MIB, 1024 * MIB, "bytes", 2_500_000, 250_000,
        10_000, "at chr1:1");
    String bar = ProgressDisplay.bar(s, "umiflow group", 120);
    assertEquals("umiflow group  25% [##########>-----------------------------] 256.0 MiB/1.00 GiB  2.50M records"
        + "  250k/s  0:10  ETA 0:30", bar);
    assertTrue(bar.length() <= 120);
  }

  @Test
  void bar_narrowTerminal_dropsRecordsThenBar_neverWider() {
    ProgressDisplay.Status s = new ProgressDisplay.Status(512 * MIB, 1024 * MIB, "bytes", 12_345_678, 1_234_567,
        3_723_000, "");
    for (int width = 20; width <= 200; width++) {
      String bar = ProgressDisplay.bar(s, "umiflow group", width);
      assertTrue(bar.length() <= width, width + ": " + bar);
    }
    ProgressDisplay.Status minute = new ProgressDisplay.Status(512 * MIB, 1024 * MIB, "bytes", 12_345_678,
        1_234_567, 63_000, "");
    assertFalse(ProgressDisplay.bar(minute, "umiflow group", 79).contains("records"));
    assertTrue(ProgressDisplay.bar(minute, "umiflow group", 79).contains("#>"), "a bar still fits in 79 columns");
    assertTrue(ProgressDisplay.bar(s, "umiflow group", 140).contains("12.3M records"));
    assertTrue(ProgressDisplay.bar(s, "umiflow group", 140).contains("1:02:03  ETA 1:02:03"));
  }

  @Test
  void bar_unknownSize_showsAmountAndRateWithoutPercent() {
    ProgressDisplay.Status s = new ProgressDisplay.Status(3 * MIB, -1, "bytes", 40_000, 20_000, 2_000, "");
    assertEquals("umiflow group 3.0 MiB  40k records  20k/s  0:02", ProgressDisplay.bar(s, "umiflow group", 100));
    assertEquals(-1, s.etaMillis());
  }

  @Test
  void eta_waitsForTwoSecondsAndOnePercent_zeroWhenDone() {
    assertEquals(-1, new ProgressDisplay.Status(50, 100, "bytes", 0, 0, 1_999, "").etaMillis());
    assertEquals(-1, new ProgressDisplay.Status(0, 100_000, "bytes", 0, 0, 60_000, "").etaMillis());
    assertEquals(3_000, new ProgressDisplay.Status(40, 100, "bytes", 0, 0, 2_000, "").etaMillis());
    assertEquals(0, new ProgressDisplay.Status(100, 100, "bytes", 0, 0, 10, "").etaMillis());
  }

  @Test
  void line_saysTheSameInWords() {
    ProgressDisplay.Status s = new ProgressDisplay.Status(256 * MIB, 1024 * MIB, "bytes", 2_500_000, 250_000,
        10_000, "at chr1:1");
    assertEquals("umiflow group: 25% of 1.00 GiB done, ETA 0:30, 0:10 elapsed; 2,500,000 records (250,000/s), "
        + "at chr1:1", ProgressDisplay.line(s, "umiflow group"));
    assertEquals("umiflow simulate: 3,000 records done, 0:01 elapsed",
        ProgressDisplay.line(new ProgressDisplay.Status(3000, -1, "records", 0, 0, 1_000, ""), "umiflow simulate"));
  }

  @Test
  void barMode_redrawsInPlace_messagesGoAbove_finishClears() {
    ProgressDisplay d = new ProgressDisplay(err, ProgressDisplay.Mode.BAR, "g", 60);
    d.show(new ProgressDisplay.Status(1, 4, "samples", 0, 0, 0, ""));
    d.show(new ProgressDisplay.Status(2, 4, "samples", 0, 0, 0, ""));
    d.println("hello");
    d.finish();
    String[] parts = written().split("\r", -1);
    assertEquals("", parts[0]);
    assertTrue(parts[1].startsWith("g  25% [") && parts[1].endsWith("\033[K"), parts[1]);
    assertTrue(parts[2].startsWith("g  50% ["), parts[2]);
    assertEquals("\033[Jhello\n", parts[3], "the bar is erased, the message printed on its own line");
    assertTrue(parts[4].startsWith("g  50% ["), "and the bar drawn again below: " + parts[4]);
    assertEquals("\033[J", parts[5], "finish erases it");
    assertEquals(6, parts.length);
    assertFalse(written().contains("umiflow group:"), "never a plain line in bar mode");
  }

  @Test
  void barMode_block_movesUpOverItsLines() {
    ProgressDisplay d = new ProgressDisplay(err, ProgressDisplay.Mode.BAR, "c", 60);
    d.showBlock(List.of("a", "b", "c"));
    d.showBlock(List.of("a2", "b2"));
    d.finish();
    assertEquals("\ra\033[K\nb\033[K\nc\033[K"
        + "\r\033[2Aa2\033[K\nb2\033[K\033[J"
        + "\r\033[1A\033[J", written());
  }

  @Test
  void linesMode_plainLinesWithoutControlCharacters() {
    ProgressDisplay d = new ProgressDisplay(err, ProgressDisplay.Mode.LINES, "umiflow group", 60);
    d.show(new ProgressDisplay.Status(MIB, 4 * MIB, "bytes", 10, 5, 1000, ""));
    d.println("note");
    d.finish();
    assertEquals("umiflow group: 25% of 4.0 MiB done, 0:01 elapsed; 10 records (5/s)\nnote\n", written());
  }

  @Test
  void noneMode_printsOnlyMessages() {
    ProgressDisplay d = new ProgressDisplay(err, ProgressDisplay.Mode.NONE, "g", 60);
    d.show(new ProgressDisplay.Status(1, 4, "bytes", 10, 5, 1000, ""));
    d.showBlock(List.of("x"));
    d.println("note");
    assertEquals("note\n", written());
    assertEquals(0, d.intervalMillis(true));
  }

  @Test
  void mode_fromOption() {
    assertEquals(ProgressDisplay.Mode.NONE, ProgressDisplay.Mode.resolve("bar", true));
    assertEquals(ProgressDisplay.Mode.BAR, ProgressDisplay.Mode.resolve("BAR", false));
    assertEquals(ProgressDisplay.Mode.LINES, ProgressDisplay.Mode.resolve("lines", false));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ProgressDisplay.Mode.resolve("fancy", false));
    assertEquals("--progress must be auto, bar, lines or none, got 'fancy'", e.getMessage());
  }

  @Test
  void cohort_barShowsOneLinePerRunningSampleAndTheOverallShare() {
    ProgressDisplay d = new ProgressDisplay(err, ProgressDisplay.Mode.BAR, "umiflow cohort", 100);
    CohortProgress c = new CohortProgress(d, false, 4);
    c.on(new SampleEvent.Started("A", "n1"));
    c.on(new SampleEvent.Started("B", "n2"));
    c.on(new SampleEvent.Completed("A", "n1", 10, 9, 3, 1000));
    c.on(new SampleEvent.Progress("B", "n2", 500, 100, 50 * MIB, 100 * MIB));
    // A done, B half: 1.5 of 4 samples
    assertEquals(0.375, c.overall().fraction(), 1e-9);
    String screen = written();
    String last = screen.substring(screen.lastIndexOf('\r'));
    assertTrue(last.contains("  B on n2: 50% of 100.0 MiB, 500 records (100/s)\033[K\numiflow cohort  37% ["), last);
    assertTrue(screen.contains("umiflow cohort: A: done on n1 in 1.0 s: 10 records in, 9 out, 3 molecules\n"), screen);
    c.finish();
    assertTrue(written().endsWith("\r\033[1A\033[J"));
  }

  @Test
  void cohort_lines_sampleProgressAndAnOverallLineWhenOneEnds() {
    ProgressDisplay d = new ProgressDisplay(err, ProgressDisplay.Mode.LINES, "umiflow cohort", 100);
    CohortProgress c = new CohortProgress(d, false, 2);
    c.on(new SampleEvent.Started("A", "n1"));
    c.on(new SampleEvent.Progress("A", "n1", 500, 100, -1 + 1, -1));
    c.on(new SampleEvent.Failed("A", "n1", "bad input"));
    assertEquals("umiflow cohort: A: started on n1\n"
        + "umiflow cohort: A on n1: 500 records (100/s)\n"
        + "umiflow cohort: A: FAILED on n1: bad input\n"
        + "umiflow cohort: 50% of 2 samples done, " + ProgressDisplay.duration(c.overall().elapsed())
        + " elapsed, 0 running, 1 failed\n", written().replaceAll("ETA [0-9:]+, ", ""));
    assertFalse(written().contains("\r"));
  }
}
