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

  @Override
  public void close() {
    logger.detachAppender(appender);
    logger.setLevel(level);
    appender.stop();
  }
}
