package dev.gatehouse.frontend.app;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.McpWire;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The inputs a hostile client tried in issue 10's probe, against the whole application (real
 * PostgreSQL, embedded Temporal, a real tool upstream): each gets a 4xx JSON answer with a
 * stable code that says what is wrong in the client's terms (a field's JSON path, the JSON type
 * expected), never a 5xx and never a Java name; nothing reaches the database or an upstream.
 */
class HostileInputTest {
  /** A Java type or package name, an exception's name, or Jackson's token names. */
  private static final Pattern JAVA =
      Pattern.compile("dev\\.gatehouse|java\\.|javax?\\.|jakarta\\.|io\\.modelcontextprotocol|com\\.fasterxml"
          + "|\\b[A-Z][A-Za-z0-9]*\\$[A-Za-z]|Exception|JsonToken|\\tat ");

  static TestGatehouse g;
  static String tenant;
  static String otherTenant;
  static String agent;

  @BeforeAll
  static void start() throws Exception {
    g = TestGatehouse.start(c -> c.setDemoTools(true));
    JsonNode tenants = json(g.get("/admin/v1/tenants", ADMIN_KEY)).path("items");
    tenant = tenants.get(0).path("id").asText();
    otherTenant = tenants.get(1).path("id").asText();
    agent = json(g.get("/admin/v1/agents?tenant=" + tenant, ADMIN_KEY)).path("items").get(0).path("id").asText();
  }

  @AfterAll
  static void stop() {
    g.close();
  }

  // ---- 1. NUL characters and text that is not Unicode never reach PostgreSQL

  @Test
  void aNulCharacterInAnyBodyOrParameterIs400NamingWhereItIs() {
    int tasks = taskCount();
    refused(g.post("/v1/tasks", KEY_A, pipeline("[{\"id\":\"a\",\"tool\":\"t.weather\\u0000\"}]")), 400, "invalid_request", "'pipeline.steps[0].tool'", "NUL");
    refused(g.post("/v1/tasks", KEY_A, "{\"workflow\":\"pipeline\",\"input\":{\"a\\u0000\":1},\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.add\"}]}}"), 400, "invalid_request", "a field name in 'input'");
    assertThat(taskCount()).as("no task started").isEqualTo(tasks);

    refused(g.post("/admin/v1/agents", ADMIN_KEY, "{\"tenant\":\"" + tenant + "\",\"name\":\"nul-subject\",\"subject\":\"a\\u0000b\"}"), 400, "invalid_request", "'subject'", "NUL");
    refused(g.post("/admin/v1/tools", ADMIN_KEY, "{\"name\":\"nul.header\",\"http\":{\"method\":\"GET\",\"url\":\"http://127.0.0.1:1/x\",\"headers\":{\"X-A\":\"a\\u0000\"}}}"), 400, "invalid_request", "'http.headers.X-A'");
    refused(g.get("/admin/v1/agents?tenant=%00", ADMIN_KEY), 400, "invalid_request", "'tenant'", "NUL");
    refused(g.get("/admin/v1/secrets?tenant=%00", ADMIN_KEY), 400, "invalid_request", "'tenant'");
    refused(g.get("/admin/v1/audit?kind=%00", ADMIN_KEY), 400, "invalid_request", "'kind'");
    refused(g.get("/v1/tasks?status=%00", KEY_A), 400, "invalid_request", "'status'");
    // Cursors are opaque, but decoded they must not carry one either.
    refused(g.get("/admin/v1/agents?cursor=" + b64("agents\na\u0000b"), ADMIN_KEY), 400, "invalid_request", "cursor");
    refused(g.get("/v1/tasks?cursor=" + b64("1.0.task_a\u0000b"), KEY_A), 400, "invalid_request", "cursor");
    assertThat(json(g.get("/admin/v1/agents?tenant=" + tenant, ADMIN_KEY)).toString()).doesNotContain("nul-subject");
    assertThat(g.get("/admin/v1/tools/nul.header", ADMIN_KEY).statusCode()).isEqualTo(404);
  }

