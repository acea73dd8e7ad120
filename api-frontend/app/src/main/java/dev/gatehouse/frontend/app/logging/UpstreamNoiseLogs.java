package dev.gatehouse.frontend.app.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * Drops the log lines an upstream MCP server writes at will through the MCP SDK's client: one
 * {@code ERROR} for every notification whose handling failed ("Error handling notification"; a
 * probe's server sent 300 list changes and answered each list that followed with a 500: 300 error
 * lines). What the upstream did shows in Gatehouse's own terms instead: its status, and the calls
 * that failed. Every other line of that logger is logged as before.
 *
 * <p>Also drops every line below {@code INFO} of the loggers that write what crosses the wire: the
 * MCP SDK's (each JSON-RPC message, as it came), the upstream HTTP client's wire and header logs,
 * Jetty's (its parser logs each request header; its endpoints, connections, requests and servlet
 * content producers each buffer they fill, a request's body and key among them), and the JDK's {@code HttpURLConnection}
 * (each request's headers: Nimbus fetches OAuth tokens and key sets through it, a client secret in
 * a {@code Basic} header). Those lines carry agents' keys and
 * upstreams' credentials, and a level raised for a while (the admin port's {@code
 * /tasks/log-level}, a logging configuration) would write them to the log.
 *
 * <p>And Jetty's own line each time the application port reaches or leaves its connection limit
 * (two lines per connection, under a flood that keeps it there): {@code ConnectionLimits} says
 * so instead, at most once a minute.
 */
public final class UpstreamNoiseLogs extends TurboFilter {
  static final String CLIENT_SESSION = "io.modelcontextprotocol.spec.McpClientSession";
  static final String NOTIFICATION_FAILED = "Error handling notification";
  /** Loggers (and their children) whose lines below INFO carry credentials. */
  static final java.util.List<String> WIRE_LOGGERS =
      java.util.List.of(
          "io.modelcontextprotocol", "org.apache.hc.client5.http.wire", "org.apache.hc.client5.http.headers",
          "org.eclipse.jetty", "sun.net.www.protocol.http", "sun.net.www.protocol.https");
  /** Jetty's line each time a connection limit is reached or cleared. */
  static final String CONNECTION_LIMIT = "org.eclipse.jetty.server.NetworkConnectionLimit";

  /** Adds the filter to the process's logging (once). */
  public static void install() {
    TurboFilters.installOnce(UpstreamNoiseLogs.class, UpstreamNoiseLogs::new);
  }

  static void install(LoggerContext context) {
    TurboFilters.installOnce(context, UpstreamNoiseLogs.class, UpstreamNoiseLogs::new);
  }

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (logger == null) {
      return FilterReply.NEUTRAL;
    }
    if (level != null && level.toInt() < Level.INFO_INT && wire(logger.getName())) {
      return FilterReply.DENY;
    }
    if (level != null && level.toInt() <= Level.INFO_INT && logger.getName().startsWith(CONNECTION_LIMIT)) {
      return FilterReply.DENY;
    }
    return CLIENT_SESSION.equals(logger.getName()) && format != null && format.startsWith(NOTIFICATION_FAILED)
        ? FilterReply.DENY
        : FilterReply.NEUTRAL;
  }

  private static boolean wire(String name) {
    for (String prefix : WIRE_LOGGERS) {
      if (name.startsWith(prefix) && (name.length() == prefix.length() || name.charAt(prefix.length()) == '.')) {
        return true;
      }
    }
    return false;
  }
}
