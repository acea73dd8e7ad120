package dev.gatehouse.activities.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.activities.tool.ToolCallException;
import dev.gatehouse.registry.tools.HttpEndpoint;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP connector against a real HTTP server on loopback. */
class HttpToolConnectorTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static HttpServer server;
  private static String base;
  private static final List<String> seen = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void startServer() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        ex -> {
          String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          seen.add(ex.getRequestMethod() + " " + ex.getRequestURI().getRawPath()
              + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery())
              + " key=" + ex.getRequestHeaders().getFirst("Idempotency-Key")
              + " x=" + ex.getRequestHeaders().getFirst("X-Custom")
              + " body=" + body);
          String path = ex.getRequestURI().getPath();
          int status = 200;
          String type = "application/json";
          String answer = "{\"ok\":true}";
          if (path.startsWith("/status/")) {
            status = Integer.parseInt(path.substring(8));
            answer = "{\"error\":\"nope\"}";
          } else if (path.equals("/forged")) {
            status = 500;
            answer = "bad\nWARN  [2026-12-06 22:00:00,000] forged: x \u001b[31mRED \u202egnp.exe\u2028end";
          } else if (path.equals("/big")) {
            answer = "\"" + "x".repeat(5000) + "\"";
          } else if (path.equals("/text")) {
            type = "text/plain";
            answer = "plain words";
          } else if (path.startsWith("/retry-after/")) {
            // /retry-after/{status}/{header value}
            String[] parts = ex.getRequestURI().getRawPath().split("/", 4);
            status = Integer.parseInt(parts[2]);
            ex.getResponseHeaders().add("Retry-After", java.net.URLDecoder.decode(parts[3], StandardCharsets.UTF_8));
            answer = "{\"error\":\"later\"}";
          } else if (path.equals("/trickle")) {
            // Headers at once, then the body a byte every 100 ms for 20 s.
            ex.getResponseHeaders().add("Content-Type", type);
            ex.sendResponseHeaders(200, 200);
            try {
              for (int i = 0; i < 200; i++) {
                ex.getResponseBody().write('x');
                ex.getResponseBody().flush();
                Thread.sleep(100);
              }
            } catch (java.io.IOException | InterruptedException clientGone) {
              // the caller stopped reading
            }
            ex.close();
            return;
          } else if (path.equals("/slow")) {
            try {
              Thread.sleep(1500);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", type);
          ex.sendResponseHeaders(status, bytes.length);
          ex.getResponseBody().write(bytes);
          ex.close();
        });
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterAll
  static void stopServer() {
    server.stop(0);
  }

  private final HttpToolConnector connector = new HttpToolConnector(1024);

  private static ToolDefinition tool(String method, String path, Duration timeout) {
    return new ToolDefinition(
        "t", "", new HttpEndpoint(method, base + path, Map.of("X-Custom", "yes")), null, timeout, RetrySpec.DEFAULT, null, null);
  }

  private static JsonNode json(String s) throws Exception {
    return JSON.readTree(s);
  }

  private static String last() {
    return seen.get(seen.size() - 1);
  }

  @Test
  void getFillsPlaceholdersEncodedAndSendsTheRestAsQuery() throws Exception {
    ToolCallResult r =
        connector.call(tool("GET", "/weather/{city}", Duration.ofSeconds(5)), json("{\"city\":\"São Paulo/x\",\"units\":\"metric\",\"n\":2}"), "task-1/act-1");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.output().get("ok").asBoolean()).isTrue();
    assertThat(last()).isEqualTo("GET /weather/S%C3%A3o%20Paulo%2Fx?units=metric&n=2 key=task-1/act-1 x=yes body=");
  }

  /** An upstream's error body reaches the agent (and a task's error) on one line, its escapes spaced out. */
  @Test
  void anErrorBodysLineBreaksAndEscapesDoNotReachTheMessage() {
    assertThatThrownBy(() -> connector.call(tool("GET", "/forged", Duration.ofSeconds(5)), JSON.createObjectNode(), "k"))
        .isInstanceOfSatisfying(
            ToolCallException.class,
            e -> assertThat(e.getMessage()).isEqualTo("t answered HTTP 500: bad WARN  [2026-12-06 22:00:00,000] forged: x  [31mRED  gnp.exe end"));
  }

  /** A probe's model repeated the registry's ?mode=safe&user=alice as mode=unsafe&user=mallory, sent after them. */
  @Test
  void anArgumentCannotSetAQueryParameterTheToolsUrlSets() throws Exception {
    int before = seen.size();
    assertThatThrownBy(
            () -> connector.call(tool("GET", "/echo?mode=safe&us%65r=alice", Duration.ofSeconds(5)),
                json("{\"MODE\":\"unsafe\",\"user[]\":\"mallory\",\"q\":1}"), "k"))
        .isInstanceOfSatisfying(
            ToolCallException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ToolFailureTypes.INVALID_ARGUMENTS);
              assertThat(e.retryable()).isFalse();
              // in any case, or PHP's array form: upstreams that fold case or read user[] as user
              assertThat(e.getMessage()).contains("'MODE'").contains("'user[]'").doesNotContain("'q'");
            });
    assertThat(seen).as("nothing reached the upstream").hasSize(before);
    // Other arguments go after the URL's own, and a null one is left out as ever.
    connector.call(tool("GET", "/echo?mode=safe", Duration.ofSeconds(5)), json("{\"q\":1,\"mode\":null}"), "k");
    assertThat(last()).startsWith("GET /echo?mode=safe&q=1 ");
  }

  @Test
  void aPlaceholderCannotMakeADotSegmentOfThePath() throws Exception {
    int before = seen.size();
    for (String dots : new String[] {"..", "."}) {
      assertThatThrownBy(
              () -> connector.call(tool("GET", "/echo/{a}/end", Duration.ofSeconds(5)), json("{\"a\":\"" + dots + "\"}"), "k"))
          .isInstanceOfSatisfying(
              ToolCallException.class,
              e -> {
                assertThat(e.type()).isEqualTo(ToolFailureTypes.INVALID_ARGUMENTS);
                assertThat(e.retryable()).isFalse();
                assertThat(e.getMessage()).contains("'a'").contains("'" + dots + "'");
              });
    }
    // Two placeholders that together make a ".." segment are refused too.
    assertThatThrownBy(
            () -> connector.call(tool("GET", "/echo/{a}{b}/end", Duration.ofSeconds(5)), json("{\"a\":\".\",\"b\":\".\"}"), "k"))
        .isInstanceOf(ToolCallException.class);
    assertThat(seen).as("nothing reached the upstream").hasSize(before);
    // Dots inside a segment, or more than two, name no other path: sent as they are.
    connector.call(tool("GET", "/echo/{a}/end", Duration.ofSeconds(5)), json("{\"a\":\"...\"}"), "k");
    assertThat(last()).startsWith("GET /echo/.../end ");
    connector.call(tool("GET", "/files/{a}", Duration.ofSeconds(5)), json("{\"a\":\"v1..2\"}"), "k");
    assertThat(last()).startsWith("GET /files/v1..2 ");
  }

  @Test
  void withoutAKeyNoIdempotencyKeyHeaderIsSent() throws Exception {
    connector.call(tool("GET", "/plain", Duration.ofSeconds(5)), json("{}"), null);
    assertThat(last()).isEqualTo("GET /plain key=null x=yes body=");
  }

  @Test
  void postSendsTheRestAsJsonBody() throws Exception {
    connector.call(tool("POST", "/notes/{id}", Duration.ofSeconds(5)), json("{\"id\":7,\"text\":\"hi\"}"), "k");
    assertThat(last()).isEqualTo("POST /notes/7 key=k x=yes body={\"text\":\"hi\"}");
  }

  @Test
  void clientErrorsAreNotRetryableButServerErrorsAnd429And408Are() {
    for (int status : new int[] {400, 404, 422}) {
      assertThatThrownBy(() -> connector.call(tool("GET", "/status/" + status, Duration.ofSeconds(5)), null, "k"))
          .isInstanceOfSatisfying(ToolCallException.class, e -> {
            assertThat(e.retryable()).isFalse();
            assertThat(e.type()).isEqualTo(ToolFailureTypes.UPSTREAM_CLIENT_ERROR);
            assertThat(e.getMessage()).contains("HTTP " + status);
          });
    }
    for (int status : new int[] {408, 429, 500, 503}) {
      assertThatThrownBy(() -> connector.call(tool("GET", "/status/" + status, Duration.ofSeconds(5)), null, "k"))
          .isInstanceOfSatisfying(ToolCallException.class, e -> {
            assertThat(e.retryable()).isTrue();
            assertThat(e.type()).isEqualTo(ToolFailureTypes.UPSTREAM_ERROR);
          });
    }
  }

  @Test
  void aRetryableAnswersRetryAfterIsKeptForTheNextAttempt() {
    // A generous timeout: these answers come at once, and a timeout on a busy machine would carry
    // no Retry-After.
    String date = java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(
        java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusHours(1));
    assertThatThrownBy(() -> connector.call(tool("GET", "/retry-after/503/7", Duration.ofSeconds(60)), null, "k"))
        .isInstanceOfSatisfying(ToolCallException.class, e -> {
          assertThat(e.retryable()).isTrue();
          assertThat(e.retryAfter()).contains(Duration.ofSeconds(7));
        });
    assertThatThrownBy(() -> connector.call(
            tool("GET", "/retry-after/429/" + java.net.URLEncoder.encode(date, StandardCharsets.UTF_8).replace("+", "%20"), Duration.ofSeconds(60)), null, "k"))
        .isInstanceOfSatisfying(ToolCallException.class, e -> assertThat(e.retryAfter().orElseThrow())
            .isGreaterThan(Duration.ofMinutes(58)).isLessThanOrEqualTo(Duration.ofHours(1)));
    // Not retried at all: its Retry-After does not matter.
    assertThatThrownBy(() -> connector.call(tool("GET", "/retry-after/400/7", Duration.ofSeconds(60)), null, "k"))
        .isInstanceOfSatisfying(ToolCallException.class, e -> assertThat(e.retryAfter()).isEmpty());
    assertThatThrownBy(() -> connector.call(tool("GET", "/status/503", Duration.ofSeconds(60)), null, "k"))
        .isInstanceOfSatisfying(ToolCallException.class, e -> assertThat(e.retryAfter()).isEmpty());
  }

  @Test
  void aBodyTrickledPastTheTimeoutFailsAsATimeoutInsteadOfHoldingTheCaller() {
    // The headers come at once, so only a deadline on the body read can end this call early.
    assertThatThrownBy(() -> new HttpToolConnector(65_536).call(tool("GET", "/trickle", Duration.ofMillis(500)), null, "k"))
        .isInstanceOfSatisfying(ToolCallException.class, e -> {
          assertThat(e.type()).isEqualTo(ToolFailureTypes.UPSTREAM_ERROR);
          assertThat(e.retryable()).isTrue();
          assertThat(e.getMessage()).isEqualTo("t did not answer within 500 ms");
        });
  }

  @Test
  void answersOverTheCapFailWithoutRetry() {
    assertThatThrownBy(() -> connector.call(tool("GET", "/big", Duration.ofSeconds(5)), null, "k"))
        .isInstanceOfSatisfying(ToolCallException.class, e -> {
          assertThat(e.type()).isEqualTo(ToolFailureTypes.RESPONSE_TOO_LARGE);
          assertThat(e.retryable()).isFalse();
          assertThat(e.getMessage()).contains("1024 bytes");
        });
  }

  @Test
  void textAnswersAreKeptAsStrings() {
    assertThat(connector.call(tool("GET", "/text", Duration.ofSeconds(5)), null, "k").output().asText()).isEqualTo("plain words");
  }

  @Test
  void aSlowUpstreamTimesOutRetryably() {
    assertThatThrownBy(() -> connector.call(tool("GET", "/slow", Duration.ofMillis(200)), null, "k"))
        .isInstanceOfSatisfying(ToolCallException.class, e -> {
          assertThat(e.retryable()).isTrue();
          assertThat(e.getMessage()).contains("did not answer within 200 ms");
        });
  }

  @Test
  void anUnreachableUpstreamIsRetryable() {
    ToolDefinition dead =
        new ToolDefinition("dead", "", new HttpEndpoint("GET", "http://127.0.0.1:1/x", Map.of()), null, Duration.ofSeconds(2), RetrySpec.DEFAULT, null, null);
    assertThatThrownBy(() -> connector.call(dead, null, "k"))
        .isInstanceOfSatisfying(ToolCallException.class, e -> assertThat(e.retryable()).isTrue());
  }
}
