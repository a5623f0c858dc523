package io.umiflow.example;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import htsjdk.samtools.SAMFileHeader;
import htsjdk.samtools.SAMRecord;
import htsjdk.samtools.SAMRecordIterator;
import htsjdk.samtools.SamReader;
import htsjdk.samtools.SamReaderFactory;
import htsjdk.samtools.ValidationStringency;
import io.umiflow.actors.GroupStage;
import io.umiflow.actors.GroupedBatch;
import io.umiflow.actors.JobSummary;
import io.umiflow.actors.SamRecords;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The example of docs/embedding.md: a host's own producer and consumer actors around a {@link GroupStage}.
 * The producer reads htsjdk records from a template-coordinate-sorted BAM and pushes them as granted; the
 * consumer asks for grouped records a few MiB at a time and collects them.
 */
public final class EmbeddingExample {
  private EmbeddingExample() {}

  /** What the consumer reports when the stage ends. */
  public record Outcome(List<byte[]> records, JobSummary summary, String failure) {}

  /** Producer: pushes the BAM's records, never more bytes than granted. */
  public static Behavior<GroupStage.ProducerEvent> producer(Path bam, ActorRef<GroupStage.Command> stage) {
    return Behaviors.setup(ctx -> {
      SamReader reader = SamReaderFactory.makeDefault().validationStringency(ValidationStringency.SILENT).open(bam);
      SAMFileHeader header = reader.getFileHeader();
      SAMRecordIterator records = reader.iterator();
      ByteArrayOutputStream unsent = new ByteArrayOutputStream();
      long[] allowance = {0};
      boolean[] ended = {false};
      return Behaviors.receive(GroupStage.ProducerEvent.class)
          .onMessage(GroupStage.Grant.class, g -> {
            allowance[0] += g.bytes();
            // encode records until the allowance is covered (a push may end inside a record)
            List<SAMRecord> next = new ArrayList<>();
            while (unsent.size() < allowance[0] && records.hasNext()) {
              next.clear();
              for (int i = 0; i < 1000 && records.hasNext(); i++) {
                next.add(records.next());
              }
              unsent.writeBytes(SamRecords.encode(header, next));
            }
            byte[] bytes = unsent.toByteArray();
            int n = (int) Math.min(allowance[0], bytes.length);
            if (n > 0) {
              stage.tell(new GroupStage.Push(java.util.Arrays.copyOf(bytes, n), n));
              allowance[0] -= n;
              unsent.reset();
              unsent.write(bytes, n, bytes.length - n);
            }
            if (!records.hasNext() && unsent.size() == 0 && !ended[0]) {
              ended[0] = true;
              stage.tell(GroupStage.EndOfInput.INSTANCE);
            }
            return Behaviors.same();
          })
          .onMessage(GroupStage.Stopped.class, s -> {
            close(reader);
            return Behaviors.stopped();
          })
          .build();
    });
  }

  private static void close(SamReader reader) {
    try {
      reader.close();
    } catch (IOException ignored) {
      // read-only; nothing to lose
    }
  }

  /**
   * Consumer: keeps {@code window} bytes of demand open and collects every grouped record; reports the
   * outcome to {@code done}.
   */
  public static Behavior<GroupStage.ConsumerEvent> consumer(ActorRef<GroupStage.Command> stage, long window,
                                                            ActorRef<Outcome> done) {
    return Behaviors.setup(ctx -> {
      List<byte[]> collected = new ArrayList<>();
      if (window > 0) {
        stage.tell(new GroupStage.Request(window));
      }
      return Behaviors.receive(GroupStage.ConsumerEvent.class)
          .onMessage(GroupStage.Molecules.class, m -> {
            GroupedBatch b = m.batch();
            for (int r = 0; r < b.recordCount(); r++) {
              collected.add(java.util.Arrays.copyOfRange(b.records(), b.recordStart()[r], b.recordStart()[r + 1]));
            }
            stage.tell(new GroupStage.Request(b.bytes())); // replace what was consumed
            return Behaviors.same();
          })
          .onMessage(GroupStage.Completed.class, c -> {
            done.tell(new Outcome(collected, c.summary(), null));
            return Behaviors.stopped();
          })
          .onMessage(GroupStage.Failed.class, f -> {
            done.tell(new Outcome(collected, null, f.reason()));
            return Behaviors.stopped();
          })
          .build();
    });
  }
}