  @Test
  void aTokenWhoseIssuerHoldsANulIsUnauthorizedBeforeAnyLookUp() {
    // Unverified claims are read to find the issuer's provider: they must not reach SQL as they are.
    String header = b64("{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
    for (String issuer : new String[] {"https://a\\u0000b", "\\ud800"}) {
      String token = header + "." + b64("{\"iss\":\"" + issuer + "\",\"sub\":\"x\"}") + "." + b64("not-a-signature");
      HttpResponse<String> r = g.get("/v1/tasks", token);
      refused(r, 401, "unauthorized");
      String session = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"x\",\"version\":\"1\"}}}";
      HttpResponse<String> mcp = McpWire.post(g.api() + "/mcp", token, null, session);
      assertThat(mcp.statusCode()).as(mcp.body()).isEqualTo(401);
    }
  }

  @Test
  void aNulInAHeaderIsA4xx() throws Exception {
    for (String header : new String[] {"Authorization: Bearer gk_live_a\u0000b", "Authorization: Bearer " + KEY_A + "\r\nIdempotency-Key: a\u0000b"}) {
      String answer = raw("GET /v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header + "\r\nConnection: close\r\n\r\n");
      assertThat(answer).matches("(?s)HTTP/1.1 4\\d\\d .*");
    }
    String mcp = raw("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + KEY_A + "\r\nMcp-Session-Id: a\u0000b\r\n"
        + "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 40\r\nConnection: close\r\n\r\n"
        + "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
    assertThat(mcp).matches("(?s)HTTP/1.1 4\\d\\d .*");
  }

  @Test
  void loneSurrogatesAndBytesThatAreNotUtf8AreRefused() {
    refused(g.post("/admin/v1/agents", ADMIN_KEY, "{\"tenant\":\"" + tenant + "\",\"name\":\"lone\",\"subject\":\"a\\ud800b\"}"), 400, "invalid_request", "'subject'", "surrogate");
    refused(g.post("/v1/tasks", KEY_A, pipeline("[{\"id\":\"a\",\"tool\":\"t.add\",\"args\":{\"x\":\"\\udc00\"}}]")), 400, "invalid_request", "'pipeline.steps[0].args.x'");
    // Percent-encoded bytes that are not UTF-8 (or encode a lone surrogate) never make a 5xx.
    for (String q : new String[] {"%FF", "%ED%A0%80", "%C0%80", "%E2%82"}) {
      for (String path : new String[] {"/admin/v1/agents?tenant=", "/admin/v1/audit?kind=", "/admin/v1/secrets?tenant="}) {
        HttpResponse<String> odd = g.get(path + q, ADMIN_KEY);
        assertThat(odd.statusCode()).as(path + q + " " + odd.body()).isLessThan(500);
        noJavaIn(odd.body());
      }
      HttpResponse<String> odd = g.get("/v1/tasks?status=" + q, KEY_A);
      assertThat(odd.statusCode()).as(odd.body()).isEqualTo(400);
    }
    byte[] notUtf8 = "{\"workflow\":\"pipeline\",\"input\":\"\u00ff\"}".getBytes(StandardCharsets.ISO_8859_1);
    HttpResponse<String> r =
        g.send(
            HttpRequest.newBuilder(URI.create(g.api() + "/v1/tasks"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(notUtf8)),
            KEY_A);
    refused(r, 400, "invalid_json");
    // Overlong forms: Jackson alone decoded C0 AF as "/", so "x/y" could be written two ways.
    for (byte[] odd : new byte[][] {{(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}, {(byte) 0xC1, (byte) 0xBF}}) {
      byte[] agent = concat("{\"tenant\":\"" + tenant + "\",\"name\":\"overlong\",\"subject\":\"x", odd, "y\"}");
      HttpResponse<String> admin =
          g.send(
              HttpRequest.newBuilder(URI.create(g.api() + "/admin/v1/agents"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(agent)),
              ADMIN_KEY);
      refused(admin, 400, "invalid_json", "UTF-8");
      String session = McpWire.initialize(g.api() + "/mcp", KEY_A);
      HttpResponse<String> mcp =
          g.send(
              HttpRequest.newBuilder(URI.create(g.api() + "/mcp"))
                  .header("Content-Type", "application/json")
                  .header("Accept", "application/json, text/event-stream")
                  .header("Mcp-Session-Id", session)
                  .POST(HttpRequest.BodyPublishers.ofByteArray(concat("{\"jsonrpc\":\"2.0\",\"id\":\"", odd, "\",\"method\":\"ping\"}"))),
              KEY_A);
      assertThat(mcp.statusCode()).as(mcp.body()).isEqualTo(400);
      assertThat(rpcError(mcp).path("data").path("code").asText()).isEqualTo("invalid_json");
    }
    assertThat(g.get("/admin/v1/agents?tenant=" + tenant, ADMIN_KEY).body()).doesNotContain("overlong");
  }

  /** 1e400 parsed as infinity, which a face then sent on to a model provider as the string "Infinity". */
  @Test
  void aNumberNoReaderCanHoldIsRefused() {
    refused(
        g.post("/v1/tasks", KEY_A, "{\"workflow\":\"pipeline\",\"input\":{\"x\":1e400},\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.add\"}]}}"),
        400, "invalid_request", "'input.x'", "out of range");
  }

  private static byte[] concat(String before, byte[] middle, String after) {
    byte[] a = before.getBytes(StandardCharsets.UTF_8);
    byte[] c = after.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[a.length + middle.length + c.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(middle, 0, out, a.length, middle.length);
    System.arraycopy(c, 0, out, a.length + middle.length, c.length);
    return out;
  }

  @Test
  void aRegistryFileCannotCarryANulCharacter() {
    refused(g.put("/admin/v1/registry", ADMIN_KEY, "tools: [{name: \"a\\0b\", http: {method: GET, url: 'http://127.0.0.1:1/'}}]"), 422, "invalid_registry", "'tools[0].name'", "NUL");
    refused(g.put("/admin/v1/registry", ADMIN_KEY, "{\"tools\":[{\"name\":\"nul.json\",\"http\":{\"method\":\"GET\",\"url\":\"http://127.0.0.1:1/\",\"headers\":{\"X-A\":\"\\u0000\"}}}]}"), 422, "invalid_registry", "'tools[0].http.headers.X-A'");
    assertThat(g.get("/admin/v1/tools/nul.json", ADMIN_KEY).statusCode()).isEqualTo(404);
  }

  @Test
  void aNulCharacterInAnMcpMessageIsRefused() {
    String session = McpWire.initialize(g.api() + "/mcp", KEY_A);
    HttpResponse<String> r =
        McpWire.post(g.api() + "/mcp", KEY_A, session,
            "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"t.weather\\u0000\",\"arguments\":{\"city\":\"x\"}}}");
    JsonNode error = rpcError(r);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(error.path("data").path("code").asText()).isEqualTo("invalid_request");
    assertThat(error.path("message").asText()).contains("'params.name'").contains("NUL");
  }

  // ---- 2. and 3. times and durations a store or the engine cannot hold are bad input

  @Test
  void aTimeBeyondTheYear9999Is400NamingTheField() {
    refused(g.post("/admin/v1/agents/" + agent + "/keys", ADMIN_KEY, "{\"expiresAt\":\"+999999999-12-31T23:59:59Z\"}"), 400, "invalid_request", "'expiresAt'");
    refused(g.post("/admin/v1/agents/" + agent + "/keys", ADMIN_KEY, "{\"expiresAt\":\"+10000-01-01T00:00:00Z\"}"), 400, "invalid_request", "'expiresAt'", "9999");
    refused(g.post("/admin/v1/admin-keys", ADMIN_KEY, "{\"name\":\"far\",\"expiresAt\":\"+999999999-12-31T23:59:59Z\"}"), 400, "invalid_request", "'expiresAt'");
    refused(g.get("/admin/v1/audit?since=%2B999999999-12-31T23:59:59Z", ADMIN_KEY), 400, "invalid_request", "'since'");
    refused(g.get("/admin/v1/audit?until=-999999999-01-01T00:00:00Z", ADMIN_KEY), 400, "invalid_request", "'until'");
    refused(g.get("/v1/tasks?cursor=" + b64("99999999999999.0.task_x"), KEY_A), 400, "invalid_request", "cursor");
    HttpResponse<String> ok = g.post("/admin/v1/agents/" + agent + "/keys", ADMIN_KEY, "{\"expiresAt\":\"9999-12-31T00:00:00Z\"}");
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(201);
  }

  @Test
  void aHugeTaskTimeoutIsBadInputNotAnEngineOutage() {
    int tasks = taskCount();
    refused(g.post("/v1/tasks", KEY_A, "{\"workflow\":\"pipeline\",\"timeout\":\"999999999d\",\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.add\"}]}}"), 400, "invalid_request", "timeout");
    refused(g.post("/v1/tasks", KEY_A, "{\"workflow\":\"pipeline\",\"timeout\":\"31d\",\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.add\"}]}}"), 400, "invalid_request", "limits.maxTaskTimeout");
    assertThat(taskCount()).as("no task started").isEqualTo(tasks);
  }

  // ---- 8. the demo upstream of dev mode

  @Test
  void theDemoUpstreamAnswersBadInputWith4xxJson() {
    refused(g.post("/demo/notes", null, "{bad"), 400, "invalid_json");
    refused(g.post("/demo/notes", null, "[1]"), 400, "invalid_request");
    refused(g.post("/demo/notes", null, "{\"text\":{}}"), 400, "invalid_request", "'text'");
    refused(g.get("/demo/convert?celsius=abc", null), 400, "invalid_request", "'celsius'");
    HttpResponse<String> ok = g.post("/demo/notes", null, "{\"text\":\"hi\"}");
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(json(ok).path("chars").asInt()).isEqualTo(2);
  }

  // ---- 9. what was wrong, in the client's terms

  @Test
  void wrongTypesAreNamedByJsonPathAndJsonType() {
    refused(g.post("/v1/tasks", KEY_A, pipeline("{}")), 400, "invalid_request", "'pipeline.steps' must be an array, not an object");
    refused(g.post("/v1/tasks", KEY_A, pipeline("[1]")), 400, "invalid_request", "'pipeline.steps[0]' must be an object, not an integer");
    refused(g.post("/v1/tasks", KEY_A, pipeline("[{\"id\":\"a\",\"tool\":{}}]")), 400, "invalid_request", "'pipeline.steps[0].tool' must be a string, not an object");
    refused(g.post("/v1/tasks", KEY_A, pipeline("[{\"id\":\"a\",\"tool\":\"t.add\",\"dependsOn\":5}]")), 400, "invalid_request", "'pipeline.steps[0].dependsOn' must be an array, not an integer");
    refused(g.post("/v1/tasks", KEY_A, pipeline("[null]")), 400, "invalid_request", "'pipeline", "null");
    refused(g.post("/v1/tasks", KEY_A, "{\"workflow\":\"pipeline\",\"pipline\":{}}"), 400, "invalid_request", "'pipline' is not a known field");
    refused(g.post("/admin/v1/agents", ADMIN_KEY, "{\"tenant\":\"" + tenant + "\",\"name\":\"x3\",\"tools\":5}"), 400, "invalid_request", "'tools' must be an object, not an integer");
    refused(g.post("/admin/v1/tools", ADMIN_KEY, "{\"name\":\"z.z\",\"http\":[1]}"), 400, "invalid_request", "'http' must be an object, not an array");
    refused(g.post("/admin/v1/identity-providers", ADMIN_KEY, "{\"tenant\":\"" + tenant + "\",\"name\":\"p\",\"clockSkewSeconds\":\"soon\"}"), 400, "invalid_request", "'clockSkewSeconds' must be an integer");
    refused(g.put("/admin/v1/registry", ADMIN_KEY, "tools: [{name: x, http: 5}]"), 422, "invalid_registry", "tools[0].http");
  }

  @Test
  void mcpErrorsSayWhatIsWrongInJsonTermsToo() {
    String session = McpWire.initialize(g.api() + "/mcp", KEY_A);
    String mcp = g.api() + "/mcp";
    JsonNode e = rpcError(McpWire.post(mcp, KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"resources/read\",\"params\":{\"uri\":{}}}"));
    assertThat(e.path("data").path("code").asText()).isEqualTo("invalid_params");
    assertThat(e.path("message").asText()).contains("'uri' must be a string, not an object");
    e = rpcError(McpWire.post(mcp, KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"logging/setLevel\",\"params\":{\"level\":[1]}}"));
    assertThat(e.path("data").path("code").asText()).isEqualTo("invalid_params");
    assertThat(e.path("message").asText()).contains("'level'");
    e = rpcError(McpWire.post(mcp, KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"completion/complete\",\"params\":5}"));
    assertThat(e.path("data").path("code").asText()).isEqualTo("invalid_params");
    e = rpcError(McpWire.post(mcp, KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":10,\"error\":5}"));
    assertThat(e.path("message").asText()).isNotBlank();
    e = rpcError(McpWire.post(mcp, KEY_A, null,
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":[],\"clientInfo\":{\"name\":\"x\",\"version\":\"1\"}}}"));
    assertThat(e.path("message").asText()).contains("'capabilities'");
  }

  // ---- 12. a URL placeholder cannot walk the upstream's paths

  @Test
  void aDotSegmentArgumentNeverReachesTheUpstream() {
    String session = McpWire.initialize(g.api() + "/mcp", KEY_A);
    for (String dots : new String[] {"..", "."}) {
      JsonNode e = rpcError(McpWire.post(g.api() + "/mcp", KEY_A, session,
          "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"t.weather\",\"arguments\":{\"city\":\"" + dots + "\"}}}"));
      assertThat(e.path("data").path("code").asText()).isEqualTo("invalid_arguments");
      assertThat(e.path("message").asText()).contains("'city'");
    }
    String id = g.submit(pipeline("[{\"id\":\"a\",\"tool\":\"t.weather\",\"args\":{\"city\":\"..\"}}]"));
    JsonNode task = g.await(id);
    assertThat(task.path("status").asText()).isEqualTo("FAILED");
    assertThat(task.path("error").path("cause").asText()).isEqualTo("invalid_arguments");
    assertThat(g.tools.requests).noneMatch(r -> r.contains("/weather/.") || r.equals("GET /") || r.equals("GET /weather"));
  }

  // ---- 13. direct MCP calls of HTTP tools carry a key of their own

  @Test
  void directMcpCallsOfHttpToolsSendAUniqueIdempotencyKey() {
    String session = McpWire.initialize(g.api() + "/mcp", KEY_A);
    for (int i = 0; i < 2; i++) {
      HttpResponse<String> r = McpWire.post(g.api() + "/mcp", KEY_A, session,
          "{\"jsonrpc\":\"2.0\",\"id\":" + (20 + i) + ",\"method\":\"tools/call\",\"params\":{\"name\":\"t.weather\",\"arguments\":{\"city\":\"Direct\"}}}");
      assertThat(McpWire.message(r.body()).path("result").path("isError").asBoolean(true)).as(r.body()).isFalse();
    }
    List<String> keys = g.tools.keysByPath.get("/weather/Direct");
    assertThat(keys).hasSize(2).allSatisfy(k -> assertThat(k).matches("direct_[0-9a-f]{32}"));
    assertThat(keys.get(0)).isNotEqualTo(keys.get(1));
  }

  // ---- 15. URLs in answers come from configuration, never from the Host header

  @Test
  void theProtectedResourceMetadataIgnoresTheHostHeader() throws Exception {
    int port = URI.create(g.api()).getPort();
    String prm = raw("GET /.well-known/oauth-protected-resource/mcp HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
    JsonNode metadata = TestGatehouse.JSON.readTree(prm.substring(prm.indexOf("\r\n\r\n") + 4));
    assertThat(metadata.path("resource").asText()).isEqualTo("http://127.0.0.1:" + port + "/mcp");
    String challenge = raw("POST /mcp HTTP/1.1\r\nHost: localhost:1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
    assertThat(challenge)
        .startsWith("HTTP/1.1 401")
        .contains("resource_metadata=\"http://127.0.0.1:" + port + "/.well-known/oauth-protected-resource/mcp\"")
        .doesNotContain("localhost:1");
  }

  // ---- conflicts the database finds are 409 conflict (or caught before, as invalid_registry)

  @Test
  void registryConflictsAreRefusedWithACodeAndChangeNothing() {
    refused(g.put("/admin/v1/registry", ADMIN_KEY, """
        tenants:
          - name: reg-a
            identityProviders: [{name: p, issuer: 'https://same.example', audience: a, jwksUrl: 'https://same.example/j'}]
          - name: reg-b
            identityProviders: [{name: p, issuer: 'https://same.example', audience: a, jwksUrl: 'https://same.example/j'}]
        """), 422, "invalid_registry", "tenants[1].identityProviders[0]", "'reg-a'");
    refused(g.put("/admin/v1/registry", ADMIN_KEY, """
        tenants:
          - name: reg-c
            identityProviders:
              - {name: p, issuer: 'https://c1.example', audience: a, jwksUrl: 'https://c1.example/j'}
              - {name: p, issuer: 'https://c2.example', audience: a, jwksUrl: 'https://c2.example/j'}
        """), 422, "invalid_registry", "declared twice");
    refused(g.put("/admin/v1/registry", ADMIN_KEY, """
        tenants:
          - name: reg-d
            agents: [{name: a1, subject: s}, {name: a2, subject: s}]
        """), 422, "invalid_registry", "subject 's'");
    // An issuer another tenant holds in the database (not in the file): the database refuses it.
    HttpResponse<String> idp =
        g.post("/admin/v1/identity-providers", ADMIN_KEY,
            "{\"tenant\":\"" + otherTenant + "\",\"name\":\"corp\",\"issuer\":\"https://taken.example\",\"audience\":\"a\",\"jwksUrl\":\"https://taken.example/j\"}");
    assertThat(idp.statusCode()).as(idp.body()).isEqualTo(201);
    refused(g.put("/admin/v1/registry", ADMIN_KEY, """
        tenants:
          - name: reg-e
            identityProviders: [{name: p, issuer: 'https://taken.example', audience: a, jwksUrl: 'https://taken.example/j'}]
        """), 409, "conflict", "issuer");
    String names = json(g.get("/admin/v1/tenants?limit=200", ADMIN_KEY)).toString();
    assertThat(names).doesNotContain("reg-a", "reg-b", "reg-c", "reg-d", "reg-e");
  }

  // ---- helpers

  private static String pipeline(String steps) {
    return "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":" + steps + "}}";
  }

  private static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  // ---- query parameters an endpoint does not read

  @Test
  void aQueryParameterTheEndpointDoesNotReadOrOneGivenTwiceIs400AndChangesNothing() {
    // A misspelt filter would have listed everything; now it says what the endpoint takes.
    refused(g.get("/admin/v1/audit?agent_id=x", ADMIN_KEY), 400, "invalid_request", "'agent_id'",
        "takes tenant, agent, kind, outcome, since, until, limit, cursor");
    refused(g.get("/admin/v1/agents?tenant=" + tenant + "&name=planner", ADMIN_KEY), 400, "invalid_request", "'name'",
        "takes tenant, limit, cursor");
    refused(g.get("/v1/tasks?state=running", KEY_A), 400, "invalid_request", "'state'", "status");
    // Given twice, one would be read without saying which (also when spelt two ways).
    refused(g.get("/v1/tasks?limit=5&limit=500", KEY_A), 400, "invalid_request", "'limit'", "2 times");
    refused(g.get("/admin/v1/audit?lim%69t=5&limit=6", ADMIN_KEY), 400, "invalid_request", "'limit'", "2 times");

    // A write refused for its query changes nothing.
    int tasks = taskCount();
    refused(g.post("/v1/tasks?wait=30s", KEY_A, pipeline("[{\"id\":\"a\",\"tool\":\"t.add\",\"args\":{\"a\":1,\"b\":2}}]")),
        400, "invalid_request", "'wait'", "takes none");
    assertThat(taskCount()).as("no task started").isEqualTo(tasks);
    refused(g.post("/admin/v1/agents?dryRun=true", ADMIN_KEY, "{\"tenant\":\"" + tenant + "\",\"name\":\"query-probe\",\"subject\":\"qp\"}"),
        400, "invalid_request", "'dryRun'");
    assertThat(json(g.get("/admin/v1/agents?tenant=" + tenant, ADMIN_KEY)).toString()).doesNotContain("query-probe");
    refused(g.delete("/admin/v1/agents/" + agent + "?force=true", ADMIN_KEY), 400, "invalid_request", "'force'");
    assertThat(g.get("/admin/v1/agents/" + agent, ADMIN_KEY).statusCode()).as("the agent is still there").isEqualTo(200);

    // Who asks is settled first; and a long name is cut short where the message repeats it.
    assertThat(g.get("/v1/tasks?nope=1", null).statusCode()).isEqualTo(401);
    String longName = "x".repeat(5000);
    HttpResponse<String> r = g.get("/v1/tasks?" + longName + "=1", KEY_A);
    refused(r, 400, "invalid_request", "'" + "x".repeat(64) + "...'");
    assertThat(r.body()).doesNotContain("x".repeat(65));

    // What an endpoint declares it still reads.
    assertThat(g.get("/admin/v1/audit?limit=5&kind=admin.create", ADMIN_KEY).statusCode()).isEqualTo(200);
    assertThat(g.get("/v1/tasks?limit=5&status=", KEY_A).statusCode()).isEqualTo(200);
  }

  private static int taskCount() {
    return json(g.get("/v1/tasks?limit=200", KEY_A)).path("tasks").size();
  }

  /** A 4xx JSON error with {@code code} whose message holds each of {@code phrases} and no Java name. */
  private static void refused(HttpResponse<String> r, int status, String code, String... phrases) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    JsonNode error = json(r).path("error");
    assertThat(error.path("code").asText()).as(r.body()).isEqualTo(code);
    for (String phrase : phrases) {
      assertThat(error.path("message").asText()).as(r.body()).contains(phrase);
    }
    noJavaIn(r.body());
  }

  /** The JSON-RPC error of an MCP answer (JSON or SSE), checked for Java names. */
  private static JsonNode rpcError(HttpResponse<String> r) {
    noJavaIn(r.body());
    assertThat(r.statusCode()).as(r.body()).isLessThan(500);
    JsonNode m = McpWire.message(r.body());
    assertThat(m.has("error")).as(r.body()).isTrue();
    return m.path("error");
  }

  private static void noJavaIn(String body) {
    assertThat(JAVA.matcher(body).find()).as("a Java name in: " + body).isFalse();
  }

  private static String raw(String request) throws IOException {
    int port = URI.create(g.api()).getPort();
    try (Socket socket = new Socket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
