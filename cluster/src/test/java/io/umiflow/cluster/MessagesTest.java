package io.umiflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.javadsl.Adapter;
import akka.serialization.Serialization;
import akka.serialization.SerializationExtension;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every message that crosses nodes goes through Jackson CBOR and comes back equal. */
class MessagesTest {
  private static final ActorTestKit KIT = ActorTestKit.create(ConfigFactory.parseString(
      "akka.actor.provider = cluster\nakka.remote.artery.canonical.port = 0\n"
          + "akka.remote.artery.canonical.hostname = 127.0.0.1\nakka.loglevel = ERROR"));

  @AfterAll
  static void shutdown() {
    KIT.shutdownTestKit();
  }

  private static Object roundTrip(Object message) {
    Serialization s = SerializationExtension.get(Adapter.toClassic(KIT.system()));
    assertEquals(akka.serialization.jackson.JacksonCborSerializer.class, s.findSerializerFor(message).getClass(),
        message.toString());
    return KIT.serializationTestKit().verifySerialization(message, true);
  }

  @Test
  void workProgressAndResults_roundTrip() {
    TestProbe<SampleEvent> probe = KIT.createTestProbe();
    List<Object> messages = List.of(
        new SampleEntity.Run(new SampleWork("S1", "/in.bam", "/out.bam", Map.of("strategy", "paired", "edits", "2")),
            probe.getRef()),
        new SampleEvent.Started("S1", "akka://umiflow@127.0.0.1:2551"),
        new SampleEvent.Progress("S1", "akka://umiflow@127.0.0.1:2551", 123_456L, 98_765.5, 1L << 33, 1L << 34),
        new SampleEvent.Completed("S1", "akka://umiflow@127.0.0.1:2551", 10L, 9L, 3L, 1234L),
        new SampleEvent.Failed("S1", "akka://umiflow@127.0.0.1:2551", "in.bam: no such file"));
    for (Object m : messages) {
      assertEquals(m, roundTrip(m));
    }
  }
}
