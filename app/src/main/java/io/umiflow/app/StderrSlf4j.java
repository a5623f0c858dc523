package io.umiflow.app;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The command line's slf4j back end (found through {@code META-INF/services}): every line at or above
 * {@code -Dumiflow.logLevel} (default WARN) goes to stderr as {@code umiflow: LEVEL logger: message}.
 *
 * <p>Why not Logback: Akka Typed asks slf4j for a logger whenever a system starts, so every run started a
 * logging back end; Logback's start took 30-50 ms of the critical path of a short run (the system waits for
 * it), this one about 5. The CLI's only log lines are warnings and errors (Akka's, the cluster's), which need
 * no configuration beyond the level.
 */
public final class StderrSlf4j implements SLF4JServiceProvider {
  private final IMarkerFactory markers = new BasicMarkerFactory();
  private final MDCAdapter mdc = new BasicMDCAdapter();
  private ILoggerFactory loggers;

  @Override
  public ILoggerFactory getLoggerFactory() {
    return loggers;
  }

  @Override
  public IMarkerFactory getMarkerFactory() {
    return markers;
  }

  @Override
  public MDCAdapter getMDCAdapter() {
    return mdc;
  }

  @Override
  public String getRequestedApiVersion() {
    return "2.0.99";
  }

  @Override
  public void initialize() {
    Level threshold = threshold(System.getProperty("umiflow.logLevel"));
    ConcurrentMap<String, Logger> byName = new ConcurrentHashMap<>();
    loggers = name -> byName.computeIfAbsent(name, n -> new Log(n, threshold));
  }

  /** The level named by {@code text} (case-insensitive; WARNING as WARN); WARN when null or unknown. */
  static Level threshold(String text) {
    if (text == null) {
      return Level.WARN;
    }
    String t = text.trim().toUpperCase(java.util.Locale.ROOT);
    if (t.equals("WARNING")) {
      return Level.WARN;
    }
    if (t.equals("OFF")) {
      return null;
    }
    for (Level l : Level.values()) {
      if (l.name().equals(t)) {
        return l;
      }
    }
    return Level.WARN;
  }

  /** One logger: enabled at {@code threshold} and above (nothing when it is null, "off"). */
  static final class Log extends LegacyAbstractLogger {
    private static final long serialVersionUID = 1L;
    private final transient Level threshold;
    private final String shortName;

    Log(String name, Level threshold) {
      this.name = name;
      this.threshold = threshold;
      this.shortName = name.substring(name.lastIndexOf('.') + 1);
    }

    private boolean enabled(Level level) {
      return threshold != null && level.toInt() >= threshold.toInt();
    }

    @Override
    public boolean isTraceEnabled() {
      return enabled(Level.TRACE);
    }

    @Override
    public boolean isDebugEnabled() {
      return enabled(Level.DEBUG);
    }

    @Override
    public boolean isInfoEnabled() {
      return enabled(Level.INFO);
    }

    @Override
    public boolean isWarnEnabled() {
      return enabled(Level.WARN);
    }

    @Override
    public boolean isErrorEnabled() {
      return enabled(Level.ERROR);
    }

    @Override
    protected String getFullyQualifiedCallerName() {
      return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments,
                                               Throwable thrown) {
      System.err.print(line(level, shortName, MessageFormatter.basicArrayFormat(pattern, arguments), thrown));
    }
  }

  /** {@code umiflow: LEVEL logger: message}, and the exception's class and message in parentheses. */
  static String line(Level level, String logger, String message, Throwable thrown) {
    StringBuilder b = new StringBuilder("umiflow: ").append(level).append(' ').append(logger).append(": ")
        .append(message);
    if (thrown != null) {
      b.append(" (").append(thrown.getClass().getName()).append(": ").append(thrown.getMessage()).append(')');
    }
    return b.append(System.lineSeparator()).toString();
  }
}
