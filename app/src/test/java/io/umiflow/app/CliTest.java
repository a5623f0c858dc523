package io.umiflow.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BamRecord;
import io.umiflow.codec.TagEditor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end tests of {@code umiflow group}: every error case of the contract, stdin and stdout. */
class CliTest {
  @TempDir
  static Path shared;
  static Path input;

  @TempDir
  Path dir;

  @BeforeAll
  static void simulate() throws IOException {
    input = TestBams.simulate(shared, "in.bam", TestBams.params(7, 20_000));
  }

  record Run(int code, String err) {}

  static synchronized Run run(String... args) {
    PrintStream old = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      int code = Main.run(args);
      return new Run(code, buf.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(old);
    }
  }

  private void assertNothingLeft(Path out) throws IOException {
    assertFalse(Files.exists(out), "output must not exist after a failure");
    try (Stream<Path> files = Files.list(out.getParent())) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().contains("umiflow-tmp")), "temp files left behind");
    }
  }

  private Run failing(Path in, String... extra) throws IOException {
    Path out = dir.resolve("out.bam");
    List<String> args = new ArrayList<>(List.of("group", "-i", in.toString(), "-o", out.toString(), "-s", "adjacency",
        "--threads", "2", "-q"));
    args.addAll(List.of(extra));
    Run r = run(args.toArray(String[]::new));
    assertEquals(1, r.code(), r.err());
    assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
    assertNothingLeft(out);
    return r;
  }

  @Test
  void group_simulatedInput_succeedsAndSummarises() throws IOException {
    Path out = dir.resolve("out.bam");
    Run r = run("group", "-i", input.toString(), "-o", out.toString(), "-s", "adjacency", "--pipeline-stats");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("records in"), r.err());
    assertTrue(r.err().contains("ledger peak"), r.err());
    assertTrue(Files.size(out) > 1000);
  }

  @Test
  void help_everyCommand_printsWithoutWarnings() {
    for (String[] args : new String[][] {{"--help"}, {"group", "--help"}, {"simulate", "--help"},
        {"cluster", "--help"}, {"cluster", "node", "--help"}, {"cohort", "--help"}}) {
      Run r = run(args);
      assertEquals(0, r.code(), String.join(" ", args));
      assertFalse(r.err().contains("WARN"), String.join(" ", args) + ": " + r.err());
    }
  }

  @Test
  void missingInput_failsNamingFile() throws IOException {
    Run r = failing(dir.resolve("nope.bam"));
    assertTrue(r.err().contains("nope.bam: no such file"), r.err());
  }

  @Test
  void notTemplateCoordinate_withSortNever_failsBeforeWriting() throws IOException {
    TestBams.Bam bam = TestBams.read(input);
    String text = bam.header().text().replace("SO:unsorted\tGO:query\tSS:unsorted:template-coordinate", "SO:coordinate");
    Path bad = TestBams.write(dir.resolve("coord.bam"), new BamHeader(text, bam.header().references()), bam.records());
    Run r = failing(bad, "--sort", "never");
    assertTrue(r.err().contains("not template-coordinate") && r.err().contains("samtools sort --template-coordinate"),
        r.err());
  }

  @Test
  void recordsOutOfOrder_failsWithRecordNumberAndName() throws IOException {
    TestBams.Bam bam = TestBams.read(input);
    List<byte[]> recs = new ArrayList<>(bam.records());
    // move the first template to the middle of the file
    byte[] a = recs.remove(0);
    byte[] b = recs.remove(0);
    recs.add(recs.size() / 2, b);
    recs.add(recs.size() / 2, a);
    Path bad = TestBams.write(dir.resolve("order.bam"), bam.header(), recs);
    Run r = failing(bad);
    assertTrue(r.err().contains("out of template-coordinate order") && r.err().contains("record ")
        && r.err().contains("(read sim:"), r.err());
  }

  @Test
  void truncatedFile_failsAsTruncated() throws IOException {
    byte[] all = Files.readAllBytes(input);
    Path bad = Files.write(dir.resolve("trunc.bam"), java.util.Arrays.copyOf(all, all.length / 2));
    Path f = dir.resolve("f.txt");
    Path g = dir.resolve("g.txt");
    Run r = failing(bad, "-f", f.toString(), "-g", g.toString(), "--summary-json", dir.resolve("s.json").toString());
    assertTrue(r.err().contains("truncated"), r.err());
    assertFalse(Files.exists(f) || Files.exists(g) || Files.exists(dir.resolve("s.json")),
        "no metrics of a failed run");
  }

  @Test
  void missingEofMarker_failsAsTruncated() throws IOException {
    byte[] all = Files.readAllBytes(input);
    Path bad = Files.write(dir.resolve("noeof.bam"), java.util.Arrays.copyOf(all, all.length - 28));
    Run r = failing(bad);
    assertTrue(r.err().contains("end-of-file marker"), r.err());
  }

  @Test
  void corruptBlock_failsWithOffset() throws IOException {
    byte[] all = Files.readAllBytes(input);
    all[all.length / 2] ^= 0x33;
    Path bad = Files.write(dir.resolve("corrupt.bam"), all);
    Run r = failing(bad);
    assertTrue(r.err().contains("corrupt BGZF block at byte offset") || r.err().contains("malformed record"), r.err());
  }

  /** Rewrites the RX tag of every record through {@code edit}; null removes nothing but sets "". */
  private Path withUmis(String name, java.util.function.Function<String, String> edit) throws IOException {
    TestBams.Bam bam = TestBams.read(input);
    List<byte[]> out = new ArrayList<>();
    for (byte[] r : bam.records()) {
      String umi = BamRecord.stringTag(r, 0, 'R', 'X');
      String v = edit.apply(umi);
      byte[] value = v.getBytes(StandardCharsets.US_ASCII);
      byte[] copy = new byte[r.length + value.length + 8];
      int n = TagEditor.copyWithStringTag(r, 0, 'R', 'X', value, value.length, copy, 0);
      out.add(java.util.Arrays.copyOf(copy, n));
    }
    return TestBams.write(dir.resolve(name), bam.header(), out);
  }

  @Test
  void missingUmiTag_failsNamingReadAndTag() throws IOException {
    Run r = failing(input, "--raw-tag", "ZZ");
    assertTrue(r.err().contains("has no ZZ tag") && r.err().contains("(read sim:"), r.err());
  }

  @Test
  void mixedUmiLengths_failsNamingRead() throws IOException {
    Path bad = withUmis("mixed.bam", u -> u.hashCode() % 2 == 0 ? u : u + "A");
    Run r = failing(bad);
    assertTrue(r.err().contains("different lengths") && r.err().contains("(read sim:"), r.err());
  }

  @Test
  void pairedUmiWithoutDash_failsNamingRead() throws IOException {
    Run r = failing(input, "-s", "paired");
    assertTrue(r.err().contains("exactly one '-'") && r.err().contains("(read sim:"), r.err());
  }

  @Test
  void invalidOptions_failBeforeWork() throws IOException {
    Path out = dir.resolve("o.bam");
    String[][] cases = {
        {"group", "-i", input.toString(), "-o", out.toString(), "-s", "nonsense"},
        {"group", "-i", input.toString(), "-o", out.toString(), "-s", "edit", "-e", "-1"},
        {"group", "-i", input.toString(), "-o", out.toString(), "-s", "paired", "-l", "5"},
        {"group", "-i", input.toString(), "-o", input.toString(), "-s", "edit"},
        {"group", "-i", input.toString(), "-o", out.toString(), "-s", "edit", "--memory", "100m"},
        {"group", "-i", input.toString(), "-o", out.toString(), "-s", "edit", "--compression-level", "12"},
        {"group", "-i", input.toString(), "-o", out.toString()},
        {"group", "-i", input.toString(), "-o", out.toString(), "-s", "edit", "--tmp-dir", dir.resolve("none").toString()},
        {"group", "-i", input.toString(), "-o", out.toString(), "-s", "edit", "--spill-threshold", "lots"},
        {"group", "-i", input.toString(), "-o", out.toString(), "-s", "edit", "-f", dir.toString()},
        {"group", "-i", input.toString(), "-o", out.toString(), "-s", "edit", "--summary-json", dir.toString()},
    };
    for (String[] c : cases) {
      Run r = run(c);
      assertEquals(2, r.code(), String.join(" ", c) + ": " + r.err());
      assertTrue(r.err().startsWith("umiflow"), r.err());
      assertFalse(Files.exists(out));
    }
  }

  @Test
  void interrupted_leavesNoOutputAndNoTempFiles() throws Exception {
    Path big = TestBams.simulate(dir, "big.bam", TestBams.params(8, 1_500_000));
    Path out = dir.resolve("interrupted.bam");
    Path log = dir.resolve("interrupted.log");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "io.umiflow.app.Main",
        "group", "-i", big.toString(), "-o", out.toString(), "-s", "adjacency", "--threads", "1", "-v")
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    // wait until it is writing (first progress line), then interrupt as Ctrl-C or kill would
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.readString(log).contains(" records (") && p.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(p.isAlive(), "finished before it could be interrupted: " + Files.readString(log));
    p.destroy(); // SIGTERM: the JVM runs its shutdown hooks, as on Ctrl-C
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    String text = Files.readString(log);
    assertTrue(text.contains("interrupted"), text);
    assertNothingLeft(out);
  }

  @Test
  void stdinToStdout_sameRecordsAsFiles() throws Exception {
    Path fileOut = dir.resolve("file.bam");
    assertEquals(0, run("group", "-i", input.toString(), "-o", fileOut.toString(), "-s", "edit", "-q").code());
    Path pipeOut = dir.resolve("pipe.bam");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "io.umiflow.app.Main",
        "group", "-i", "-", "-o", "-", "-s", "edit", "-q")
        .redirectInput(input.toFile())
        .redirectOutput(pipeOut.toFile())
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue());
    byte[] a = TestBams.decompressed(fileOut);
    byte[] b = TestBams.decompressed(pipeOut);
    // identical but for the @PG command line, which names the files
    TestBams.Bam x = TestBams.read(fileOut);
    TestBams.Bam y = TestBams.read(pipeOut);
    assertEquals(x.records().size(), y.records().size());
    for (int i = 0; i < x.records().size(); i++) {
      assertArrayEquals(x.records().get(i), y.records().get(i));
    }
    assertTrue(a.length > 0 && b.length > 0);
  }

  @Test
  void namedPipeInput_sameRecordsAsFile() throws Exception {
    // what a shell's process substitution gives: -i <(samtools sort --template-coordinate ...)
    Path fifo = dir.resolve("in.fifo");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
    Thread feeder = new Thread(() -> {
      try (java.io.OutputStream o = new java.io.FileOutputStream(fifo.toFile())) {
        Files.copy(input, o);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    Path fromPipe = dir.resolve("pipe.bam");
    Path fromFile = dir.resolve("file.bam");
    assertEquals(0, run("group", "-i", input.toString(), "-o", fromFile.toString(), "-s", "adjacency", "-q").code());
    feeder.start();
    Run r = run("group", "-i", fifo.toString(), "-o", fromPipe.toString(), "-s", "adjacency", "-q");
    feeder.join(30_000);
    assertEquals(0, r.code(), r.err());
    assertEquals(TestBams.read(fromFile).records().size(), TestBams.read(fromPipe).records().size());
    List<byte[]> a = TestBams.read(fromFile).records();
    List<byte[]> b = TestBams.read(fromPipe).records();
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(a.get(i), b.get(i));
    }
  }

  @Test
  void clusterCommands_badOptionsOrManifest_failBeforeJoining() throws IOException {
    Path manifest = Files.writeString(dir.resolve("cohort.tsv"), "S1\t" + input + "\tout.bam\tstrategy=fast\n");
    String[][] cases = {
        {"cohort", "--manifest", manifest.toString(), "--seed-nodes", "127.0.0.1:2551"},
        {"cohort", "--manifest", dir.resolve("none.tsv").toString(), "--seed-nodes", "127.0.0.1:2551"},
        {"cohort", "--manifest", manifest.toString(), "--seed-nodes", "localhost"},
        {"cluster", "node", "--seed-nodes", "127.0.0.1:x"},
        {"cluster", "node", "--seed-nodes", "127.0.0.1:2551", "--concurrent-samples", "0"},
        {"cohort", "--manifest", manifest.toString()},
    };
    for (String[] c : cases) {
      Run r = run(c);
      assertEquals(2, r.code(), String.join(" ", c) + ": " + r.err());
      assertTrue(r.err().startsWith("umiflow"), r.err());
    }
    assertTrue(run(cases[0]).err().contains("cohort.tsv:1: unknown strategy 'fast'"));
  }
}
