package io.umiflow.streams;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.Done;
import akka.actor.ActorIdentity;
import akka.actor.Identify;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Adapter;
import akka.japi.Pair;
import akka.stream.KillSwitches;
import akka.stream.UniqueKillSwitch;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Keep;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import htsjdk.samtools.SAMFileHeader;
import htsjdk.samtools.SAMRecord;
import htsjdk.samtools.SamReader;
import htsjdk.samtools.SamReaderFactory;
import htsjdk.samtools.ValidationStringency;
import io.umiflow.actors.GroupJob;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.GroupStage;
import io.umiflow.actors.GroupedBatch;
import io.umiflow.actors.JobSummary;
import io.umiflow.assign.Strategy;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BgzfInputStream;
import io.umiflow.example.StreamsExample;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The grouping flow, the BAM source and sink, inside a host's actor system. */
class GroupingFlowTest {
  private static final ActorTestKit KIT = ActorTestKit.create();
  private static final Path SINGLE = shared("single.tc.bam");
  private static final Path PAIRED = shared("paired.tc.bam");
  /** What the file job writes for {@link #SINGLE} with {@link #settings}, decompressed. */
  private static byte[] expectedSingle;

  @TempDir
  Path tmp;

  private static Path shared(String name) {
    return Paths.get(System.getProperty("umiflow.shared", "../../shared"), "compat", name).toAbsolutePath().normalize();
  }

  private static GroupSettings settings(long budget) {
    return settings(budget, Strategy.ADJACENCY);
  }

  private static GroupSettings settings(long budget, Strategy strategy) {
    return GroupSettings.builder().input("-").output("-").strategy(strategy).threads(2).memoryBudget(budget)
        .commandLine("umiflow group (test)").progressMillis(0).tmpDir(System.getProperty("java.io.tmpdir")).build();
  }

  @BeforeAll
  static void fileJobOutput() throws Exception {
    expectedSingle = fileJob(SINGLE, settings(64L << 20), Files.createTempDirectory("umiflow-flow-test"));
  }

  @AfterAll
  static void shutdown() {
    KIT.shutdownTestKit();
  }

  @AfterEach
  void noGroupingActorsLeft() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    int alive;
    while ((alive = groupingActors()) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(0, alive, "grouping actors still running after the stream ended");
  }

  /** Grouping actors alive under /system now. */
  private static int groupingActors() {
    TestProbe<Object> probe = KIT.createTestProbe();
    akka.actor.ActorRef replyTo = Adapter.toClassic(probe.getRef());
    Adapter.toClassic(KIT.system()).actorSelection("/system/" + GroupingStage.ACTOR_PREFIX + "*")
        .tell(new Identify("probe"), replyTo);
    int alive = 0;
    try {
      while (true) {
        Object m = probe.receiveMessage(Duration.ofMillis(300));
        if (m instanceof ActorIdentity id && id.getActorRef().isPresent()) {
          alive++;
        }
      }
    } catch (AssertionError noMore) {
      return alive;
    }
  }

  /** Runs the file job ({@code umiflow group}'s engine) on {@code in}; returns its output decompressed. */
  private static byte[] fileJob(Path in, GroupSettings s, Path dir) throws Exception {
    Path out = dir.resolve("file-job.bam");
    TestProbe<GroupJob.Event> probe = KIT.createTestProbe();
    ActorRef<GroupJob.Command> job = KIT.spawn(GroupJob.create());
    job.tell(new GroupJob.Start(s.toBuilder().input(in.toString()).output(out.toString()).build(), probe.getRef()));
    while (true) {
      GroupJob.Event e = probe.receiveMessage(Duration.ofMinutes(3));
      if (e instanceof GroupJob.Failed f) {
        throw new AssertionError(f.reason());
      }
      if (e instanceof GroupJob.Completed) {
        return decompressed(out);
      }
    }
  }

  private static byte[] decompressed(Path bam) throws IOException {
    try (InputStream in = new BgzfInputStream(new BufferedInputStream(Files.newInputStream(bam)), bam.toString())) {
      return in.readAllBytes();
    }
  }

  private static <T> T await(CompletionStage<T> f) throws Exception {
    return f.toCompletableFuture().get(3, TimeUnit.MINUTES);
  }

