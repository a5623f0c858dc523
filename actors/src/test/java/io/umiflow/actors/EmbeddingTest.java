package io.umiflow.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Adapter;
import akka.actor.typed.javadsl.Behaviors;
import htsjdk.samtools.SamReaderFactory;
import io.umiflow.assign.Strategy;
import io.umiflow.codec.BamHeader;
import io.umiflow.example.EmbeddingExample;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stream stage and the file job inside a host's own actor system. */
class EmbeddingTest {
  private static final ActorTestKit KIT = ActorTestKit.create();
  private static final Path SINGLE = JobRunner.shared("single.tc.bam");

  @AfterAll
  static void shutdown() {
    KIT.shutdownTestKit();
  }

  @TempDir
  Path tmp;

  private static GroupSettings settings(long budget) {
    return GroupSettings.builder().input("-").output("-").strategy(Strategy.ADJACENCY).threads(2)
        .memoryBudget(budget).commandLine("test").progressMillis(0).build();
  }

  private static BamHeader header() throws Exception {
    return BamHeader.of(SamReaderFactory.makeDefault().getFileHeader(SINGLE));
  }

  /** Starts a stage with the example's producer and a consumer keeping {@code window} bytes of demand. */
  private static ActorRef<GroupStage.Command> startStage(GroupSettings s, long window,
                                                         TestProbe<EmbeddingExample.Outcome> done) throws Exception {
    ActorRef<GroupStage.Command> stage = KIT.spawn(GroupStage.create());
    ActorRef<GroupStage.ProducerEvent> producer = KIT.spawn(EmbeddingExample.producer(SINGLE, stage));
    ActorRef<GroupStage.ConsumerEvent> consumer = KIT.spawn(EmbeddingExample.consumer(stage, window, done.getRef()));
    stage.tell(new GroupStage.Start(s, header(), producer, consumer));
    return stage;
  }

  /** A stage whose producer and consumer are test probes. */
  private record Probed(ActorRef<GroupStage.Command> stage, TestProbe<GroupStage.ProducerEvent> producer,
                        TestProbe<GroupStage.ConsumerEvent> consumer) {}

  /** Starts a stage on {@code header} (budget 32 MiB) between two probes. */
  private static Probed startProbed(BamHeader header) {
    TestProbe<GroupStage.ConsumerEvent> consumer = KIT.createTestProbe();
    TestProbe<GroupStage.ProducerEvent> producer = KIT.createTestProbe();
    ActorRef<GroupStage.Command> stage = KIT.spawn(GroupStage.create());
    stage.tell(new GroupStage.Start(settings(32L << 20), header, producer.getRef(), consumer.getRef()));
    return new Probed(stage, producer, consumer);
  }

  @Test
  void streamStage_compatInput_sameRecordsAsTheFileJob() throws Exception {
    Path out = tmp.resolve("file.bam");
    GroupJob.Event e = JobRunner.run(KIT, settings(64L << 20).toBuilder().input(SINGLE.toString())
        .output(out.toString()).build());
    assertInstanceOf(GroupJob.Completed.class, e);
    List<byte[]> expected = JobRunner.records(out);

    TestProbe<EmbeddingExample.Outcome> done = KIT.createTestProbe();
    ActorRef<GroupStage.Command> stage = startStage(settings(64L << 20), 4L << 20, done);
    EmbeddingExample.Outcome outcome = done.receiveMessage(Duration.ofMinutes(2));
    assertNull(outcome.failure());
    assertEquals(expected.size(), outcome.records().size());
    for (int i = 0; i < expected.size(); i++) {
      assertTrue(Arrays.equals(expected.get(i), outcome.records().get(i)), "record " + i);
    }
    assertEquals(96156, outcome.summary().accepted());
    done.expectTerminated(stage, Duration.ofSeconds(10));
  }

