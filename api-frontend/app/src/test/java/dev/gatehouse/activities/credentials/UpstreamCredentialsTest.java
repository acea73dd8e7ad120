package dev.gatehouse.activities.credentials;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Upstream credentials: secrets injected into headers, OAuth 2.0 client credentials against a
 * token endpoint on loopback (cached, refreshed once on 401), agents' own credentials never
 * forwarded, and secret values nowhere else — not in results, traces, histories, audit rows,
 * error messages or logs.
 */
class UpstreamCredentialsTest {
  static final String API_KEY_SECRET = "sk_live_SUPERSECRET_123";
  static final String CLIENT_SECRET = "cs_ALSOSECRET_456";

  static TestGatehouse gh;
  static HttpServer upstream;
  static final AtomicInteger tokensIssued = new AtomicInteger();
  static final List<String> receivedApiKeys = new CopyOnWriteArrayList<>();
  static final List<String> receivedAuthorization = new CopyOnWriteArrayList<>();
  static final Map<String, Boolean> revoked = new ConcurrentHashMap<>();
  static ListAppender<ILoggingEvent> logs;

  @BeforeAll
  static void start() throws Exception {
    upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    upstream.createContext("/token", UpstreamCredentialsTest::token);
    upstream.createContext("/protected", ex -> {
      String auth = String.valueOf(ex.getRequestHeaders().getFirst("Authorization"));
      receivedAuthorization.add(auth);
      boolean ok = auth.startsWith("Bearer tok-") && !revoked.containsKey(auth.substring(7));
      answer(ex, ok ? 200 : 401, ok ? "{\"ok\":true,\"seen\":\"" + auth + "\"}" : "{\"error\":\"invalid_token\"}");
    });
    upstream.createContext("/echo-headers", ex -> {
      receivedApiKeys.add(String.valueOf(ex.getRequestHeaders().getFirst("X-Api-Key")));
      receivedAuthorization.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
      answer(ex, 200, "{\"apiKey\":\"" + ex.getRequestHeaders().getFirst("X-Api-Key") + "\"}");
    });
    upstream.createContext("/reject-echo", ex ->
        answer(ex, 400, "{\"error\":\"bad key " + ex.getRequestHeaders().getFirst("X-Api-Key") + "\"}"));
    // the key JSON-escaped, as some encoders write it: a backslash-u escape of one of its letters
    upstream.createContext("/reject-escaped", ex ->
        answer(ex, 401, "{\"error\":\"bad key " + ex.getRequestHeaders().getFirst("X-Api-Key").replace("S", "\\u0053") + "\"}"));
    // the key cut short, as an error message may quote a value it refused
    upstream.createContext("/reject-truncated", ex ->
        answer(ex, 401, "{\"error\":\"bad key " + ex.getRequestHeaders().getFirst("X-Api-Key").substring(0, 16) + "...\"}"));
    // a member named with the key
    upstream.createContext("/key-as-name", ex ->
        answer(ex, 200, "{\"" + ex.getRequestHeaders().getFirst("X-Api-Key") + "\":1}"));
    // a token endpoint that echoes the client secret it was sent as its error code
    upstream.createContext("/token-echo", ex -> {
      String basic = new String(
          Base64.getDecoder().decode(ex.getRequestHeaders().getFirst("Authorization").substring("Basic ".length())), StandardCharsets.UTF_8);
      answer(ex, 400, "{\"error\":\"" + basic.substring(basic.indexOf(':') + 1) + "\"}");
    });
    upstream.start();
    String base = "http://127.0.0.1:" + upstream.getAddress().getPort();

    gh = TestGatehouse.start();
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);

