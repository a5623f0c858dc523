package io.umiflow.actors;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BamRecord;
import io.umiflow.codec.BgzfInputStream;
import io.umiflow.codec.RecordSplitter;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Runs jobs in a test kit and reads what they wrote. */
public final class JobRunner {
  private JobRunner() {}

  public static Path shared(String name) {
    String shared = System.getProperty("umiflow.shared", "../../shared");
    return Paths.get(shared, "compat", name).toAbsolutePath().normalize();
  }

  /** Runs one job to its end and returns the final event (Completed or Failed). */
  public static GroupJob.Event run(ActorTestKit kit, GroupSettings settings) {
    TestProbe<GroupJob.Event> probe = kit.createTestProbe();
    ActorRef<GroupJob.Command> job = kit.spawn(GroupJob.create());
    job.tell(new GroupJob.Start(settings, probe.getRef()));
    while (true) {
      GroupJob.Event e = probe.receiveMessage(Duration.ofMinutes(3));
      if (e instanceof GroupJob.Completed || e instanceof GroupJob.Failed) {
        probe.expectTerminated(job, Duration.ofSeconds(30));
        return e;
      }
    }
  }

  /** Every record of a BAM, as raw bytes. */
  public static List<byte[]> records(Path bam) throws IOException {
    List<byte[]> out = new ArrayList<>();
    try (BgzfInputStream in = new BgzfInputStream(new BufferedInputStream(Files.newInputStream(bam)), bam.toString())) {
      BamHeader.read(in, bam.toString());
      RecordSplitter splitter = new RecordSplitter(bam.toString());
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf, 0, buf.length)) > 0) {
        splitter.feed(buf, 0, n, (b, off, len, no) -> out.add(java.util.Arrays.copyOfRange(b, off, off + len)));
      }
      splitter.finish();
    }
    return out;
  }

  /** The decompressed bytes of a BAM (header and records), for byte-identity checks. */
  public static byte[] decompressed(Path bam) throws IOException {
    try (BgzfInputStream in = new BgzfInputStream(new BufferedInputStream(Files.newInputStream(bam)), bam.toString())) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    }
  }

  public static String name(byte[] r) {
    return BamRecord.readName(r, 0);
  }
}
