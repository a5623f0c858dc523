package io.umiflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/** The CLI's slf4j back end: it is the one slf4j finds, its levels and its one-line form. */
class StderrSlf4jTest {
  @Test
  void slf4jFindsItAlone() {
    assertInstanceOf(StderrSlf4j.Log.class, LoggerFactory.getLogger("akka.actor.typed.Something"));
  }

  @Test
  void levelsFromTheProperty() {
    assertEquals(Level.WARN, StderrSlf4j.threshold(null));
    assertEquals(Level.WARN, StderrSlf4j.threshold("warning"));
    assertEquals(Level.INFO, StderrSlf4j.threshold(" info "));
    assertEquals(Level.ERROR, StderrSlf4j.threshold("ERROR"));
    assertEquals(Level.WARN, StderrSlf4j.threshold("loud"));
    assertNull(StderrSlf4j.threshold("off"));
    StderrSlf4j.Log warn = new StderrSlf4j.Log("a.b.C", Level.WARN);
    assertTrue(warn.isErrorEnabled() && warn.isWarnEnabled());
    assertFalse(warn.isInfoEnabled() || warn.isDebugEnabled() || warn.isTraceEnabled());
    StderrSlf4j.Log off = new StderrSlf4j.Log("a.b.C", null);
    assertFalse(off.isErrorEnabled());
  }

  @Test
  void oneLineWithTheShortLoggerNameAndTheCause() {
    assertEquals("umiflow: WARN Sharding: 2 of 3 up" + System.lineSeparator(),
        StderrSlf4j.line(Level.WARN, "Sharding", org.slf4j.helpers.MessageFormatter.basicArrayFormat(
            "{} of {} up", new Object[] {2, 3}), null));
    assertEquals("umiflow: ERROR X: failed (java.io.IOException: disk full)" + System.lineSeparator(),
        StderrSlf4j.line(Level.ERROR, "X", "failed", new java.io.IOException("disk full")));
  }
}
