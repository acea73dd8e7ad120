package dev.gatehouse.frontend.app.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;

/** The MCP SDK's line for each notification an upstream made fail is not logged; its other lines are. */
class UpstreamNoiseLogsTest {
  @Test
  void aFailedNotificationsLineIsDroppedAndTheRestKept() {
    LoggerContext context = new LoggerContext();
    UpstreamNoiseLogs.install(context);
    UpstreamNoiseLogs.install(context);
    assertThat(context.getTurboFilterList()).filteredOn(f -> f instanceof UpstreamNoiseLogs).hasSize(1);
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.start();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(seen);
    Logger session = context.getLogger(UpstreamNoiseLogs.CLIENT_SESSION);

    for (int i = 0; i < 300; i++) {
      session.error("Error handling notification: {}", "java.lang.IllegalStateException: HTTP 500");
    }
    assertThat(seen.list).isEmpty();

    session.error("Error handling request {} [{}]", "sampling/createMessage", "x");
    context.getLogger("dev.gatehouse.elsewhere").error("Error handling notification: {}", "kept: another logger");
    assertThat(seen.list).extracting(ILoggingEvent::getLoggerName).containsExactly(UpstreamNoiseLogs.CLIENT_SESSION, "dev.gatehouse.elsewhere");
  }
}
