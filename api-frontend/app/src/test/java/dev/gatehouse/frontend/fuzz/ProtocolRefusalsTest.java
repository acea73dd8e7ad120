package dev.gatehouse.frontend.fuzz;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.frontend.testing.CapturedLogs;
import dev.gatehouse.frontend.testing.McpWire;
import dev.gatehouse.frontend.testing.RawHttp;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Requests broken below JSON (framing, encodings, methods, request lines) and MCP messages the
 * server did not expect: each gets a 4xx (or 505 for a version) with the code its status names,
 * in the JSON shape of its face, never a 500. Sent over raw sockets, since HTTP clients repair or
 * refuse such requests. The fuzz suite (HostileRequestsFuzzTest) generates many more.
 */
class ProtocolRefusalsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TASK =
      "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.add\"}]}}";
  static TestGatehouse gh;

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start();
  }

  @AfterAll
  static void stop() {
    gh.close();
  }

  static Stream<Arguments> bodyEndpoints() {
    return Stream.of(
        Arguments.of("/v1/tasks", KEY_A),
        Arguments.of("/admin/v1/tenants", ADMIN_KEY),
        Arguments.of("/mcp", KEY_A));
  }

  @ParameterizedTest(name = "gzip garbage on {0}")
  @MethodSource("bodyEndpoints")
  void aGzipBodyThatDoesNotInflateIs400InvalidEncoding(String path, String key) {
    byte[] garbage = "this is not gzip at all, just text that claims to be".getBytes(StandardCharsets.UTF_8);
    RawHttp.Answer a = post(path, key, garbage, "Content-Encoding", "gzip", "Content-Length", String.valueOf(garbage.length));
    assertRefused(a, path, 400, "invalid_encoding");
  }

  @ParameterizedTest(name = "gzip header then garbage on {0}")
  @MethodSource("bodyEndpoints")
  void aTruncatedGzipBodyIs400InvalidEncoding(String path, String key) {
    byte[] broken = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8};
    RawHttp.Answer a = post(path, key, broken, "Content-Encoding", "gzip", "Content-Length", String.valueOf(broken.length));
    assertRefused(a, path, 400, "invalid_encoding");
  }

  @ParameterizedTest(name = "bad chunk size on {0}")
  @MethodSource("bodyEndpoints")
  void aBadChunkSizeIs400MalformedBody(String path, String key) {
    byte[] body = ("zz\r\n" + TASK + "\r\n0\r\n\r\n").getBytes(StandardCharsets.UTF_8);
    RawHttp.Answer a = post(path, key, body, "Transfer-Encoding", "chunked");
    assertRefused(a, path, 400, "malformed_body");
  }

  @ParameterizedTest(name = "short body on {0}")
  @MethodSource("bodyEndpoints")
  void aBodyShorterThanItsContentLengthIs400MalformedBody(String path, String key) {
    byte[] body = TASK.getBytes(StandardCharsets.UTF_8);
    RawHttp.Answer a = post(path, key, body, "Content-Length", String.valueOf(body.length + 50));
    assertRefused(a, path, 400, "malformed_body");
  }

  @ParameterizedTest(name = "Content-Encoding: br on {0}")
  @MethodSource("bodyEndpoints")
  void anUnsupportedContentEncodingIs415(String path, String key) {
    byte[] body = TASK.getBytes(StandardCharsets.UTF_8);
    RawHttp.Answer a = post(path, key, body, "Content-Encoding", "br", "Content-Length", String.valueOf(body.length));
    assertRefused(a, path, 415, "unsupported_encoding");
  }

  @ParameterizedTest(name = "charset {0}")
  @ValueSource(strings = {"\u00e9", "latin1", "nope"})
  void anMcpMessageInACharsetOtherThanUtf8Is415(String charset) {
    String session = McpWire.initialize(gh.api() + "/mcp", KEY_A);
    byte[] body = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}".getBytes(StandardCharsets.UTF_8);
    RawHttp.Answer a = send("POST /mcp HTTP/1.1", body, "Authorization", "Bearer " + KEY_A, "Mcp-Session-Id", session,
        "Accept", "application/json, text/event-stream", "Content-Type", "application/json; charset=" + charset,
        "Content-Length", String.valueOf(body.length));
    assertRefused(a, "/mcp", 415, "unsupported_media_type");
  }

  @Test
  void aGzipBodyThatInflatesIsRead() throws IOException {
    java.io.ByteArrayOutputStream zipped = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(zipped)) {
      gz.write(TASK.getBytes(StandardCharsets.UTF_8));
    }
    byte[] body = zipped.toByteArray();
    RawHttp.Answer a = post("/v1/tasks", KEY_A, body, "Content-Encoding", "gzip", "Content-Length", String.valueOf(body.length));
    assertThat(a.status()).as(a.bodyText()).isEqualTo(202);
  }

  @Test
  void aGzipMcpMessageIsReadAndTheAnswerIsNotCompressed() throws IOException {
    String init =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
            + "\"capabilities\":{},\"clientInfo\":{\"name\":\"gzip-client\",\"version\":\"1\"}}}";
    java.io.ByteArrayOutputStream zipped = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(zipped)) {
      gz.write(init.getBytes(StandardCharsets.UTF_8));
    }
    byte[] body = zipped.toByteArray();
    RawHttp.Answer a =
        post("/mcp", KEY_A, body, "Content-Encoding", "gzip", "Content-Length", String.valueOf(body.length), "Accept-Encoding", "gzip");
    assertThat(a.status()).as(a.bodyText()).isEqualTo(200);
    // Asked for gzip, answered plain: Gatehouse compresses no answer unless configured to.
    assertThat(a.header("Content-Encoding")).as("Content-Encoding").isNull();
    assertThat(a.bodyText()).contains("\"protocolVersion\"").contains("\"serverInfo\"");
    assertThat(a.body().length).as("an answer long enough to have been compressed").isGreaterThan(256);
  }

  @ParameterizedTest(name = "PATCH {0}")
  @ValueSource(strings = {"/mcp", "/v1/tasks", "/admin/v1/tenants"})
  void anUnsupportedMethodIs405WithAllow(String path) {
    byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
    RawHttp.Answer a = send("PATCH " + path + " HTTP/1.1", body, "Authorization", "Bearer " + (path.startsWith("/admin") ? ADMIN_KEY : KEY_A),
        "Content-Type", "application/json", "Content-Length", "2");
    assertRefused(a, path, 405, "method_not_allowed");
    assertThat(a.header("Allow")).as("Allow").isNotBlank().doesNotContain("PATCH");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"TRACE /v1/tasks", "FOO /v1/tasks", "TRACE /mcp"})
  void aMethodTheServerRefusesItselfGetsAJsonBodyAndAllow(String methodAndPath) {
    RawHttp.Answer a = send(methodAndPath + " HTTP/1.1", null, "Authorization", "Bearer " + KEY_A);
    assertThat(a.status()).as(a.bodyText()).isEqualTo(405);
    assertThat(a.header("Content-Type")).startsWith("application/json");
    assertThat(a.header("Allow")).isNotBlank();
    JsonNode error = error(a);
    assertThat(error.path("data").path("code").asText(error.path("code").asText())).isEqualTo("method_not_allowed");
  }

  @Test
  void anAmbiguousPathOnAPutGetsAJsonBody() {
    RawHttp.Answer a = send("PUT /admin/v1/tenants/%2e%2e HTTP/1.1", "{}".getBytes(StandardCharsets.UTF_8),
        "Authorization", "Bearer " + ADMIN_KEY, "Content-Type", "application/json", "Content-Length", "2");
    assertThat(a.status()).as(a.bodyText()).isEqualTo(400);
    assertThat(error(a).path("code").asText()).isEqualTo("invalid_request");
  }

  @Test
  void anUnimplementedMethodOnTheOperationsPortIs405NotA501() {
    RawHttp.Answer a = RawHttp.exchange(URI.create(gh.admin()).getPort(),
        RawHttp.request("PATCH /healthcheck HTTP/1.1", null, "Host", "127.0.0.1", "Connection", "close"), 30_000);
    assertThat(a.status()).as(a.bodyText()).isEqualTo(405);
    assertThat(error(a).path("code").asText()).isEqualTo("method_not_allowed");
    assertThat(a.header("Allow")).isNotBlank();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"GET /v1/tasks HTTP/9.9", "GET /v1/tasks HTTP/0.9", "GET /mcp HTTP/2.0", "GET /v1/tasks HTTP/1.2"})
  void anUnsupportedHttpVersionIs505WithItsOwnCode(String requestLine) {
    RawHttp.Answer a = send(requestLine, null, "Authorization", "Bearer " + KEY_A);
    assertThat(a.answered()).as(a.failure()).isTrue();
    assertThat(a.status()).as(a.bodyText()).isIn(400, 505);
    assertThat(a.header("Content-Type")).startsWith("application/json");
    String code = requestLine.contains(" /mcp ") ? error(a).path("data").path("code").asText() : error(a).path("code").asText();
    assertThat(code).as(a.bodyText()).isEqualTo(a.status() == 505 ? "http_version_not_supported" : "invalid_request");
  }

  @Test
  void whatJettyRefusesItselfCarriesTheCodeOfItsStatus() {
    RawHttp.Answer longUri = send("GET /v1/tasks/" + "a".repeat(70_000) + " HTTP/1.1", null);
    assertThat(longUri.status()).isIn(414, 431);
    assertThat(error(longUri).path("code").asText()).isEqualTo(longUri.status() == 414 ? "uri_too_long" : "headers_too_large");
    RawHttp.Answer bigHeader = send("GET /v1/tasks HTTP/1.1", null, "X-Big", "b".repeat(70_000));
    assertThat(bigHeader.status()).isEqualTo(431);
    assertThat(error(bigHeader).path("code").asText()).isEqualTo("headers_too_large");
    RawHttp.Answer badLine = send("GET /v1 tasks HTTP/1.1", null);
    assertThat(badLine.status()).isEqualTo(400);
    assertThat(error(badLine).path("code").asText()).isEqualTo("invalid_request");
  }

  /** On /mcp, what Jetty refuses itself is a JSON-RPC error as the face's own refusals are (a probe got the REST shape). */
  @Test
  void whatJettyRefusesItselfOnMcpIsAJsonRpcError() throws IOException {
    RawHttp.Answer bigHeader = send("POST /mcp HTTP/1.1", null, "X-Big", "b".repeat(70_000));
    assertRefused(bigHeader, "/mcp", 431, "headers_too_large");
    JsonNode answer = JSON.readTree(bigHeader.body());
    assertThat(answer.path("jsonrpc").asText()).isEqualTo("2.0");
    assertThat(answer.has("id") && answer.get("id").isNull()).isTrue();
    assertThat(answer.path("error").path("code").asInt()).isEqualTo(-32600);
    RawHttp.Answer twoLengths = send("POST /mcp HTTP/1.1", "{}".getBytes(StandardCharsets.UTF_8), "Content-Length", "2", "Content-Length", "3");
    assertRefused(twoLengths, "/mcp", 400, "invalid_request");
    RawHttp.Answer notMcp = send("POST /v1/tasks HTTP/1.1", null, "X-Big", "b".repeat(70_000));
    assertRefused(notMcp, "/v1/tasks", 431, "headers_too_large");
  }

  @Test
  void initializeWithoutParamsIsInvalidParams() {
    var r = McpWire.post(gh.api() + "/mcp", KEY_A, null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    JsonNode m = McpWire.message(r.body());
    assertThat(m.path("error").path("code").asInt()).isEqualTo(-32602);
    assertThat(m.path("id").asInt()).as("the refusal answers the request's id").isEqualTo(1);
    assertThat(m.path("error").path("message").asText()).contains("params").doesNotContain("Exception").doesNotContain("java.");
    var wrong = McpWire.post(gh.api() + "/mcp", KEY_A, null, "{\"jsonrpc\":\"2.0\",\"id\":\"i-2\",\"method\":\"initialize\",\"params\":{\"protocolVersion\":7}}");
    assertThat(wrong.statusCode()).as(wrong.body()).isEqualTo(400);
    assertThat(McpWire.message(wrong.body()).path("error").path("code").asInt()).isEqualTo(-32602);
    assertThat(McpWire.message(wrong.body()).path("id").asText()).isEqualTo("i-2");
  }

  /** A tools/call whose arguments hold a lone surrogate (PostgreSQL cannot hold it): refused, and the refusal answers its id. */
  @Test
  void aToolCallRefusedForTextInItsArgumentsAnswersItsId() {
    String session = McpWire.initialize(gh.api() + "/mcp", KEY_A);
    var r =
        McpWire.post(
            gh.api() + "/mcp", KEY_A, session,
            "{\"jsonrpc\":\"2.0\",\"id\":\"c-9\",\"method\":\"tools/call\",\"params\":{\"name\":\"t.add\",\"arguments\":{\"a\":\"x\\udc00\"}}}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    JsonNode m = McpWire.message(r.body());
    assertThat(m.path("id").asText()).as(r.body()).isEqualTo("c-9");
    assertThat(m.path("error").path("code").asInt()).isEqualTo(-32600);
    assertThat(m.path("error").path("data").path("code").asText()).isEqualTo("invalid_request");
    assertThat(m.path("error").path("message").asText()).contains("params.arguments.a");
    // the session still works
    var list = McpWire.post(gh.api() + "/mcp", KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
    assertThat(McpWire.message(list.body()).has("result")).as(list.body()).isTrue();
  }

  @Test
  void aResponseToNoPendingRequestOrANotificationNothingHandlesIsAcceptedAndIgnoredWithoutALogLine() {
    String session = McpWire.initialize(gh.api() + "/mcp", KEY_A);
    // The MCP SDK logs an error for each response nobody awaits, a warning for each notification
    // it has no handler for: a line per POST that any client could send at will.
    try (CapturedLogs logged = CapturedLogs.of("io.modelcontextprotocol", ch.qos.logback.classic.Level.WARN)) {
      for (String id : new String[] {"\"nobody-asked\"", "12345"}) {
        var r = McpWire.post(gh.api() + "/mcp", KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(r.body()).isEmpty();
        var e = McpWire.post(gh.api() + "/mcp", KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"error\":{\"code\":-1,\"message\":\"x\"}}");
        assertThat(e.statusCode()).as(e.body()).isEqualTo(202);
      }
      var n = McpWire.post(gh.api() + "/mcp", KEY_A, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/no-such-thing\",\"params\":{}}");
      assertThat(n.statusCode()).as(n.body()).isEqualTo(202);
      assertThat(n.body()).isEmpty();
      // A notification a session handles still reaches it.
      var known = McpWire.post(gh.api() + "/mcp", KEY_A, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/roots/list_changed\"}");
      assertThat(known.statusCode()).as(known.body()).isEqualTo(202);
      assertThat(logged.messages()).isEmpty();
    }
    // the session still works
    var list = McpWire.post(gh.api() + "/mcp", KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
    assertThat(McpWire.message(list.body()).has("result")).as(list.body()).isTrue();
  }

  /** Lists come whole (no nextCursor): a cursor is none Gatehouse gave, invalid params, not the first page again. */
  @Test
  void aListCursorGatehouseNeverGaveIsInvalidParams() {
    String session = McpWire.initialize(gh.api() + "/mcp", KEY_A);
    for (String method : List.of("tools/list", "resources/list", "resources/templates/list", "prompts/list")) {
      var r = McpWire.post(gh.api() + "/mcp", KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"" + method + "\",\"params\":{\"cursor\":\"junk\"}}");
      JsonNode error = McpWire.message(r.body()).path("error");
      assertThat(error.path("code").asInt()).as(method + ": " + r.body()).isEqualTo(-32602);
      assertThat(error.path("data").path("code").asText()).isEqualTo("invalid_params");
      var first = McpWire.post(gh.api() + "/mcp", KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"" + method + "\",\"params\":{}}");
      assertThat(McpWire.message(first.body()).has("result")).as(method + ": " + first.body()).isTrue();
      assertThat(McpWire.message(first.body()).path("result").has("nextCursor")).isFalse();
    }
  }

  /** Which of two Idempotency-Keys would a durable call be started under? Neither: refused, nothing called. */
  @Test
  void twoIdempotencyKeysOnAToolCallAreInvalidRequest() {
    String session = McpWire.initialize(gh.api() + "/mcp", KEY_A);
    var r =
        McpWire.post(
            gh.api() + "/mcp", KEY_A, session,
            "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"t.add\",\"arguments\":{\"a\":1,\"b\":2}}}",
            "Idempotency-Key", "k-1", "Idempotency-Key", "k-2");
    JsonNode error = McpWire.message(r.body()).path("error");
    assertThat(error.path("data").path("code").asText()).as(r.body()).isEqualTo("invalid_request");
    assertThat(error.path("message").asText()).contains("one Idempotency-Key");
    // One key is taken as before.
    var one =
        McpWire.post(
            gh.api() + "/mcp", KEY_A, session,
            "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"t.add\",\"arguments\":{\"a\":1,\"b\":2}}}",
            "Idempotency-Key", "k-1");
    assertThat(McpWire.message(one.body()).has("result")).as(one.body()).isTrue();
  }

  static Stream<Arguments> refusedBeforeTheBody() {
    return Stream.of(
        Arguments.of("/mcp", null, null, 401),
        Arguments.of("/mcp", KEY_A, "no-such-session", 404),
        Arguments.of("/mcp/no-such-server", KEY_A, null, 404),
        Arguments.of("/v1/tasks", null, null, 401),
        Arguments.of("/v1/chat/completions", null, null, 401),
        Arguments.of("/v1/messages", null, null, 401));
  }

  /**
   * A request refused on its headers alone, whose body comes after a pause (a slow client, or the
   * next TCP segment): the refusal waits for the body, and the keep-alive connection then serves
   * the next request. Jetty closes a connection whose request body was left unread once the answer
   * has gone, without saying so in the answer, so a client's next request on it failed (the JDK
   * client reports "header parser received no bytes").
   */
  @ParameterizedTest(name = "{0} refused with {3}")
  @MethodSource("refusedBeforeTheBody")
  void aRefusalBeforeTheBodyLeavesTheConnectionUsable(String path, String key, String session, int status) throws Exception {
    byte[] body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}".getBytes(StandardCharsets.UTF_8);
    String[] headers = keepAliveHeaders(key, session, body.length);
    byte[] head = RawHttp.request("POST " + path + " HTTP/1.1", null, headers);
    try (RawHttp.Connection c = new RawHttp.Connection(URI.create(gh.api()).getPort(), 30_000)) {
      assertThat(c.send(head)).isTrue();
      Thread.sleep(300); // long enough for an answer given without the body to have gone, and the connection with it
      assertThat(c.send(body)).as("the connection was closed before the body").isTrue();
      RawHttp.Answer first = c.read();
      assertThat(first.answered()).as(first.failure()).isTrue();
      assertThat(first.status()).as(first.bodyText()).isEqualTo(status);
      assertThat(first.header("Connection")).isNull();

      RawHttp.Answer second = c.send(RawHttp.request("POST " + path + " HTTP/1.1", body, headers))
          ? c.read()
          : null;
      assertThat(second).as("the connection was closed after the refusal").isNotNull();
      assertThat(second.answered()).as(second.failure()).isTrue();
      assertThat(second.status()).as(second.bodyText()).isEqualTo(status);
    }
  }

  static Stream<Arguments> trickled() {
    return Stream.of(
        Arguments.of("/mcp", KEY_A, true, 408, "request_timeout"),
        Arguments.of("/mcp", null, false, 401, "unauthorized"),
        Arguments.of("/v1/tasks", KEY_A, false, 408, "request_timeout"),
        Arguments.of("/v1/tasks", null, false, 401, "unauthorized"),
        Arguments.of("/v1/chat/completions", KEY_A, false, 408, "request_timeout"),
        Arguments.of("/v1/chat/completions", null, false, 401, "unauthorized"));
  }

  /**
   * A body sent a byte at a time, each byte well within the idle timeout: cut off with 408
   * request_timeout once it has come slower than limits.minRequestBodyRate (1 KiB/s by default)
   * over the time its reads waited for it (after a grace of 2 s), instead of holding a request thread for as long as the client likes. A
   * request refused on its headers (no key) reads the rest of its body before it answers, so the
   * connection stays usable: that read is cut off the same way, and the refusal goes out.
   */
  @ParameterizedTest(name = "{0} with key {1}: {3}")
  @MethodSource("trickled")
  void aBodyTrickledByteByByteIsCutOff(String path, String key, boolean session, int status, String code) throws Exception {
    String[] headers = keepAliveHeaders(key, session ? McpWire.initialize(gh.api() + "/mcp", key) : null, 4000);
    long started = System.nanoTime();
    try (RawHttp.Connection c = new RawHttp.Connection(URI.create(gh.api()).getPort(), 30_000)) {
      assertThat(c.send(RawHttp.request("POST " + path + " HTTP/1.1", null, headers))).isTrue();
      for (int i = 0; i < 40 && !c.answering() && c.send(new byte[] {' '}); i++) {
        Thread.sleep(250);
      }
      RawHttp.Answer a = c.read();
      assertThat(a.answered()).as(a.failure()).isTrue();
      assertThat(a.status()).as(a.bodyText()).isEqualTo(status);
      JsonNode error = error(a);
      assertThat(path.startsWith("/mcp") ? error.path("data").path("code").asText() : error.path("code").asText())
          .as(a.bodyText())
          .isEqualTo(code);
    }
    // Cut off within a few of the client's bytes, not after the 40 it would have sent.
    assertThat(java.time.Duration.ofNanos(System.nanoTime() - started)).isLessThan(java.time.Duration.ofSeconds(5));
  }

  static Stream<Arguments> paused() {
    return Stream.of(
        Arguments.of("/mcp", "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\"}"),
        Arguments.of("/v1/tasks", "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.echo\",\"args\":{}}]}}"),
        Arguments.of("/v1/chat/completions", "{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
  }

  /**
   * A small body whose second half comes 600 ms after its first (a client that writes a request in
   * pieces, a retransmitted packet): answered as the same body sent at once. Jetty's own minimum
   * data rate counted every moment since the body's first byte, so it answered this 408 at 1 KiB/s
   * (and failed a small body that had wholly arrived when the server was slow to read its end).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("paused")
  void aSmallBodyThatPausesWithinTheGraceIsServed(String path, String json) throws Exception {
    String session = path.equals("/mcp") ? McpWire.initialize(gh.api() + "/mcp", KEY_A) : null;
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    String[] headers = keepAliveHeaders(KEY_A, session, body.length);
    RawHttp.Answer atOnce;
    RawHttp.Answer inParts;
    try (RawHttp.Connection c = new RawHttp.Connection(URI.create(gh.api()).getPort(), 30_000)) {
      assertThat(c.send(RawHttp.request("POST " + path + " HTTP/1.1", body, headers))).isTrue();
      atOnce = c.read();
    }
    try (RawHttp.Connection c = new RawHttp.Connection(URI.create(gh.api()).getPort(), 30_000)) {
      int half = body.length / 2;
      assertThat(c.send(RawHttp.request("POST " + path + " HTTP/1.1", null, headers))).isTrue();
      assertThat(c.send(java.util.Arrays.copyOfRange(body, 0, half))).isTrue();
      Thread.sleep(600);
      assertThat(c.send(java.util.Arrays.copyOfRange(body, half, body.length))).isTrue();
      inParts = c.read();
    }
    assertThat(atOnce.answered()).as(atOnce.failure()).isTrue();
    assertThat(atOnce.status()).as(atOnce.bodyText()).isNotEqualTo(408);
    assertThat(inParts.answered()).as(inParts.failure()).isTrue();
    assertThat(inParts.status()).as(inParts.bodyText()).isEqualTo(atOnce.status());
  }

  /** A JSON POST's headers without {@code Connection: close}; the key and the session when not null. */
  static String[] keepAliveHeaders(String key, String session, int contentLength) {
    java.util.List<String> headers = new java.util.ArrayList<>(java.util.List.of(
        "Host", "127.0.0.1", "Content-Type", "application/json", "Accept", "application/json, text/event-stream",
        "Content-Length", String.valueOf(contentLength)));
    if (key != null) {
      headers.addAll(java.util.List.of("Authorization", "Bearer " + key));
    }
    if (session != null) {
      headers.addAll(java.util.List.of("Mcp-Session-Id", session));
    }
    return headers.toArray(String[]::new);
  }

  private static RawHttp.Answer post(String path, String key, byte[] body, String... headers) {
    String[] all = new String[headers.length + 6];
    all[0] = "Authorization";
    all[1] = "Bearer " + key;
    all[2] = "Content-Type";
    all[3] = "application/json";
    all[4] = "Accept";
    all[5] = "application/json, text/event-stream";
    System.arraycopy(headers, 0, all, 6, headers.length);
    return send("POST " + path + " HTTP/1.1", body, all);
  }

  private static RawHttp.Answer send(String requestLine, byte[] body, String... headers) {
    String[] all = new String[headers.length + 4];
    all[0] = "Host";
    all[1] = "127.0.0.1";
    all[2] = "Connection";
    all[3] = "close";
    System.arraycopy(headers, 0, all, 4, headers.length);
    return RawHttp.exchange(URI.create(gh.api()).getPort(), RawHttp.request(requestLine, body, all), 30_000);
  }

  private static void assertRefused(RawHttp.Answer a, String path, int status, String code) {
    assertThat(a.answered()).as(a.failure()).isTrue();
    assertThat(a.status()).as(a.bodyText()).isEqualTo(status);
    assertThat(a.header("Content-Type")).startsWith("application/json");
    JsonNode error = error(a);
    String actual = path.startsWith("/mcp") ? error.path("data").path("code").asText() : error.path("code").asText();
    assertThat(actual).as(a.bodyText()).isEqualTo(code);
    assertThat(error.path("message").asText()).isNotBlank().doesNotContain("Exception").doesNotContain("java.");
  }

  private static JsonNode error(RawHttp.Answer a) {
    try {
      return JSON.readTree(a.body()).path("error");
    } catch (IOException e) {
      throw new AssertionError("not JSON (" + a.status() + "): " + a.bodyText(), e);
    }
  }
}
