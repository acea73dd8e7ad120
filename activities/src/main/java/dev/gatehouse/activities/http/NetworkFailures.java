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
 * Java exception that said so. The root cause's own message is kept when it is plain text; it
 * names at most a host and a port, never a header or a body.
 */
public final class NetworkFailures {
  private static final Pattern JAVA_NAME = Pattern.compile("(java|javax|jdk|sun|io|org|com|dev)\\.[a-z]+\\.|Exception|Error\\b|\\$");

  private NetworkFailures() {}

  /** The failure in words: its kind for a network failure ("connection refused (...)"), else its own plain message. */
  public static String describe(Throwable failure) {
    Throwable root = failure;
    Set<Throwable> seen = new HashSet<>();
    while (root.getCause() != null && seen.add(root)) {
      root = root.getCause();
    }
    String kind = kind(failure, root);
    String message = root.getMessage();
    if (message == null || message.isBlank() || JAVA_NAME.matcher(message).find()) {
      return kind == null ? "the call failed" : kind;
    }
    String text = message.strip();
    if (text.length() > 200) {
      text = text.substring(0, 200);
    }
    if (kind == null) {
      return text; // not a network failure: what the failure itself says (an upstream's error message)
    }
    return text.equalsIgnoreCase(kind) ? kind : kind + " (" + text + ")";
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