  /** Why {@code f} failed (a future failed with a CancellationException reports it as cancelled). */
  private static Throwable failureOf(CompletionStage<?> f) throws Exception {
    try {
      f.toCompletableFuture().get(1, TimeUnit.MINUTES);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (CancellationException e) {
      return e;
    }
    throw new AssertionError("completed without failing");
  }

  /** All raw records of a BAM after its header, as one ByteString. */
  private static ByteString rawRecords(Path bam) throws Exception {
    BamSource source = BamSource.open(bam);
    return await(source.records().runFold(ByteString.emptyByteString(), ByteString::concat, KIT.system()));
  }

  @Test
  void bamSourceFlowBamSink_equalsTheFileJobsOutput() throws Exception {
    Path out = tmp.resolve("flow.bam");
    JobSummary summary = await(StreamsExample.groupFile(KIT.system(), SINGLE, out, settings(64L << 20)));
    assertArrayEquals(expectedSingle, decompressed(out));
    assertEquals(96156, summary.accepted());
    assertFalse(summary.accountPeaks().isEmpty());
    assertTrue(summary.peakAccountedBytes() <= summary.budgetBytes());
    try (Stream<Path> files = Files.list(tmp)) {
      assertEquals(List.of(out), files.toList(), "only the output is left");
    }
  }

  @Test
  void pairedStrategy_andHtsjdkRecords_equalTheFileJobsRecords() throws Exception {
    GroupSettings s = settings(64L << 20, Strategy.PAIRED);
    byte[] expected = fileJob(PAIRED, s, tmp);
    SAMFileHeader header;
    List<SAMRecord> input = new ArrayList<>();
    try (SamReader r = SamReaderFactory.makeDefault().validationStringency(ValidationStringency.SILENT).open(PAIRED)) {
      header = r.getFileHeader();
      r.forEach(input::add);
    }
    Pair<CompletionStage<JobSummary>, CompletionStage<List<SAMRecord>>> ends = Source.from(input)
        .viaMat(GroupingFlow.samRecords(s, header), Keep.right())
        .toMat(Sink.seq(), Keep.both()).run(KIT.system());
    List<SAMRecord> grouped = await(ends.second());
    assertTrue(await(ends.first()).accepted() > 0);
    // encode the htsjdk records back and compare with the file job's records
    byte[] records = io.umiflow.actors.SamRecords.encode(header, grouped);
    BamHeader out = BamHeader.of(header).withProgram("umiflow", io.umiflow.actors.Version.VERSION, s.commandLine());
    byte[] headerBytes = out.encode();
    assertEquals(expected.length, headerBytes.length + records.length);
    assertArrayEquals(java.util.Arrays.copyOfRange(expected, headerBytes.length, expected.length), records);
  }

  @Test
  void anyChunking_smallestBudget_sameOutput_batchesWithinTheStatedBound() throws Exception {
    GroupSettings s = settings(GroupSettings.MIN_BUDGET);
    ByteString all = rawRecords(SINGLE);
    // chunks from 1 byte to more than the whole budget (the first is the whole input at once)
    List<ByteString> chunks = new ArrayList<>();
    Random random = new Random(42);
    int at = 0;
    boolean first = true;
    while (at < all.size()) {
      int n = first ? all.size() / 2 : 1 + random.nextInt(random.nextBoolean() ? 100 : 3 << 20);
      first = false;
      n = Math.min(n, all.size() - at);
      chunks.add(all.slice(at, at + n));
      at += n;
    }
    BamHeader header = BamSource.open(SINGLE).header();
    long bound = GroupStage.maxBatchBytes(s);
    Pair<CompletionStage<JobSummary>, CompletionStage<ByteString>> ends = Source.from(chunks)
        .viaMat(GroupingFlow.create(s, header), Keep.right())
        .map(b -> {
          assertTrue(b.bytes() <= bound, "a batch of " + b.bytes() + " bytes, above the bound " + bound);
          return ByteString.fromArray(b.records(), 0, b.length());
        })
        .toMat(Sink.fold(ByteString.emptyByteString(), ByteString::concat), Keep.both())
        .run(KIT.system());
    byte[] headerBytes = header.withProgram("umiflow", io.umiflow.actors.Version.VERSION, s.commandLine()).encode();
    byte[] records = await(ends.second()).toArray();
    assertArrayEquals(java.util.Arrays.copyOfRange(expectedSingle, headerBytes.length, expectedSingle.length), records);
    JobSummary summary = await(ends.first());
    assertTrue(summary.peakAccountedBytes() <= s.memoryBudget(), summary.toString());
  }

  @Test
  void slowDownstream_holdsTheBudget_andStopsPullingUpstream() throws Exception {
    GroupSettings s = settings(GroupSettings.MIN_BUDGET);
    BamSource source = BamSource.open(SINGLE);
    long input = rawRecords(SINGLE).size();
    AtomicLong pulled = new AtomicLong();
    AtomicLong consumed = new AtomicLong();
    long window = GroupingFlow.defaultWindow(s);
    Pair<Pair<UniqueKillSwitch, CompletionStage<JobSummary>>, CompletionStage<Done>> ends = source.records()
        .map(b -> {
          pulled.addAndGet(b.size());
          return b;
        })
        .buffer(1, akka.stream.OverflowStrategy.backpressure())
        .viaMat(KillSwitches.single(), Keep.right())
        .viaMat(GroupingFlow.create(s, source.header()), Keep.both())
        .throttle(1, Duration.ofMillis(200))
        .toMat(Sink.foreach(b -> consumed.addAndGet(b.length())), Keep.both())
        .run(KIT.system());
    Thread.sleep(3000);
    long upstream = pulled.get();
    long delivered = consumed.get();
    // ahead of the consumer by at most the budget, the window and what the source and the buffer hold
    long slack = s.memoryBudget() + window + GroupStage.maxBatchBytes(s) + 4 * (1L << 20);
    assertTrue(upstream - delivered <= slack, "pulled " + upstream + " with " + delivered + " consumed (slack " + slack
        + ")");
    assertTrue(upstream < input, "the flow pulled all " + input + " bytes for a slow consumer");
    // a KillSwitch ends it: the flow fails with the KillSwitch's cause, the job stops, its actors go away
    IllegalStateException stop = new IllegalStateException("host shutting down");
    ends.first().first().abort(stop);
    assertEquals(stop, failureOf(ends.second()));
    assertEquals(stop, failureOf(ends.first().second()));
  }

  @Test
  void upstreamFailure_failsTheFlowWithThatCause() throws Exception {
    BamSource source = BamSource.open(SINGLE);
    IOException broken = new IOException("connection reset by the object store");
    Pair<CompletionStage<JobSummary>, CompletionStage<Done>> ends = source.records().take(3)
        .concat(Source.failed(broken))
        .viaMat(GroupingFlow.create(settings(32L << 20), source.header()), Keep.right())
        .toMat(Sink.ignore(), Keep.both()).run(KIT.system());
    assertEquals(broken, failureOf(ends.second()));
    assertEquals(broken, failureOf(ends.first()));
  }

  @Test
  void downstreamCancel_stopsTheJob() throws Exception {
    BamSource source = BamSource.open(SINGLE);
    Pair<CompletionStage<JobSummary>, CompletionStage<List<GroupedBatch>>> ends = source.records()
        .viaMat(GroupingFlow.create(settings(32L << 20), source.header()), Keep.right())
        .take(1)
        .toMat(Sink.seq(), Keep.both()).run(KIT.system());
    assertEquals(1, await(ends.second()).size());
    assertInstanceOf(CancellationException.class, failureOf(ends.first()));
  }

  @Test
  void killSwitchShutdown_downstream_cancelsTheJob() throws Exception {
    BamSource source = BamSource.open(SINGLE);
    Pair<Pair<CompletionStage<JobSummary>, UniqueKillSwitch>, CompletionStage<Done>> ends = source.records()
        .viaMat(GroupingFlow.create(settings(32L << 20), source.header()), Keep.right())
        .throttle(1, Duration.ofMillis(100))
        .viaMat(KillSwitches.single(), Keep.both())
        .toMat(Sink.ignore(), Keep.both()).run(KIT.system());
    Thread.sleep(300);
    ends.first().second().shutdown();
    await(ends.second());
    assertInstanceOf(CancellationException.class, failureOf(ends.first().first()));
  }

  @Test
  void groupingError_failsWithTheOneLineReason() throws Exception {
    BamHeader header = BamSource.open(SINGLE).header();
    byte[] junk = new byte[4096];
    java.util.Arrays.fill(junk, (byte) 7);
    CompletionStage<Done> done = Source.single(ByteString.fromArray(junk))
        .via(GroupingFlow.create(settings(32L << 20), header)).runWith(Sink.ignore(), KIT.system());
    GroupingException e = assertInstanceOf(GroupingException.class, failureOf(done));
    assertTrue(e.getMessage().startsWith("stream input: malformed record 1"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void headerNotInTemplateCoordinateOrder_failsBeforeAnyRecord() throws Exception {
    BamHeader sorted = BamSource.open(SINGLE).header();
    BamHeader coordinate = new BamHeader(sorted.text().replaceFirst("@HD[^\n]*", "@HD\tVN:1.6\tSO:coordinate"),
        sorted.references());
    CompletionStage<Done> done = BamSource.open(SINGLE).records()
        .via(GroupingFlow.create(settings(32L << 20), coordinate)).runWith(Sink.ignore(), KIT.system());
    GroupingException e = assertInstanceOf(GroupingException.class, failureOf(done));
    assertTrue(e.getMessage().contains("SO:coordinate, not template-coordinate order"), e.getMessage());
  }

  @Test
  void twoFlowsAtOnce_andOneFlowMaterializedTwice_eachEqualTheFileJob() throws Exception {
    BamSource source = BamSource.open(SINGLE);
    GroupSettings s = settings(32L << 20);
    Flow<ByteString, GroupedBatch, CompletionStage<JobSummary>> flow = GroupingFlow.create(s, source.header());
    Path a = tmp.resolve("a.bam");
    Path b = tmp.resolve("b.bam");
    CompletionStage<Done> first = source.records().via(flow).runWith(BamSink.toPath(a, source.header(), s), KIT.system());
    CompletionStage<Done> second = source.records().via(flow).runWith(BamSink.toPath(b, source.header(), s), KIT.system());
    await(first);
    await(second);
    assertArrayEquals(expectedSingle, decompressed(a));
    assertArrayEquals(expectedSingle, decompressed(b));
  }

  @Test
  void bamSink_failedStream_leavesNoFile() throws Exception {
    BamSource source = BamSource.open(SINGLE);
    GroupSettings s = settings(32L << 20);
    Path out = tmp.resolve("never.bam");
    IOException broken = new IOException("input gone");
    CompletionStage<Done> done = source.records().take(5).concat(Source.failed(broken))
        .via(GroupingFlow.create(s, source.header()))
        .runWith(BamSink.toPath(out, source.header(), s), KIT.system());
    failureOf(done);
    try (Stream<Path> files = Files.list(tmp)) {
      assertEquals(List.of(), files.toList(), "no output and no temporary file");
    }
  }

  @Test
  void bamSource_truncatedFile_failsNamingIt_streamSourceRunsOnce() throws Exception {
    byte[] bytes = Files.readAllBytes(SINGLE);
    Path cut = tmp.resolve("cut.bam");
    // without the end: htsjdk ends a file with two empty blocks, both the EOF marker's bytes
    Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length - 56));
    CompletionStage<Done> done = BamSource.open(cut).records().runWith(Sink.ignore(), KIT.system());
    Throwable t = failureOf(done);
    assertTrue(t.getMessage().startsWith(cut + ": the file ends without BGZF's end-of-file block"), t.getMessage());

    BamSource once = BamSource.of(new java.io.ByteArrayInputStream(bytes), "piped");
    assertEquals(rawRecords(SINGLE), await(once.records().runFold(ByteString.emptyByteString(), ByteString::concat,
        KIT.system())));
    assertInstanceOf(IllegalStateException.class, failureOf(once.records().runWith(Sink.ignore(), KIT.system())));
  }

  @Test
  void bamSink_toOutputStream_writesTheSameBam() throws Exception {
    BamSource source = BamSource.open(SINGLE);
    GroupSettings s = settings(64L << 20);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    await(source.records().via(GroupingFlow.create(s, source.header()))
        .runWith(BamSink.toOutputStream(() -> bytes, source.header(), s), KIT.system()));
    Path written = tmp.resolve("stream.bam");
    Files.write(written, bytes.toByteArray());
    assertArrayEquals(expectedSingle, decompressed(written));
  }
}
