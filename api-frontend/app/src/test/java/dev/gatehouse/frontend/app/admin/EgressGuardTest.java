package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A tenant admin cannot point what Gatehouse calls at Gatehouse's own host (the operations port,
 * the embedded database) or the cloud's metadata service; a platform admin can, and private
 * networks stay open to both.
 */
class EgressGuardTest {
  static TestGatehouse gh;
  static String tenant;
  static String tenantAdmin;

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start();
    HttpResponse<String> t = gh.post("/admin/v1/tenants", ADMIN_KEY, "{\"name\":\"egress\"}");
    assertThat(t.statusCode()).as(t.body()).isEqualTo(201);
    tenant = json(t).get("id").asText();
    HttpResponse<String> key = gh.post("/admin/v1/admin-keys", ADMIN_KEY, "{\"name\":\"ops\",\"tenant\":\"" + tenant + "\"}");
    assertThat(key.statusCode()).as(key.body()).isEqualTo(201);
    tenantAdmin = json(key).get("key").asText();
  }

  @AfterAll
  static void stop() {
    gh.close();
  }

  static final List<String> THIS_HOST =
      List.of(
          "http://127.0.0.1:8081/prometheus", "http://localhost:8081/tasks/log-level", "http://LOCALHOST./x",
          "http://api.localhost/x", "http://[::1]:5432/", "http://169.254.169.254/latest/meta-data/",
          "http://[fe80::1]/x", "http://0.0.0.0:8080/x", "http://0/x", "http://2130706433/x", "http://[::ffff:127.0.0.1]/x",
          "http://[fd00:ec2::254]/latest", "http://224.0.0.1/x",
          // a template in the path or query does not hide the host
          "http://127.0.0.1:8081/{p}", "http://localhost/x?q={q}", "http://169.254.169.254/{a}/{b}",
          // nor may the host or port come from the call's arguments
          "http://{h}:8081/prometheus", "http://x{h}/x", "http://10.0.0.{h}/x", "http://10.0.0.1:{port}/x", "http://user@{h}/x",
          // nor a host no check can read
          "http://127.0.0.1:80:80/x", "http://[::1/x");

  private static String tool(String name, String url) {
    return "{\"name\":\"" + name + "\",\"tenant\":\"" + tenant + "\",\"http\":{\"method\":\"GET\",\"url\":\"" + url + "\"}}";
  }

  @Test
  void aTenantAdminsToolCannotCallThisHost() {
    int i = 0;
    for (String url : THIS_HOST) {
      HttpResponse<String> r = gh.post("/admin/v1/tools", tenantAdmin, tool("egress.t" + i++, url));
      assertThat(r.statusCode()).as(url + " " + r.body()).isEqualTo(403);
      assertThat(json(r).get("error").get("code").asText()).isEqualTo("forbidden");
      assertThat(json(r).get("error").get("message").asText()).contains("http.url").contains("only a platform admin");
    }
    assertThat(gh.get("/admin/v1/tools?tenant=" + tenant, ADMIN_KEY).body()).doesNotContain("egress.t");

    // Private networks are what a gateway is for; a platform admin may point anywhere.
    assertThat(gh.post("/admin/v1/tools", tenantAdmin, tool("egress.internal", "http://10.20.30.40/api")).statusCode()).isEqualTo(201);
    assertThat(gh.post("/admin/v1/tools", tenantAdmin, tool("egress.templated", "http://10.20.30.40/api/{id}?q={q}")).statusCode())
        .as("a template in the path of a private host").isEqualTo(201);
    assertThat(gh.post("/admin/v1/tools", tenantAdmin, tool("egress.fqdn", "http://tools.example.com./api")).statusCode())
        .as("a fully qualified name").isEqualTo(201);
    assertThat(gh.post("/admin/v1/tools", ADMIN_KEY, tool("egress.platform", "http://127.0.0.1:8081/healthcheck")).statusCode()).isEqualTo(201);
    // ...and the tenant admin cannot rewrite a tool to point here either.
    HttpResponse<String> rewrite = gh.put("/admin/v1/tools/egress.internal", tenantAdmin, tool("egress.internal", "http://127.0.0.1:5432/"));
    assertThat(rewrite.statusCode()).as(rewrite.body()).isEqualTo(403);
    HttpResponse<String> token =
        gh.post("/admin/v1/tools", tenantAdmin,
            "{\"name\":\"egress.tok\",\"tenant\":\"" + tenant + "\",\"http\":{\"method\":\"GET\",\"url\":\"http://10.0.0.1/x\"},"
                + "\"auth\":{\"type\":\"oauth2-client-credentials\",\"tokenUrl\":\"http://169.254.169.254/token\",\"clientId\":\"c\","
                + "\"clientSecret\":\"{{secret:s}}\"}}");
    assertThat(token.statusCode()).as(token.body()).isEqualTo(403);
    assertThat(json(token).get("error").get("message").asText()).contains("auth.tokenUrl");
  }

  @Test
  void norItsProvidersMcpServersOrIdentityProviders() {
    HttpResponse<String> provider =
        gh.post("/admin/v1/providers", tenantAdmin,
            "{\"name\":\"egress-p\",\"tenant\":\"" + tenant + "\",\"type\":\"openai\",\"baseUrl\":\"http://127.0.0.1:8081/v1\"}");
    assertThat(provider.statusCode()).as(provider.body()).isEqualTo(403);
    HttpResponse<String> server =
        gh.post("/admin/v1/mcp-servers", tenantAdmin,
            "{\"name\":\"egress-m\",\"tenant\":\"" + tenant + "\",\"transport\":\"streamable-http\",\"url\":\"http://[::1]:8081/mcp\"}");
    assertThat(server.statusCode()).as(server.body()).isEqualTo(403);
    HttpResponse<String> idp =
        gh.post("/admin/v1/identity-providers", tenantAdmin,
            "{\"name\":\"egress-i\",\"tenant\":\"" + tenant + "\",\"issuer\":\"https://egress.example\","
                + "\"jwksUrl\":\"http://169.254.169.254/jwks\",\"audience\":\"gatehouse\"}");
    assertThat(idp.statusCode()).as(idp.body()).isEqualTo(403);
    for (HttpResponse<String> r : List.of(provider, server, idp)) {
      assertThat(json(r).get("error").get("code").asText()).isEqualTo("forbidden");
    }
  }

  /** Whether the stored record is egress-guarded, read straight from its table. */
  private static boolean guarded(String table, String column, String key) {
    return gh.db.jdbi().withHandle(h ->
        h.createQuery("SELECT egress_guarded FROM " + table + " WHERE " + column + " = :k").bind("k", key).mapTo(Boolean.class).one());
  }

  @Test
  void aTenantAdminsWriteIsGuardedAtConnectTimeAndAPlatformAdminsRewriteClearsIt() {
    String tool = tool("egress.flag", "http://10.20.30.41/api");
    assertThat(gh.post("/admin/v1/tools", tenantAdmin, tool).statusCode()).isEqualTo(201);
    assertThat(guarded("tools", "name", "egress.flag")).as("written by a tenant admin").isTrue();
    assertThat(gh.get("/admin/v1/tools/egress.flag", tenantAdmin).body()).as("not part of the definition").doesNotContain("egressGuarded");
    assertThat(gh.put("/admin/v1/tools/egress.flag", ADMIN_KEY, tool).statusCode()).isEqualTo(200);
    assertThat(guarded("tools", "name", "egress.flag")).as("rewritten by a platform admin").isFalse();
    assertThat(gh.put("/admin/v1/tools/egress.flag", tenantAdmin, tool).statusCode()).isEqualTo(200);
    assertThat(guarded("tools", "name", "egress.flag")).as("rewritten by a tenant admin, the same definition").isTrue();

    String provider = "{\"name\":\"egress-flag-p\",\"tenant\":\"" + tenant + "\",\"type\":\"openai\",\"baseUrl\":\"http://10.20.30.41/v1\"}";
    assertThat(gh.post("/admin/v1/providers", tenantAdmin, provider).statusCode()).isEqualTo(201);
    assertThat(guarded("providers", "name", "egress-flag-p")).isTrue();
    assertThat(gh.put("/admin/v1/providers/egress-flag-p", ADMIN_KEY, provider).statusCode()).isEqualTo(200);
    assertThat(guarded("providers", "name", "egress-flag-p")).isFalse();

    String server =
        "{\"name\":\"egress-flag-m\",\"tenant\":\"" + tenant + "\",\"transport\":\"streamable-http\",\"url\":\"http://10.20.30.41/mcp\"}";
    assertThat(gh.post("/admin/v1/mcp-servers", ADMIN_KEY, server).statusCode()).isEqualTo(201);
    assertThat(guarded("mcp_servers", "name", "egress-flag-m")).as("written by a platform admin").isFalse();
    assertThat(gh.put("/admin/v1/mcp-servers/egress-flag-m", tenantAdmin, server).statusCode()).isEqualTo(200);
    assertThat(guarded("mcp_servers", "name", "egress-flag-m")).isTrue();

    String idp =
        "{\"name\":\"egress-flag-i\",\"tenant\":\"" + tenant + "\",\"issuer\":\"https://egress-flag.example\","
            + "\"jwksUrl\":\"http://10.20.30.41/jwks\",\"audience\":\"gatehouse\"}";
    HttpResponse<String> created = gh.post("/admin/v1/identity-providers", tenantAdmin, idp);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String id = json(created).get("id").asText();
    assertThat(guarded("identity_providers", "id", id)).isTrue();
    assertThat(gh.put("/admin/v1/identity-providers/" + id, ADMIN_KEY, idp).statusCode()).isEqualTo(200);
    assertThat(guarded("identity_providers", "id", id)).isFalse();
  }
}