    assertThat(gh.put("/admin/v1/secrets/upstream-key", ADMIN_KEY, "{\"value\":\"" + API_KEY_SECRET + "\"}").statusCode()).isEqualTo(200);
    assertThat(gh.put("/admin/v1/secrets/oauth-client-secret", ADMIN_KEY, "{\"value\":\"" + CLIENT_SECRET + "\"}").statusCode()).isEqualTo(200);
    tool("{\"name\":\"cred.headers\",\"http\":{\"url\":\"" + base + "/echo-headers\",\"headers\":{\"X-Api-Key\":\"{{secret:upstream-key}}\"}}}");
    tool("{\"name\":\"cred.reject\",\"http\":{\"url\":\"" + base + "/reject-echo\",\"headers\":{\"X-Api-Key\":\"{{secret:upstream-key}}\"}}}");
    tool("{\"name\":\"cred.escaped\",\"http\":{\"url\":\"" + base + "/reject-escaped\",\"headers\":{\"X-Api-Key\":\"{{secret:upstream-key}}\"}}}");
    tool("{\"name\":\"cred.truncated\",\"http\":{\"url\":\"" + base + "/reject-truncated\",\"headers\":{\"X-Api-Key\":\"{{secret:upstream-key}}\"}}}");
    tool("{\"name\":\"cred.keyname\",\"http\":{\"url\":\"" + base + "/key-as-name\",\"headers\":{\"X-Api-Key\":\"{{secret:upstream-key}}\"}}}");
    tool("{\"name\":\"cred.oauth-echo\",\"http\":{\"url\":\"" + base + "/protected\"},\"auth\":{\"type\":\"oauth2-client-credentials\","
        + "\"tokenUrl\":\"" + base + "/token-echo\",\"clientId\":\"gatehouse\",\"clientSecret\":\"{{secret:oauth-client-secret}}\"}}");
    tool("{\"name\":\"cred.oauth\",\"http\":{\"url\":\"" + base + "/protected\"},\"auth\":{\"type\":\"oauth2-client-credentials\","
        + "\"tokenUrl\":\"" + base + "/token\",\"clientId\":\"gatehouse\",\"clientSecret\":\"{{secret:oauth-client-secret}}\",\"scopes\":[\"read\"]}}");
  }

  @AfterAll
  static void stop() {
    gh.close();
    upstream.stop(0);
  }

  static void tool(String json) {
    HttpResponse<String> r = gh.post("/admin/v1/tools", ADMIN_KEY, json);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
  }

  static void token(HttpExchange ex) throws IOException {
    String expected = "Basic " + Base64.getEncoder().encodeToString(("gatehouse:" + CLIENT_SECRET).getBytes(StandardCharsets.UTF_8));
    String form = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization")) || !form.contains("grant_type=client_credentials")) {
      answer(ex, 401, "{\"error\":\"invalid_client\"}");
      return;
    }
    int n = tokensIssued.incrementAndGet();
    answer(ex, 200, "{\"access_token\":\"tok-" + n + "-opaque\",\"token_type\":\"Bearer\",\"expires_in\":3600}");
  }

  static void answer(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }

  private static JsonNode run(String tool) {
    String id = gh.submit("{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"s\",\"tool\":\"" + tool + "\"}]}}");
    JsonNode task = gh.await(id);
    ((com.fasterxml.jackson.databind.node.ObjectNode) task).set("trace", json(gh.get("/v1/tasks/" + id + "/trace", KEY_A)));
    ((com.fasterxml.jackson.databind.node.ObjectNode) task).put("history", gh.application().temporal().client().fetchHistory(id).toJson(false));
    return task;
  }

  @Test
  void secretsAreInjectedAndTokensFetchedCachedAndRefreshedButAppearNowhereElse() throws Exception {
    JsonNode headers = run("cred.headers");
    assertThat(headers.get("status").asText()).isEqualTo("COMPLETED");
    assertThat(receivedApiKeys).contains(API_KEY_SECRET);
    assertThat(headers.get("result").get("s").get("apiKey").asText()).isEqualTo("[redacted]");
    // The agent's own key never travels to an upstream.
    assertThat(receivedAuthorization).noneMatch(a -> a.contains(KEY_A));

    JsonNode first = run("cred.oauth");
    assertThat(first.get("status").asText()).isEqualTo("COMPLETED");
    assertThat(tokensIssued.get()).isEqualTo(1);
    JsonNode cached = run("cred.oauth");
    assertThat(cached.get("status").asText()).isEqualTo("COMPLETED");
    assertThat(tokensIssued.get()).as("the token is cached").isEqualTo(1);

    revoked.put("tok-1-opaque", true);
    JsonNode refreshed = run("cred.oauth");
    assertThat(refreshed.get("status").asText()).isEqualTo("COMPLETED");
    assertThat(tokensIssued.get()).as("a 401 forces one refresh").isEqualTo(2);
    assertThat(refreshed.get("trace").get("steps").get(0).get("attempts").asInt()).isEqualTo(1);

    JsonNode rejected = run("cred.reject");
    assertThat(rejected.get("status").asText()).isEqualTo("FAILED");
    assertThat(rejected.get("error").get("message").asText()).contains("HTTP 400").contains("[redacted]");

    gh.application().audit().flush();
    String audit = gh.db.jdbi().withHandle(h -> h.createQuery("SELECT audit_log::text FROM audit_log").mapTo(String.class).list()).toString();
    String secretsApi = gh.get("/admin/v1/secrets", ADMIN_KEY).body() + gh.get("/admin/v1/secrets/upstream-key", ADMIN_KEY).body();
    StringBuilder logText = new StringBuilder();
    for (ILoggingEvent e : logs.list) {
      logText.append(e.getFormattedMessage()).append('\n');
      if (e.getThrowableProxy() != null) {
        logText.append(ThrowableProxyUtil.asString(e.getThrowableProxy())).append('\n');
      }
    }
    for (String place : List.of(headers.toString(), first.toString(), cached.toString(), refreshed.toString(), rejected.toString(), audit, secretsApi, logText.toString())) {
      assertThat(place).doesNotContain(API_KEY_SECRET).doesNotContain(CLIENT_SECRET).doesNotContain("tok-1-opaque").doesNotContain("tok-2-opaque");
    }
    assertThat(secretsApi).contains("upstream-key");
  }

  @Test
  void anUpstreamThatEchoesASecretEscapedAsAMembersNameAsItsErrorCodeOrCutShortGetsItRedacted() {
    JsonNode escaped = run("cred.escaped");
    assertThat(escaped.get("status").asText()).isEqualTo("FAILED");
    assertThat(escaped.get("error").get("message").asText()).contains("bad key [redacted]");

    JsonNode named = run("cred.keyname");
    assertThat(named.get("status").asText()).isEqualTo("COMPLETED");
    assertThat(named.get("result").get("s").toString()).isEqualTo("{\"[redacted]\":1}");

    JsonNode oauth = run("cred.oauth-echo");
    assertThat(oauth.get("status").asText()).isEqualTo("FAILED");
    assertThat(oauth.get("error").get("message").asText()).contains("refused the client credentials (HTTP 400, [redacted])");

    // 16 of its 23 characters: before, all of them reached the agent
    JsonNode truncated = run("cred.truncated");
    assertThat(truncated.get("status").asText()).isEqualTo("FAILED");
    assertThat(truncated.get("error").get("message").asText()).contains("bad key [redacted]...");

    for (JsonNode task : List.of(escaped, named, oauth, truncated)) {
      assertThat(task.toString()).doesNotContain("UPERSECRET").doesNotContain("SUPERSEC").doesNotContain(CLIENT_SECRET);
    }
  }

  @Test
  void aMissingSecretFailsTheStepClearlyWithoutRetry() {
    tool("{\"name\":\"cred.missing\",\"http\":{\"url\":\"http://127.0.0.1:9/x\",\"headers\":{\"X-Api-Key\":\"{{secret:not-set}}\"}}}");
    JsonNode task = run("cred.missing");
    assertThat(task.get("status").asText()).isEqualTo("FAILED");
    assertThat(task.get("error").get("message").asText()).contains("secret 'not-set'");
    assertThat(task.get("trace").get("steps").get(0).get("attempts").asInt()).isEqualTo(1);
  }

  @Test
  void secretsAreWriteOnlyAndRegistryEntriesCannotHoldLiteralSecrets() {
    HttpResponse<String> literal =
        gh.post("/admin/v1/tools", ADMIN_KEY,
            "{\"name\":\"cred.literal\",\"http\":{\"url\":\"http://127.0.0.1:9/x\"},\"auth\":{\"type\":\"oauth2-client-credentials\","
                + "\"tokenUrl\":\"http://127.0.0.1:9/token\",\"clientId\":\"c\",\"clientSecret\":\"plain-text-secret\"}}");
    assertThat(literal.statusCode()).isEqualTo(422);
    assertThat(literal.body()).doesNotContain("plain-text-secret");
    assertThat(gh.get("/admin/v1/secrets/upstream-key", ADMIN_KEY).body()).doesNotContain("value").doesNotContain(API_KEY_SECRET);
    assertThat(gh.put("/admin/v1/secrets/x", KEY_A, "{\"value\":\"v\"}").statusCode()).isEqualTo(403);
  }
}
