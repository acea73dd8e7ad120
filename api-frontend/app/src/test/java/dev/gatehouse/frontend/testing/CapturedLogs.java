package dev.gatehouse.frontend.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * What one logger (and those below it) logs at {@code level} or above while this is open; closing
 * restores the logger's level and detaches the capture.
 */
public final class CapturedLogs implements AutoCloseable {
  private final Logger logger;
  private final Level level;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private CapturedLogs(String name, Level capture) {
    logger = (Logger) LoggerFactory.getLogger(name);
    level = logger.getLevel();
    appender.start();
    logger.setLevel(capture);
    logger.addAppender(appender);
  }

  public static CapturedLogs of(String logger, Level level) {
    return new CapturedLogs(logger, level);
  }

  /** The messages logged so far, formatted. */
  public List<String> messages() {
    return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  /**
   * The messages logged so far, formatted, but for Jetty's reports of its own {@code assert}s
   * failing ({@link #jettyAssertion}).
   */
  public List<String> messagesButJettyAssertions() {
    return appender.list.stream().filter(e -> !jettyAssertion(e)).map(ILoggingEvent::getFormattedMessage).toList();
  }

  /**
   * Whether {@code event} reports an {@code AssertionError} thrown in Jetty's own code: an internal
   * check that runs only because the tests run with assertions on ({@code -ea}), as a server never
   * does. Jetty 12.1.5 asserts, when a response's last write fails because its connection was
   * closed while the servlet had not yet returned, that the handler had completed
   * ({@code HttpChannelState$LastWriteCallback}), and its {@code SerializedInvoker} logs the failed
   * assert as a WARN; without {@code -ea} the assert is not evaluated and the path goes on.
   */
  static boolean jettyAssertion(ILoggingEvent event) {
    var thrown = event.getThrowableProxy();
    if (thrown == null || !AssertionError.class.getName().equals(thrown.getClassName())) {
      return false;
    }
    var frames = thrown.getStackTraceElementProxyArray();
    return frames.length > 0 && frames[0].getStackTraceElement().getClassName().startsWith("org.eclipse.jetty.");
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    logger.setLevel(level);
    appender.stop();
  }
}
