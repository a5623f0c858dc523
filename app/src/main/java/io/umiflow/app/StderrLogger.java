package io.umiflow.app;

import akka.actor.AbstractActor;
import akka.event.Logging;

/**
 * Akka's event-stream logger for the command line: warnings and errors go to stderr, one line each, without
 * an slf4j logger actor ({@code akka.use-slf4j = off}). What logs through slf4j (Akka Typed) goes to stderr in
 * the same form through {@link StderrSlf4j}.
 */
public final class StderrLogger extends AbstractActor {
  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(Logging.InitializeLogger.class, m -> getSender().tell(Logging.loggerInitialized(), getSelf()))
        .match(Logging.Error.class, e -> print("ERROR", e, e.cause()))
        .match(Logging.Warning.class, e -> print("WARN", e, null))
        .match(Logging.LogEvent.class, e -> { }) // info and debug: below the configured level
        .build();
  }

  private static void print(String level, Logging.LogEvent e, Throwable cause) {
    // Akka marks "no cause" with a placeholder throwable of its own
    String why = cause == null || cause.getClass().getName().endsWith("NoCause$") ? "" : " (" + cause + ")";
    System.err.println("umiflow: " + level + " " + e.logSource() + ": " + e.message() + why);
  }
}
