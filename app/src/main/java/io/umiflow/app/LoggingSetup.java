package io.umiflow.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * Logback's set-up in code, found through {@code META-INF/services}: every run starts slf4j (Akka Typed's
 * system asks for a logger as it starts), and reading the same settings from {@code logback.xml} cost about
 * 0.1 s of each run. Warnings and errors (or {@code -Dumiflow.logLevel}) go to stderr as
 * {@code umiflow: LEVEL logger: message}. With {@code -Dlogback.configurationFile} given, that file is used
 * instead.
 */
public final class LoggingSetup extends ContextAwareBase implements Configurator {
  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    LayoutBase<ILoggingEvent> layout = new LayoutBase<>() {
      @Override
      public String doLayout(ILoggingEvent e) {
        String name = e.getLoggerName();
        String line = "umiflow: " + e.getLevel() + " " + name.substring(name.lastIndexOf('.') + 1) + ": "
            + e.getFormattedMessage();
        return e.getThrowableProxy() == null ? line + "\n" : line + " (" + e.getThrowableProxy().getClassName() + ": "
            + e.getThrowableProxy().getMessage() + ")\n";
      }
    };
    layout.setContext(context);
    layout.start();
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(context);
    encoder.setLayout(layout);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(System.getProperty("umiflow.logLevel", "WARN"), Level.WARN));
    root.addAppender(stderr);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