  @Test
  void slowConsumer_stageStopsGrantingWithinItsBudget() throws Exception {
    long budget = GroupSettings.MIN_BUDGET;
    TestProbe<EmbeddingExample.Outcome> done = KIT.createTestProbe();
    TestProbe<GroupStage.ProducerEvent> grants = KIT.createTestProbe();
    ActorRef<GroupStage.Command> stage = KIT.spawn(GroupStage.create());
    // a producer that forwards every grant to the probe and pushes the real records
    ActorRef<GroupStage.ProducerEvent> real = KIT.spawn(EmbeddingExample.producer(SINGLE, stage));
    ActorRef<GroupStage.ProducerEvent> producer = KIT.spawn(Behaviors.receive(GroupStage.ProducerEvent.class)
        .onAnyMessage(m -> {
          grants.getRef().tell(m);
          real.tell(m);
          return Behaviors.same();
        }).build());
    // the consumer asks for nothing yet
    ActorRef<GroupStage.ConsumerEvent> consumer = KIT.spawn(EmbeddingExample.consumer(stage, 0, done.getRef()));
    stage.tell(new GroupStage.Start(settings(budget), header(), producer, consumer));
    long granted = 0;
    while (true) {
      GroupStage.ProducerEvent got;
      try {
        got = grants.receiveMessage(Duration.ofSeconds(2));
      } catch (AssertionError quiet) {
        break; // no grant for two seconds: the stage has stopped taking input
      }
      if (got instanceof GroupStage.Grant g) {
        granted += g.bytes();
      }
      assertTrue(granted <= budget, "granted " + granted + " while the consumer took nothing");
    }
    TestProbe<GroupStage.Stats> statsProbe = KIT.createTestProbe();
    stage.tell(new GroupStage.GetStats(statsProbe.getRef()));
    GroupStage.Stats stalled = statsProbe.receiveMessage();
    assertTrue(stalled.accountedBytes() > budget / 4, "the budget was hardly used: " + stalled);
    long input = 0;
    for (byte[] r : JobRunner.records(SINGLE)) {
      input += r.length;
    }
    assertTrue(granted < input, "the stage took all " + input + " bytes without a consumer");
    stage.tell(new GroupStage.Request(Long.MAX_VALUE / 4));
    EmbeddingExample.Outcome outcome = done.receiveMessage(Duration.ofMinutes(2));
    assertNull(outcome.failure());
    assertTrue(outcome.records().size() > 90_000);
  }

  @Test
  void cancel_midStream_consumerGetsFailedAndStageStops() throws Exception {
    TestProbe<EmbeddingExample.Outcome> done = KIT.createTestProbe();
    // the consumer asks for nothing, so the stage is mid-stream (stalled at its budget) when cancelled
    ActorRef<GroupStage.Command> stage = startStage(settings(32L << 20), 0, done);
    Thread.sleep(500);
    stage.tell(GroupStage.Cancel.INSTANCE);
    EmbeddingExample.Outcome outcome = done.receiveMessage(Duration.ofSeconds(30));
    assertEquals("cancelled", outcome.failure());
    done.expectTerminated(stage, Duration.ofSeconds(10));
  }

  @Test
  void corruptRecords_failureArrivesAsMessageAndHostKeepsRunning() throws Exception {
    Probed p = startProbed(header());
    TestProbe<GroupStage.ConsumerEvent> consumer = p.consumer();
    TestProbe<GroupStage.ProducerEvent> producer = p.producer();
    ActorRef<GroupStage.Command> stage = p.stage();
    producer.expectMessageClass(GroupStage.Grant.class);
    byte[] junk = new byte[4096];
    Arrays.fill(junk, (byte) 7);
    stage.tell(new GroupStage.Push(junk, junk.length));
    GroupStage.Failed f = consumer.expectMessageClass(GroupStage.Failed.class, Duration.ofSeconds(10));
    assertTrue(f.reason().contains("malformed record 1"), f.reason());
    consumer.expectTerminated(stage, Duration.ofSeconds(10));
    // the host's system is unharmed: another stage runs to completion
    TestProbe<EmbeddingExample.Outcome> done = KIT.createTestProbe();
    startStage(settings(64L << 20), 4L << 20, done);
    assertNull(done.receiveMessage(Duration.ofMinutes(2)).failure());
  }

