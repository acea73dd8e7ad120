package dev.gatehouse.frontend.mcp;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.activities.http.Egress;
import dev.gatehouse.frontend.testing.McpWire;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A tenant admin's records are egress-guarded, and a guarded record whose host is allowed works
 * on every client the guard changed: an HTTP tool whose OAuth token request goes through the
 * guarded client (form, client authentication and answer translated both ways), and an MCP server
 * (the SDK's JDK client for initialize and its streams, the direct path's pooled client for
 * {@code tools/call}). The upstreams listen on an address of this machine's network interface (not
 * loopback), which a guarded record may reach only with {@link Egress#ALLOW_OWN_ADDRESSES} set:
 * there is no other host here to listen on. A machine with no such address skips the test.
 */
class GuardedUpstreamsTest {
  static final String CLIENT_SECRET = "cs_GUARDED_789";

  static String address;
  static TestGatehouse gh;
  static HttpServer upstream;
  static NotesUpstream notes;
  static String tenantAdmin;
  static String tenant;
  static final List<String> tokenForms = new CopyOnWriteArrayList<>();
  static final List<String> protectedAuth = new CopyOnWriteArrayList<>();
  static final List<String> receivedKeys = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    System.setProperty(Egress.ALLOW_OWN_ADDRESSES, "true");
    address = reachableAddress();
    assumeTrue(address != null, "this machine has no network address that is not internal");
    upstream = HttpServer.create(new InetSocketAddress(address, 0), 0);
    upstream.createContext("/token", GuardedUpstreamsTest::token);
    upstream.createContext("/headers", ex -> {
      receivedKeys.add(String.valueOf(ex.getRequestHeaders().getFirst("X-Key")));
      answer(ex, 200, "{\"ok\":true}");
    });
    upstream.createContext("/protected", ex -> {
      String auth = String.valueOf(ex.getRequestHeaders().getFirst("Authorization"));
      protectedAuth.add(auth);
      answer(ex, auth.equals("Bearer tok-guarded") ? 200 : 401, "{\"ok\":true}");
    });
    upstream.start();
    notes = new NotesUpstream(address);
    gh = TestGatehouse.start();
    tenant = tenantOf("agent-a");
    HttpResponse<String> key = gh.post("/admin/v1/admin-keys", ADMIN_KEY, "{\"name\":\"guarded-ops\",\"tenant\":\"" + tenant + "\"}");
    assertThat(key.statusCode()).as(key.body()).isEqualTo(201);
    tenantAdmin = json(key).get("key").asText();
    // The tenant's own secret: a record a tenant admin wrote reads no global one.
    assertThat(
            gh.put("/admin/v1/secrets/guarded-client-secret", ADMIN_KEY, "{\"value\":\"" + CLIENT_SECRET + "\",\"tenant\":\"" + tenant + "\"}")
                .statusCode())
        .isEqualTo(200);
  }

  @AfterAll
  static void stop() throws Exception {
    System.clearProperty(Egress.ALLOW_OWN_ADDRESSES);
    if (gh != null) {
      gh.close();
    }
    if (notes != null) {
      notes.close();
    }
    if (upstream != null) {
      upstream.stop(0);
    }
  }

  @Test
  void aTenantAdminsOAuthToolAtAnAllowedHostGetsItsTokenThroughTheGuardedClient() {
    String base = "http://" + address + ":" + upstream.getAddress().getPort();
    HttpResponse<String> created =
        gh.post(
            "/admin/v1/tools",
            tenantAdmin,
            "{\"name\":\"guarded.oauth\",\"tenant\":\"" + tenant + "\",\"http\":{\"url\":\"" + base + "/protected\"},"
                + "\"auth\":{\"type\":\"oauth2-client-credentials\",\"tokenUrl\":\"" + base + "/token\",\"clientId\":\"gatehouse\","
                + "\"clientSecret\":\"{{secret:guarded-client-secret}}\",\"scopes\":[\"read\",\"write\"]}}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    assertThat(guarded("tools", "guarded.oauth")).as("written by a tenant admin").isTrue();

    String id = gh.submit(KEY_A, "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"s\",\"tool\":\"guarded.oauth\"}]}}");
    JsonNode task = gh.await(KEY_A, id);
    assertThat(task.path("status").asText()).as(task.toString()).isEqualTo("COMPLETED");
    assertThat(tokenForms).as("token requests").hasSize(1);
    assertThat(tokenForms.get(0)).contains("grant_type=client_credentials").contains("scope=read+write");
    assertThat(protectedAuth).containsExactly("Bearer tok-guarded");
  }

  /**
   * A probe's tenant admin named the platform's provider key (a global secret, its name shown in
   * the global provider's record) in a header of its own tool and received the key at its host.
   * A record a tenant admin wrote reads its own tenant's secrets only; the same tool written by the
   * platform admin still reads the global one.
   */
  @Test
  void aTenantAdminsToolCannotReadAGlobalSecret() {
    String platformKey = "sk-platform-GLOBAL-0123456789";
    assertThat(gh.put("/admin/v1/secrets/platform-openai", ADMIN_KEY, "{\"value\":\"" + platformKey + "\"}").statusCode()).isEqualTo(200);
    String tool =
        "{\"name\":\"guarded.steal\",\"tenant\":\"" + tenant + "\",\"http\":{\"url\":\"http://" + address + ":"
            + upstream.getAddress().getPort() + "/headers\",\"headers\":{\"X-Key\":\"{{secret:platform-openai}}\"}}}";
    HttpResponse<String> created = gh.post("/admin/v1/tools", tenantAdmin, tool);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

    String id = gh.submit(KEY_A, "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"s\",\"tool\":\"guarded.steal\"}]}}");
    JsonNode task = gh.await(KEY_A, id);
    assertThat(task.path("status").asText()).as(task.toString()).isEqualTo("FAILED");
    JsonNode step = json(gh.get("/v1/tasks/" + id + "/trace", KEY_A)).get("steps").get(0);
    assertThat(step.path("error").path("code").asText()).as(step.toString()).isEqualTo("credentials_unavailable");
    assertThat(step.toString()).contains("platform-openai").doesNotContain(platformKey);
    assertThat(receivedKeys).as("nothing was sent").isEmpty();

    // Written by the platform admin, the same tool reads the global secret, as before (another name:
    // the first one's definition is cached for a few seconds).
    HttpResponse<String> platforms = gh.post("/admin/v1/tools", ADMIN_KEY, tool.replace("guarded.steal", "guarded.platform"));
    assertThat(platforms.statusCode()).as(platforms.body()).isEqualTo(201);
    String again = gh.submit(KEY_A, "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"s\",\"tool\":\"guarded.platform\"}]}}");
    JsonNode done = gh.await(KEY_A, again);
    assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("COMPLETED");
    assertThat(receivedKeys).containsExactly(platformKey);
  }

  @Test
  void aTenantAdminsMcpServerAtAnAllowedHostIsCalledOnTheGuardedClients() {
    HttpResponse<String> created =
        gh.post(
            "/admin/v1/mcp-servers",
            tenantAdmin,
            "{\"name\":\"gnotes\",\"tenant\":\"" + tenant + "\",\"transport\":\"streamable-http\",\"url\":\"" + notes.url() + "\","
                + "\"execution\":\"direct\"}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    assertThat(guarded("mcp_servers", "gnotes")).as("written by a tenant admin").isTrue();
    McpWire.awaitTools(gh, KEY_A, Duration.ofSeconds(30), "gnotes.write_note");

    String session = McpWire.initialize(gh.api() + "/mcp", KEY_A);
    HttpResponse<String> r =
        McpWire.post(
            gh.api() + "/mcp", KEY_A, session,
            "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"gnotes.write_note\","
                + "\"arguments\":{\"name\":\"g\",\"text\":\"guarded\"}}}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode answer = McpWire.message(r.body());
    assertThat(answer.path("result").path("isError").asBoolean()).as(answer.toString()).isFalse();
    assertThat(notes.writes.get()).isEqualTo(1);
  }

  private static boolean guarded(String table, String name) {
    return gh.db.jdbi().withHandle(h ->
        h.createQuery("SELECT egress_guarded FROM " + table + " WHERE name = :n").bind("n", name).mapTo(Boolean.class).one());
  }

  private static String tenantOf(String agent) {
    return gh.db.jdbi().withHandle(h ->
        h.createQuery("SELECT tenant_id FROM agents WHERE id = :a OR name = :a LIMIT 1").bind("a", agent).mapTo(String.class).one());
  }

  /** An IPv4 address of an interface of this machine that a guarded record may reach, or null. */
  static String reachableAddress() throws IOException {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!nic.isUp() || nic.isLoopback()) {
        continue;
      }
      for (InetAddress a : Collections.list(nic.getInetAddresses())) {
        if (a instanceof Inet4Address && !Egress.internal(a)) {
          return a.getHostAddress();
        }
      }
    }
    return null;
  }

  static void token(HttpExchange ex) throws IOException {
    String expected = "Basic " + Base64.getEncoder().encodeToString(("gatehouse:" + CLIENT_SECRET).getBytes(StandardCharsets.UTF_8));
    String form = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    String type = String.valueOf(ex.getRequestHeaders().getFirst("Content-Type"));
    if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization")) || !type.startsWith("application/x-www-form-urlencoded")) {
      answer(ex, 401, "{\"error\":\"invalid_client\"}");
      return;
    }
    tokenForms.add(form);
    answer(ex, 200, "{\"access_token\":\"tok-guarded\",\"token_type\":\"Bearer\",\"expires_in\":3600}");
  }

  static void answer(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }
}
