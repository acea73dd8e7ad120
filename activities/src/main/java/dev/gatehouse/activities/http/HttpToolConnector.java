package dev.gatehouse.activities.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.gatehouse.activities.text.UpstreamJson;
import dev.gatehouse.activities.tool.ToolCallException;
import dev.gatehouse.registry.tools.HttpEndpoint;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;

/**
 * Calls an HTTP tool: fills the URL template, sends the other arguments as query or JSON body,
 * adds the idempotency key, and reads at most {@code maxResponseBytes} of the answer, all within
 * the tool's timeout (headers and body together).
 */
public class HttpToolConnector {
  private static final ObjectMapper JSON = UpstreamJson.bounded(new ObjectMapper());

  private final BlockingHttp client;
  private final int maxResponseBytes;

  public HttpToolConnector(int maxResponseBytes) {
    this(new BlockingHttp(Duration.ofSeconds(5)), maxResponseBytes);
  }

  public HttpToolConnector(BlockingHttp client, int maxResponseBytes) {
    this.client = client;
    this.maxResponseBytes = maxResponseBytes;
  }

  /** Calls with the tool's headers as they are (no secrets to fill). */
  public ToolCallResult call(ToolDefinition tool, JsonNode args, String idempotencyKey) {
    return call(tool, args, idempotencyKey, tool.http().headers(), s -> s, n -> n);
  }

  /**
   * Calls with {@code headers} (the tool's, with credentials filled in). {@code redact} scrubs
   * credentials from error messages, {@code redactTree} from every string of the output (values,
   * as the JSON holds them unescaped: a credential with a quote in it is found too).
   */
  public ToolCallResult call(
      ToolDefinition tool,
      JsonNode args,
      String idempotencyKey,
      Map<String, String> headers,
      java.util.function.UnaryOperator<String> redact,
      java.util.function.UnaryOperator<JsonNode> redactTree) {
    HttpEndpoint http = tool.http();
    ObjectNode rest = args != null && args.isObject() ? ((ObjectNode) args).deepCopy() : JsonNodeFactory.instance.objectNode();
    String url = http.url();
    Map<String, String> filled = new java.util.LinkedHashMap<>();
    for (String name : http.placeholders()) {
      JsonNode v = rest.remove(name);
      String value = v == null ? "" : v.asText();
      filled.put(name, value);
      url = url.replace("{" + name + "}", encode(value));
    }
    refuseDotSegments(http.url(), url, filled);
    HttpUriRequestBase request = new HttpUriRequestBase(http.method(), URI.create(http.argsInQuery() ? withQuery(url, rest) : url));
    if (!http.argsInQuery()) {
      request.setEntity(new ByteArrayEntity(rest.toString().getBytes(StandardCharsets.UTF_8), BlockingHttp.JSON));
    }
    if (idempotencyKey != null) {
      request.setHeader("Idempotency-Key", idempotencyKey);
    }
    for (Map.Entry<String, String> h : headers.entrySet()) {
      request.setHeader(h.getKey(), h.getValue());
    }
    // Sent and read on this thread, within the tool's timeout (headers and body together: an
    // upstream that trickles its body cannot hold a worker slot past it). When the call is to stop
    // (its activity was cancelled), BlockingHttp.interrupt aborts the exchange and closes the
    // connection, so the upstream sees the caller go.
    BlockingHttp.Exchange exchange = client.exchange(request, tool.timeout(), tool.egressGuarded());
    int status;
    byte[] bytes;
    String contentType;
    String retryAfter;
    try (exchange) {
      ClassicHttpResponse response = exchange.send();
      status = response.getCode();
      contentType = BlockingHttp.header(response, "Content-Type");
      retryAfter = BlockingHttp.header(response, "Retry-After");
      try (BlockingHttp.Body in = exchange.body()) {
        bytes = in.readNBytes(maxResponseBytes + 1);
      }
    } catch (IOException | RuntimeException e) {
      if (exchange.timedOut()) {
        throw timedOut(tool);
      }
      if (exchange.cancelled() || interrupted(e)) {
        // Its caller stopped it: the agent cancelled, or its session ended (the direct path
        // interrupts the thread), or its activity was told to stop (BlockingHttp.interrupt).
        // Retryable as before: an activity whose worker shuts down is interrupted too, and its
        // call is made again elsewhere (an activity told to stop ends as Temporal asked anyway).
        throw new ToolCallException(ToolFailureTypes.CANCELED, "the call of " + tool.name() + " was canceled", true);
      }
      EgressRefusedException refused = Egress.refusal(e);
      if (refused != null) {
        throw new ToolCallException(ToolFailureTypes.EGRESS_REFUSED, "could not call " + tool.name() + ": " + refused.getMessage(), false);
      }
      throw new ToolCallException(ToolFailureTypes.UPSTREAM_ERROR, "could not reach " + tool.name() + ": " + redact.apply(NetworkFailures.describe(e)), true);
    }
    if (bytes.length > maxResponseBytes) {
      throw tooLarge(tool);
    }
    if (status >= 200 && status < 300) {
      return new ToolCallResult(status, redactTree.apply(parse(bytes, contentType)));
    }
    boolean retryable = status == 408 || status == 429 || status >= 500;
    String detail = dev.gatehouse.activities.text.Unprintables.spaced(redact.apply(new String(bytes, StandardCharsets.UTF_8)));
    detail = detail.substring(0, Math.min(detail.length(), 300)).strip();
    throw new ToolCallException(
        retryable ? ToolFailureTypes.UPSTREAM_ERROR : ToolFailureTypes.UPSTREAM_CLIENT_ERROR,
        tool.name() + " answered HTTP " + status + (detail.isEmpty() ? "" : ": " + detail),
        retryable,
        status,
        retryable ? RetryAfter.parse(retryAfter, Instant.now()).orElse(null) : null);
  }

