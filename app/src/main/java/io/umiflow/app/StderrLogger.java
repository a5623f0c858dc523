package io.umiflow.app;

import akka.actor.AbstractActor;
import akka.event.Logging;

/**
 * Akka's event-stream logger for the command line: warnings and errors go to stderr, one line each,
 * without initialising a logging framework at startup (Logback's start-up cost 140 ms of a 0.55 s run).
 * Logback stays the slf4j backend for anything that logs through slf4j, and starts only if something does.
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
