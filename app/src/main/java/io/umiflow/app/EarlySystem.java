package io.umiflow.app;

import akka.actor.typed.ActorSystem;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.umiflow.actors.GroupJob;
import io.umiflow.actors.GroupSettings;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The ActorSystem of {@code umiflow group}, started on a thread of its own as soon as {@code main} sees the
 * command, while picocli parses the options and the settings are checked on the main thread. Starting Akka
 * (its config, dispatchers, scheduler and logging) takes 0.15-0.2 s, which a short run would otherwise wait
 * for after the parse; on two or more cores the two now overlap. The system waits for the settings before it
 * spawns the job (see {@link GroupCommand#root}), so nothing runs before the command has accepted them; a
 * command that ends before (bad options, {@code --help}) leaves it to the JVM's exit.
 */
final class EarlySystem {
  /** The started system and the ends the command connects to it. */
  record Started(ActorSystem<Void> system, CompletableFuture<GroupSettings> settings,
                 CompletableFuture<Integer> status, Wiring wiring) {}

  /** Where the root reports the job's events: set by the command before it completes the settings. */
  static final class Wiring implements Consumer<GroupJob.Event> {
    private volatile Consumer<GroupJob.Event> report = e -> { };

    void reportTo(Consumer<GroupJob.Event> r) {
      report = r;
    }

    @Override
    public void accept(GroupJob.Event e) {
      report.accept(e);
    }
  }

  private static volatile int earlyThreads;
  private static volatile CompletableFuture<Started> early;

  private EarlySystem() {}

  /**
   * Starts the system for {@code umiflow group ARGS} in the background, sized for the {@code --threads} the
   * arguments give (all cores by default); does nothing for other commands or unreadable thread counts.
   */
  static void startFor(String[] args) {
    if (args.length == 0 || !args[0].equals("group")) {
      return;
    }
    int threads = Runtime.getRuntime().availableProcessors();
    for (int i = 1; i < args.length; i++) {
      String value = args[i].startsWith("--threads=") ? args[i].substring("--threads=".length())
          : args[i].equals("--threads") && i + 1 < args.length ? args[i + 1] : null;
      if (value != null) {
        try {
          threads = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
          return; // picocli will say what is wrong with it
        }
      }
    }
    if (threads < 1) {
      return;
    }
    int t = threads;
    earlyThreads = t;
    CompletableFuture<Started> f = new CompletableFuture<>();
    early = f;
    Thread starter = new Thread(() -> {
      try {
        f.complete(start(t));
      } catch (Throwable e) {
        f.completeExceptionally(e);
      }
    }, "umiflow-system-start");
    starter.setDaemon(true);
    starter.start();
  }

  /** A new system for {@code threads} workers, waiting for its settings. */
  static Started start(int threads) {
    // Akka Typed asks slf4j for a logger as the system starts, on more than one thread; slf4j finishes
    // initializing here first (StderrSlf4j, a few ms), else a logger asked for meanwhile is replayed with a
    // three-line warning on stderr (with class-data sharing that happened on most runs)
    org.slf4j.LoggerFactory.getILoggerFactory();
    Config config = ConfigFactory.parseString(
        "umiflow.worker-dispatcher.fork-join-executor.parallelism-min = " + threads + "\n"
            + "umiflow.worker-dispatcher.fork-join-executor.parallelism-max = " + threads + "\n"
            // a local job serializes nothing, materializes no stream and registers with no receptionist: the
            // library extensions for those (serialization, typed receptionist, stream materializer) load on
            // first use instead of at every start (15-20 ms of it)
            + "akka.library-extensions = []\n")
        .withFallback(ConfigFactory.load());
    CompletableFuture<GroupSettings> settings = new CompletableFuture<>();
    CompletableFuture<Integer> status = new CompletableFuture<>();
    Wiring wiring = new Wiring();
    ActorSystem<Void> system = ActorSystem.create(
        GroupCommand.root(GroupJob.create(), settings, wiring, status, System.err), "umiflow", config);
    return new Started(system, settings, status, wiring);
  }

  /**
   * The system started early for {@code threads} workers, or a new one when none was (tests call the command
   * without {@code main}) or it was sized otherwise (the early one is then stopped).
   */
  static Started take(int threads) {
    CompletableFuture<Started> f = early;
    early = null;
    if (f != null) {
      Started s = f.exceptionally(e -> null).join();
      if (s != null && earlyThreads == threads) {
        return s;
      }
      if (s != null) {
        s.system().terminate();
      }
    }
    return start(threads);
  }
}
