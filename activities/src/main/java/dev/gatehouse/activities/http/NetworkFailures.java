package dev.gatehouse.activities.http;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * What went wrong on the way to an upstream, in words an agent or operator reads (these texts
 * reach task errors, MCP answers and health checks): "connection refused", not the name of the
 * Java exception that said so. The root cause's own message is kept when it is plain text and
 * not about the upstream's answer: an answer that is not valid HTTP (a bad status line, protocol,
 * header or chunk) is said to be so in those words alone, as the HTTP client's own message quotes
 * the bytes the upstream sent, which may echo a header Gatehouse sent it (its key). Callers still
 * redact their upstream's secrets from the text (a host's message is the host's to word).
 */
public final class NetworkFailures {
  private static final Pattern JAVA_NAME = Pattern.compile("(java|javax|jdk|sun|io|org|com|dev)\\.[a-z]+\\.|Exception|Error\\b|\\$");

  /** What an upstream answer that is not valid HTTP is called (never the bytes it held). */
  public static final String NOT_HTTP = "the upstream's answer was not valid HTTP";

  /** What an answer whose head passed the client's bounds is called. */
  public static final String HEAD_TOO_LARGE =
      "the upstream's answer was refused: a line of its head over "
          + UpstreamConnections.Connection.MAX_LINE / 1024 + " KiB, or more than "
          + UpstreamConnections.Connection.MAX_HEADERS + " header lines";

  private NetworkFailures() {}

  /** The failure in words: its kind for a network failure ("connection refused (...)"), else its own plain message. */
  public static String describe(Throwable failure) {
    Throwable root = failure;
    Set<Throwable> seen = new HashSet<>();
    while (root.getCause() != null && seen.add(root)) {
      root = root.getCause();
    }
    if (malformedAnswer(failure)) {
      return NOT_HTTP;
    }
    if (headTooLarge(failure)) {
      return HEAD_TOO_LARGE;
    }
    if (reactorTimeout(failure)) {
      return "timed out"; // its own words name Reactor's operators and nanoseconds
    }
    String kind = kind(failure, root);
    String message = root.getMessage();
    if (message == null || message.isBlank() || JAVA_NAME.matcher(message).find()) {
      return kind == null ? "the call failed" : kind;
    }
    // An upstream's words reach the log, the MCP server's status and the agent's error: line
    // breaks, terminal escapes and bidi overrides in them would forge log lines or hide text.
    String text = dev.gatehouse.activities.text.Unprintables.spaced(message).strip();
    if (text.length() > 200) {
      text = text.substring(0, Character.isHighSurrogate(text.charAt(199)) ? 199 : 200);
    }
    if (kind == null) {
      return text; // not a network failure: what the failure itself says (an upstream's error message)
    }
    return text.equalsIgnoreCase(kind) ? kind : kind + " (" + text + ")";
  }

  /**
   * Whether the failure is the HTTP client refusing what the upstream sent as not HTTP: its
   * messages quote those bytes ({@code Invalid header: <...>}, {@code error at offset 12: <...>},
   * {@code Bad chunk header: ...}).
   */
  private static boolean malformedAnswer(Throwable failure) {
    Set<Throwable> seen = new HashSet<>();
    for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
      if (t instanceof org.apache.hc.core5.http.HttpException
          || t instanceof org.apache.hc.core5.http.MalformedChunkCodingException) {
        return true;
      }
    }
    return false;
  }

  /** Whether the failure is the HTTP client refusing an answer's head past its bounds (a line, the header count). */
  private static boolean headTooLarge(Throwable failure) {
    Set<Throwable> seen = new HashSet<>();
    for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
      if (t instanceof org.apache.hc.core5.http.MessageConstraintException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the failure is a wait that ran out in Reactor ({@code Mono.timeout}: "Did not observe
   * any item or terminal signal within 20000ms in 'source(MonoDeferContextual)'", {@code
   * Mono.block(Duration)}: "Timeout on blocking read for 5000000000 NANOSECONDS").
   */
  private static boolean reactorTimeout(Throwable failure) {
    Set<Throwable> seen = new HashSet<>();
    for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
      if (t instanceof java.util.concurrent.TimeoutException
          || t instanceof IllegalStateException && t.getMessage() != null && t.getMessage().startsWith("Timeout on blocking read")) {
        return true;
      }
    }
    return false;
  }

  private static String kind(Throwable failure, Throwable root) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof EgressRefusedException) {
        return null; // its own message says it all
      }
      if (t instanceof HttpConnectTimeoutException || t instanceof org.apache.hc.client5.http.ConnectTimeoutException) {
        return "connecting timed out";
      }
      if (t instanceof HttpTimeoutException || t instanceof java.net.SocketTimeoutException) {
        return "timed out";
      }
      if (t instanceof ConnectException) {
        return "connection refused";
      }
      if (t instanceof UnknownHostException) {
        return "unknown host";
      }
      if (t instanceof NoRouteToHostException) {
        return "no route to host";
      }
      if (t instanceof SSLException) {
        return "TLS failed";
      }
      if (t instanceof EOFException || t instanceof ClosedChannelException) {
        return "the connection was closed";
      }
      if (t == root) {
        break;
      }
    }
    String m = root.getMessage() == null ? "" : root.getMessage().toLowerCase(java.util.Locale.ROOT);
    if (m.contains("reset")) {
      return "the connection was reset";
    }
    if (m.contains("closed")) {
      return "the connection was closed";
    }
    return root instanceof java.io.IOException ? "the connection failed" : null;
  }
}
