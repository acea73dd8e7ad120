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
import java.io.InputStream;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Calls an HTTP tool: fills the URL template, sends the other arguments as query or JSON body,
 * adds the idempotency key, and reads at most {@code maxResponseBytes} of the answer, all within
 * the tool's timeout (headers and body together).
 */
public class HttpToolConnector {
  private static final ObjectMapper JSON = new ObjectMapper();
  /**
   * Ends body reads that outlast the tool's timeout. The client's own request timeout stops at
   * the headers, so an upstream trickling its body would otherwise hold the calling thread (a
   * worker's activity slot) for as long as it liked, long after Temporal gave up on the attempt.
   */
  private static final ScheduledExecutorService DEADLINES =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "gatehouse-http-deadlines");
            t.setDaemon(true);
            return t;
          });

  private static final int READING = 0;
  private static final int DONE = 1;
  private static final int EXPIRED = 2;

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
    for (String name : http.placeholders()) {
      JsonNode v = rest.remove(name);
      url = url.replace("{" + name + "}", encode(v == null ? "" : v.asText()));
    }
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
            .header("Idempotency-Key", idempotencyKey)
            .header("User-Agent", "gatehouse");
    if (jsonBody) {
      request.header("Content-Type", "application/json");
    }
    for (Map.Entry<String, String> h : headers.entrySet()) {
      request.setHeader(h.getKey(), h.getValue());
    }
    long deadline = System.nanoTime() + tool.timeout().toNanos();
    HttpResponse<InputStream> response;
    try {
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (HttpTimeoutException e) {
      throw timedOut(tool);
    } catch (IOException e) {
      throw new ToolCallException(
          ToolFailureTypes.UPSTREAM_ERROR,
          "could not reach " + tool.name() + ": " + e.getClass().getSimpleName(),
          true);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ToolCallException(ToolFailureTypes.UPSTREAM_ERROR, "interrupted", true);
    }
    byte[] bytes = readCapped(tool, response, deadline);
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

  private byte[] readCapped(ToolDefinition tool, HttpResponse<InputStream> response, long deadline) {
    long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
    // The read (to DONE) and the deadline (to EXPIRED) race from READING; the first decides. So a
    // body cut short by the deadline's close is never taken for a whole one (a read that ends
    // just as the deadline passes may count as a timeout, which is only retried).
    AtomicInteger state = new AtomicInteger(READING);
    try (InputStream in = response.body()) {
      if (declared > maxResponseBytes) {
        throw tooLarge(tool);
      }
      ScheduledFuture<?> timer =
          DEADLINES.schedule(
              () -> {
                if (state.compareAndSet(READING, EXPIRED)) {
                  closeQuietly(in); // wakes the blocked read
                }
              },
              Math.max(0, deadline - System.nanoTime()),
              TimeUnit.NANOSECONDS);
      byte[] bytes;
      try {
        bytes = in.readNBytes(maxResponseBytes + 1);
      } finally {
        timer.cancel(false);
      }
      if (!state.compareAndSet(READING, DONE)) {
        throw timedOut(tool);
      }
      if (bytes.length > maxResponseBytes) {
        throw tooLarge(tool);
      }
      return bytes;
    } catch (IOException e) {
      if (state.get() == EXPIRED) {
        throw timedOut(tool);
      }
      throw new ToolCallException(
          ToolFailureTypes.UPSTREAM_ERROR,
          "reading the answer of " + tool.name() + " failed: " + e.getClass().getSimpleName(),
          true);
    }
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException ignored) {
      // the read it ends reports the timeout
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

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
