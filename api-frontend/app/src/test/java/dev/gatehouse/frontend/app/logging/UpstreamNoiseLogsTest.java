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

  /**
   * A probe set the root logger to DEBUG over the admin port's /tasks/log-level, and the MCP SDK
   * wrote each JSON-RPC message as it came, an upstream's echo of its credentials included.
   */
  @Test
  void theWiresLinesBelowInfoAreDroppedWhateverTheLevel() {
    LoggerContext context = new LoggerContext();
    UpstreamNoiseLogs.install(context);
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.start();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.TRACE);
    root.addAppender(seen);

    context.getLogger("io.modelcontextprotocol.spec.McpSchema").debug("Received JSON message: {}", "Bearer sk-secret");
    context.getLogger("org.apache.hc.client5.http.headers").debug("http-outgoing-0 >> Authorization: Bearer sk-secret");
    context.getLogger("org.apache.hc.client5.http.wire").trace("http-outgoing-0 >> \"x-api-key: sk-secret\"");
    context.getLogger("org.eclipse.jetty.http.HttpParser").debug("parsedHeader Authorization: Bearer gk_agent");
    assertThat(seen.list).isEmpty();

    context.getLogger("io.modelcontextprotocol.client.McpAsyncClient").warn("kept: a warning");
    context.getLogger("org.apache.hc.client5.http.impl.classic.InternalHttpClient").debug("kept: not the wire");
    context.getLogger("io.modelcontextprotocolx").debug("kept: another name");
    context.getLogger("dev.gatehouse.x").debug("kept: ours");
    assertThat(seen.list).extracting(ILoggingEvent::getFormattedMessage).allMatch(m -> m.startsWith("kept")).hasSize(4);
  }
}