  private static long tempFiles(Path dir) throws java.io.IOException {
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().contains("umiflow-tmp")).count();
    }
  }

  /**
   * Stands in for a slow input: a named pipe that delivers the start of {@code single.tc.bam} and then
   * stalls until {@link #close()}, so the job is certainly still running when the test stops it.
   */
  private static final class StalledInput implements AutoCloseable {
    final Path fifo;
    private final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    private final Thread feeder;

    StalledInput(Path dir) throws Exception {
      fifo = dir.resolve("input.fifo");
      Process mk = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
      assertEquals(0, mk.waitFor(), "mkfifo");
      byte[] start = Arrays.copyOf(java.nio.file.Files.readAllBytes(SINGLE), 512 << 10);
      feeder = new Thread(() -> {
        try (java.io.OutputStream o = java.nio.file.Files.newOutputStream(fifo)) {
          o.write(start);
          o.flush();
          release.await();
        } catch (Exception ignored) {
          // the reader went away first: nothing to feed
        }
      }, "stalled-input");
      feeder.setDaemon(true);
      feeder.start();
    }

    /** Ends the input some time after the stop was asked for, so a reader blocked in read() can stop. */
    void releaseLater() {
      java.util.concurrent.CompletableFuture.delayedExecutor(300, java.util.concurrent.TimeUnit.MILLISECONDS)
          .execute(release::countDown);
    }

    @Override
    public void close() {
      release.countDown();
      try {
        feeder.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void awaitTempFile(Path dir) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (tempFiles(dir) == 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(1, tempFiles(dir), "the writer works on a temporary file");
  }

  private static void awaitSpillFolder(Path dir) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir)) {
        if (files.anyMatch(p -> p.getFileName().toString().startsWith(".umiflow-spill-"))) {
          return;
        }
      }
      Thread.sleep(10);
    }
    throw new AssertionError("no spill folder appeared");
  }

  @Test
  void stoppingTheJob_orTheHostSystem_removesTemporaryOutput() throws Exception {
    for (boolean wholeSystem : new boolean[] {false, true}) {
      ActorTestKit host = ActorTestKit.create();
      Path dir = java.nio.file.Files.createDirectory(tmp.resolve("stop-" + wholeSystem));
      Path out = dir.resolve("out.bam");
      try (StalledInput input = new StalledInput(dir)) {
        TestProbe<GroupJob.Event> events = host.createTestProbe();
        ActorRef<GroupJob.Command> job = host.spawn(GroupJob.create());
        // every group open at a chunk's end spills, so a spill file is open when the input stalls
        job.tell(new GroupJob.Start(settings(64L << 20).toBuilder().input(input.fifo.toString())
            .output(out.toString()).threads(1).spillThreshold(1).tmpDir(dir.toString()).build(), events.getRef()));
        events.expectMessageClass(GroupJob.Started.class, Duration.ofSeconds(30));
        awaitTempFile(dir); // the writer opens it on its own thread, just after Started
        awaitSpillFolder(dir);
        input.releaseLater();
        if (wholeSystem) {
          host.shutdownTestKit(); // the host shutting down: CoordinatedShutdown stops every actor
        } else {
          host.stop(job, Duration.ofSeconds(30));
          host.shutdownTestKit();
        }
      }
      assertEquals(0, tempFiles(dir), "temporary output left after stopping");
      try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir)) {
        assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".umiflow-spill-")),
            "spill folder left after stopping");
      }
      assertTrue(!java.nio.file.Files.exists(out), "a stopped job must not leave a final output");
    }
  }

  @Test
  void hostConsumerWithItsOwnProtocol_receivesThroughAMessageAdapter() throws Exception {
    Path out = tmp.resolve("file.bam");
    JobRunner.run(KIT, settings(64L << 20).toBuilder().input(SINGLE.toString()).output(out.toString()).build());
    int expected = JobRunner.records(out).size();
    TestProbe<io.umiflow.example.HostConsumerExample.Result> done = KIT.createTestProbe();
    ActorRef<GroupStage.Command> stage = KIT.spawn(GroupStage.create());
    ActorRef<GroupStage.ProducerEvent> producer = KIT.spawn(EmbeddingExample.producer(SINGLE, stage));
    KIT.spawn(io.umiflow.example.HostConsumerExample.create(stage, settings(32L << 20), header(), producer, 4L << 20,
        done.getRef()));
    io.umiflow.example.HostConsumerExample.Result result = done.receiveMessage(Duration.ofMinutes(2));
    assertNull(result.failure());
    assertEquals(expected, result.records());
    done.expectTerminated(stage, Duration.ofSeconds(10));
  }

  @Test
  void producerFailed_consumerGetsTheProducersReason() throws Exception {
    Probed p = startProbed(header());
    TestProbe<GroupStage.ConsumerEvent> consumer = p.consumer();
    TestProbe<GroupStage.ProducerEvent> producer = p.producer();
    ActorRef<GroupStage.Command> stage = p.stage();
    producer.expectMessageClass(GroupStage.Grant.class);
    stage.tell(new GroupStage.ProducerFailed("s3://bucket/in.bam: connection reset"));
    GroupStage.Failed f = consumer.expectMessageClass(GroupStage.Failed.class, Duration.ofSeconds(10));
    assertEquals("input failed: s3://bucket/in.bam: connection reset", f.reason());
    assertInstanceOf(GroupStage.Stopped.class, producer.receiveMessage(Duration.ofSeconds(10)));
    consumer.expectTerminated(stage, Duration.ofSeconds(10));
  }

  @Test
  void headerNotInTemplateCoordinateOrder_failsAtStart() throws Exception {
    BamHeader sorted = header();
    BamHeader coordinate = new BamHeader(sorted.text().replaceFirst("@HD[^\n]*", "@HD\tVN:1.6\tSO:coordinate"),
        sorted.references());
    Probed p = startProbed(coordinate);
    TestProbe<GroupStage.ConsumerEvent> consumer = p.consumer();
    TestProbe<GroupStage.ProducerEvent> producer = p.producer();
    ActorRef<GroupStage.Command> stage = p.stage();
    GroupStage.Failed f = consumer.expectMessageClass(GroupStage.Failed.class, Duration.ofSeconds(10));
    assertTrue(f.reason().startsWith("stream input: the header declares SO:coordinate, not template-coordinate"),
        f.reason());
    producer.expectMessageClass(GroupStage.Stopped.class); // no grant was ever sent
    consumer.expectTerminated(stage, Duration.ofSeconds(10));
  }

  @Test
  void embeddedMessages_nameTheBuildersSettings_notCommandLineOptions() throws Exception {
    // a missing UMI tag: the stage's message names its input and the builder's setting
    TestProbe<EmbeddingExample.Outcome> done = KIT.createTestProbe();
    startStage(settings(32L << 20).toBuilder().rawTag("ZZ").build(), 4L << 20, done);
    String reason = done.receiveMessage(Duration.ofMinutes(1)).failure();
    assertTrue(reason.startsWith("stream input: record "), reason);
    assertTrue(reason.endsWith("has no ZZ tag; every kept template needs its UMI (see rawTag)"), reason);
    assertTrue(!reason.contains("--") && !reason.contains("standard input"), reason);
    // the builder's checks, by default in the API's words; the command line asks for its own
    IllegalArgumentException api = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> settings(32L << 20).toBuilder().minMapQ(-1).build());
    assertEquals("minMapQ must be >= 0, got -1", api.getMessage());
    IllegalArgumentException cli = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> settings(32L << 20).toBuilder().wording(GroupSettings.Wording.CLI).minMapQ(-1).build());
    assertEquals("--min-map-q must be >= 0, got -1", cli.getMessage());
    assertEquals("familySizeHistogram", GroupSettings.Wording.API.option("--family-size-histogram"));
    assertEquals("tmpDir", GroupSettings.Wording.API.option("--tmp-dir"));
  }

  @Test
  void settings_fromHostConfig_overrideReferenceDefaults() {
    com.typesafe.config.Config host = com.typesafe.config.ConfigFactory.parseString(
        "umiflow.group { strategy = paired, edits = 2, threads = 3, memory-budget = 96MiB, mark-duplicates = on }")
        .withFallback(com.typesafe.config.ConfigFactory.load());
    GroupSettings s = GroupSettings.fromConfig(host).input("-").output("-").build();
    assertEquals(Strategy.PAIRED, s.strategy());
    assertEquals(2, s.edits());
    assertEquals(3, s.threads());
    assertEquals(96L << 20, s.memoryBudget());
    assertEquals(0, s.minMapQ()); // unset, and duplicate marking is on
    assertEquals("RX", s.rawTag()); // from reference.conf
  }

  @Test
  void fileJob_spawnedFromClassicSystem_completes() throws Exception {
    akka.actor.ActorSystem classic = akka.actor.ActorSystem.create("classic-host");
    try {
      ActorTestKit kit = ActorTestKit.create(Adapter.toTyped(classic));
      TestProbe<GroupJob.Event> events = kit.createTestProbe();
      ActorRef<GroupJob.Command> job = Adapter.spawn(classic, GroupJob.create(), "umiflow-job");
      Path out = tmp.resolve("classic.bam");
      job.tell(new GroupJob.Start(settings(64L << 20).toBuilder().input(SINGLE.toString()).output(out.toString())
          .build(), events.getRef()));
      GroupJob.Event e;
      do {
        e = events.receiveMessage(Duration.ofMinutes(2));
      } while (!(e instanceof GroupJob.Completed) && !(e instanceof GroupJob.Failed));
      assertInstanceOf(GroupJob.Completed.class, e, e.toString());
      assertNotNull(((GroupJob.Completed) e).summary());
    } finally {
      akka.testkit.javadsl.TestKit.shutdownActorSystem(classic);
    }
  }
}