  /** True when {@code e} is, or came of, this thread being interrupted (not a time-out). */
  private static boolean interrupted(Throwable e) {
    if (Thread.currentThread().isInterrupted()) {
      return true;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.nio.channels.ClosedByInterruptException
          || (t instanceof java.io.InterruptedIOException && !(t instanceof java.net.SocketTimeoutException))) {
        return true;
      }
    }
    return false;
  }

  private static ToolCallException timedOut(ToolDefinition tool) {
    return new ToolCallException(
        ToolFailureTypes.UPSTREAM_ERROR,
        tool.name() + " did not answer within " + tool.timeout().toMillis() + " ms",
        true);
  }

  private ToolCallException tooLarge(ToolDefinition tool) {
    return new ToolCallException(
        ToolFailureTypes.RESPONSE_TOO_LARGE,
        "the answer of " + tool.name() + " is larger than the cap of " + maxResponseBytes + " bytes",
        false);
  }

  private static JsonNode parse(byte[] bytes, String contentType) {
    if (bytes.length == 0) {
      return JsonNodeFactory.instance.nullNode();
    }
    String type = contentType == null ? "" : contentType;
    if (type.contains("json") || type.isEmpty()) {
      try {
        return JSON.readTree(bytes);
      } catch (IOException notJson) {
        // fall through: keep the text
      }
    }
    return TextNode.valueOf(new String(bytes, StandardCharsets.UTF_8));
  }

  private static String withQuery(String url, ObjectNode args) {
    if (args.isEmpty()) {
      return url;
    }
    refuseFixedParameters(url, args);
    StringBuilder sb = new StringBuilder(url).append(url.contains("?") ? '&' : '?');
    boolean first = true;
    for (Map.Entry<String, JsonNode> e : args.properties()) {
      if (e.getValue().isNull()) {
        continue;
      }
      if (!first) {
        sb.append('&');
      }
      first = false;
      String value = e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString();
      sb.append(encode(e.getKey())).append('=').append(encode(value));
    }
    return sb.toString();
  }

  /**
   * An argument may not name a query parameter the tool's URL sets itself ({@code ?scope=read}):
   * sent as well, it would come after the registry's value, and an upstream that reads the last of
   * a repeated parameter would take the caller's ({@code scope=admin}). Names are compared as an
   * upstream might read them: in any case, without white space around them, and without PHP's
   * array suffix ({@code scope[]}). Refused as invalid arguments before anything is sent.
   */
  private static void refuseFixedParameters(String url, ObjectNode args) {
    int q = url.indexOf('?');
    if (q < 0) {
      return;
    }
    int end = url.indexOf('#', q);
    java.util.Set<String> fixed = new java.util.HashSet<>();
    for (String pair : url.substring(q + 1, end < 0 ? url.length() : end).split("&")) {
      if (!pair.isEmpty()) {
        int eq = pair.indexOf('=');
        fixed.add(parameterName(decode(eq < 0 ? pair : pair.substring(0, eq))));
      }
    }
    List<String> clashes = new java.util.ArrayList<>();
    for (Map.Entry<String, JsonNode> e : args.properties()) {
      if (!e.getValue().isNull() && fixed.contains(parameterName(e.getKey()))) {
        clashes.add("'" + e.getKey() + "'");
      }
    }
    if (!clashes.isEmpty()) {
      throw new ToolCallException(
          ToolFailureTypes.INVALID_ARGUMENTS,
          "the tool's URL sets the query parameter " + String.join(", ", clashes) + " itself; an argument may not set it again",
          false);
    }
  }

  /** A query parameter's name as upstreams may read it: lower case, trimmed, without a {@code [...]} suffix. */
  private static String parameterName(String name) {
    String n = name.strip().toLowerCase(java.util.Locale.ROOT);
    int bracket = n.indexOf('[');
    return (bracket > 0 ? n.substring(0, bracket) : n).strip();
  }

  private static String decode(String s) {
    try {
      return java.net.URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s; // not valid percent-encoding: compared as written
    }
  }

  /**
   * URL-encoding leaves {@code .} as it is, so an argument {@code ..} or {@code .} filling a
   * whole path segment would make a dot segment, which the upstream (or a proxy before it)
   * resolves to another path: {@code /files/{name}} with {@code ..} reaches {@code /}. Such a
   * call is refused as invalid arguments before anything is sent.
   */
  private static void refuseDotSegments(String template, String url, Map<String, String> filled) {
    if (filled.values().stream().noneMatch(v -> !v.isEmpty() && v.chars().allMatch(c -> c == '.'))) {
      return;
    }
    if (dotSegments(url) > dotSegments(template)) {
      String names =
          filled.entrySet().stream()
              .filter(e -> !e.getValue().isEmpty() && e.getValue().chars().allMatch(c -> c == '.'))
              .map(e -> "'" + e.getKey() + "' is '" + e.getValue() + "'")
              .collect(java.util.stream.Collectors.joining(", "));
      throw new ToolCallException(
          ToolFailureTypes.INVALID_ARGUMENTS,
          "a URL path argument may not be '.' or '..' (it would name another path of the upstream): " + names,
          false);
    }
  }

  /** How many segments of the URL's path are "." or "..". */
  private static int dotSegments(String url) {
    int start = url.indexOf("://");
    start = url.indexOf('/', start < 0 ? 0 : start + 3);
    if (start < 0) {
      return 0;
    }
    int end = url.length();
    for (char c : new char[] {'?', '#'}) {
      int i = url.indexOf(c, start);
      if (i >= 0 && i < end) {
        end = i;
      }
    }
    int n = 0;
    for (String segment : url.substring(start, end).split("/", -1)) {
      n += segment.equals(".") || segment.equals("..") ? 1 : 0;
    }
    return n;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
