package dev.gatehouse.activities.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.gatehouse.activities.tool.ToolCallException;
import dev.gatehouse.registry.tools.HttpEndpoint;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Calls an HTTP tool: fills the URL template, sends the other arguments as query or JSON body,
 * adds the idempotency key, and reads at most {@code maxResponseBytes} of the answer, all within
 * the tool's timeout (headers and body together).
 */
public class HttpToolConnector {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient client;
  private final int maxResponseBytes;

  public HttpToolConnector(int maxResponseBytes) {
    this(
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5))
            .build(),
        maxResponseBytes);
  }

  public HttpToolConnector(HttpClient client, int maxResponseBytes) {
    this.client = client;
    this.maxResponseBytes = maxResponseBytes;
  }

  /** Calls with the tool's headers as they are (no secrets to fill). */
  public ToolCallResult call(ToolDefinition tool, JsonNode args, String idempotencyKey) {
    return call(tool, args, idempotencyKey, tool.http().headers(), s -> s);
  }

  /**
   * Calls with {@code headers} (the tool's, with credentials filled in). {@code redact} scrubs
   * credentials from everything that leaves this method: the output and error messages.
   */
  public ToolCallResult call(
      ToolDefinition tool,
      JsonNode args,
      String idempotencyKey,
      Map<String, String> headers,
      java.util.function.UnaryOperator<String> redact) {
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
    HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.noBody();
    boolean jsonBody = false;
    if (http.argsInQuery()) {
      url = withQuery(url, rest);
    } else {
      body = HttpRequest.BodyPublishers.ofString(rest.toString());
      jsonBody = true;
    }
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(tool.timeout())
            .method(http.method(), body)
            .header("User-Agent", "gatehouse");
    if (idempotencyKey != null) {
      request.header("Idempotency-Key", idempotencyKey);
    }
    if (jsonBody) {
      request.header("Content-Type", "application/json");
    }
    for (Map.Entry<String, String> h : headers.entrySet()) {
      request.setHeader(h.getKey(), h.getValue());
    }
    // One future for headers and body, waited for on this thread: when the call is to stop (its
    // activity was cancelled), interrupting the thread cancels the future, which aborts the
    // exchange and closes the connection, so the upstream sees the caller go.
    long deadline = System.nanoTime() + tool.timeout().toNanos();
    var pending = client.sendAsync(request.build(), CappedBody.handler(maxResponseBytes));
    // (The client's own request timeout stops at the headers.)
    HttpResponse<byte[]> response;
    try {
      // The tool's timeout bounds the whole answer, body included: an upstream that trickles its
      // body cannot hold a worker slot past it.
      response = pending.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      pending.cancel(true);
      throw timedOut(tool);
    } catch (InterruptedException e) {
      pending.cancel(true);
      Thread.currentThread().interrupt();
      throw new ToolCallException(ToolFailureTypes.UPSTREAM_ERROR, "the call of " + tool.name() + " was stopped", true);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof CappedBody.TooLarge) {
        throw tooLarge(tool);
      }
      if (cause instanceof HttpTimeoutException) {
        throw timedOut(tool);
      }
      throw new ToolCallException(
          ToolFailureTypes.UPSTREAM_ERROR,
          "could not reach " + tool.name() + ": " + NetworkFailures.describe(cause == null ? e : cause),
          true);
    }
    byte[] bytes = response.body();
    int status = response.statusCode();
    if (status >= 200 && status < 300) {
      return new ToolCallResult(status, redacted(parse(bytes, response), redact));
    }
    boolean retryable = status == 408 || status == 429 || status >= 500;
    String detail = redact.apply(new String(bytes, StandardCharsets.UTF_8));
    detail = detail.substring(0, Math.min(detail.length(), 300)).strip();
    throw new ToolCallException(
        retryable ? ToolFailureTypes.UPSTREAM_ERROR : ToolFailureTypes.UPSTREAM_CLIENT_ERROR,
        tool.name() + " answered HTTP " + status + (detail.isEmpty() ? "" : ": " + detail),
        retryable,
        status,
        retryable ? RetryAfter.parse(response.headers().firstValue("Retry-After").orElse(null), Instant.now()).orElse(null) : null);
  }

  private static ToolCallException timedOut(ToolDefinition tool) {
    return new ToolCallException(
        ToolFailureTypes.UPSTREAM_ERROR,
        tool.name() + " did not answer within " + tool.timeout().toMillis() + " ms",
        true);
  }

  private static JsonNode redacted(JsonNode output, java.util.function.UnaryOperator<String> redact) {
    String text = output.toString();
    String clean = redact.apply(text);
    if (clean.equals(text)) {
      return output;
    }
    try {
      return JSON.readTree(clean);
    } catch (IOException e) {
      return TextNode.valueOf(clean);
    }
  }

  private ToolCallException tooLarge(ToolDefinition tool) {
    return new ToolCallException(
        ToolFailureTypes.RESPONSE_TOO_LARGE,
        "the answer of " + tool.name() + " is larger than the cap of " + maxResponseBytes + " bytes",
        false);
  }

  private static JsonNode parse(byte[] bytes, HttpResponse<?> response) {
    if (bytes.length == 0) {
      return JsonNodeFactory.instance.nullNode();
    }
    String type = response.headers().firstValue("Content-Type").orElse("");
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
