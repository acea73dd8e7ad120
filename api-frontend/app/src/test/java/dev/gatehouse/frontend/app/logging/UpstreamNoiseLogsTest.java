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
    // A probe's DEBUG log had a secret's value as it was PUT, and the end of an agent's key, in
    // the buffers Jetty's endpoints, connections, requests and content producers log.
    context.getLogger("org.eclipse.jetty.io.SocketChannelEndPoint").debug("filled 231 <<<PUT /admin/v1/secrets/s1 {\"value\":\"SECRET\"}>>>");
    context.getLogger("org.eclipse.jetty.server.internal.HttpConnection").debug("<<<...RETprobeB0123456789>>>");
    context.getLogger("org.eclipse.jetty.server.Request").trace("{\"value\":\"SECRET\"}");
    context.getLogger("org.eclipse.jetty.ee10.servlet.AsyncContentProducer").debug("{\"value\":\"SECRET\"}");
    // Jetty's line per connection at a connection limit: a flood would write two a connection.
    context.getLogger("org.eclipse.jetty.server.NetworkConnectionLimit").info("Network connection limit 4 reached");
    context.getLogger("sun.net.www.protocol.http.HttpURLConnection").debug("{POST /token HTTP/1.1: null}{Authorization: Basic Z2g6c2VjcmV0}");
    context.getLogger("sun.net.www.protocol.https.DelegateHttpsURLConnection").trace("Authorization: Basic Z2g6c2VjcmV0");
    assertThat(seen.list).isEmpty();

    context.getLogger("io.modelcontextprotocol.client.McpAsyncClient").warn("kept: a warning");
    context.getLogger("org.apache.hc.client5.http.impl.classic.InternalHttpClient").debug("kept: not the wire");
    context.getLogger("io.modelcontextprotocolx").debug("kept: another name");
    context.getLogger("dev.gatehouse.x").debug("kept: ours");
    context.getLogger("org.eclipse.jetty.server.Server").info("kept: Jetty at INFO");
    assertThat(seen.list).extracting(ILoggingEvent::getFormattedMessage).allMatch(m -> m.startsWith("kept")).hasSize(5);
  }

  /**
   * A probe raised the root logger to DEBUG and fetched an OAuth token: Nimbus posts it through the
   * JDK's HttpURLConnection, which logged the request's headers through java.util.logging, the
   * client secret in its Basic header. The real connection, through the bridge the application
   * installs, at the level the admin port can set.
   */
  @Test
  void theJdksHttpUrlConnectionWritesNoHeaderWhenItsLevelIsRaised() throws Exception {
    LoggerContext context = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
    UpstreamNoiseLogs.install(context);
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Level before = root.getLevel();
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.start();
    java.util.logging.Logger jul = java.util.logging.Logger.getLogger("sun.net.www.protocol.http.HttpURLConnection");
    java.util.logging.Level julBefore = jul.getLevel();
    boolean bridged = org.slf4j.bridge.SLF4JBridgeHandler.isInstalled();
    if (!bridged) {
      org.slf4j.bridge.SLF4JBridgeHandler.install();
    }
    com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/token", exchange -> {
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    server.start();
    try {
      root.setLevel(Level.TRACE);
      root.addAppender(seen);
      jul.setLevel(java.util.logging.Level.ALL);
      var connection = (java.net.HttpURLConnection) new java.net.URL("http://127.0.0.1:" + server.getAddress().getPort() + "/token").openConnection();
      connection.setRequestMethod("POST");
      connection.setDoOutput(true);
      connection.setRequestProperty("Authorization", "Basic Z2g6U0VDUkVUWlpa");
      connection.getOutputStream().write("grant_type=client_credentials".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      assertThat(connection.getResponseCode()).isEqualTo(204);
      connection.disconnect();
      org.slf4j.LoggerFactory.getLogger("sun.net.www.protocol.http.HttpURLConnection").info("kept: a line at INFO");
    } finally {
      server.stop(0);
      root.detachAppender(seen);
      root.setLevel(before);
      jul.setLevel(julBefore);
      if (!bridged) {
        org.slf4j.bridge.SLF4JBridgeHandler.uninstall();
      }
    }
    assertThat(seen.list).extracting(ILoggingEvent::getFormattedMessage).noneMatch(m -> m.contains("Z2g6U0VDUkVUWlpa"));
    assertThat(seen.list).extracting(ILoggingEvent::getFormattedMessage).contains("kept: a line at INFO");
  }
}
