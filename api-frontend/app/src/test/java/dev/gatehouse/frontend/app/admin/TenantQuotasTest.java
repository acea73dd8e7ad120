package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.http.HttpResponse;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A tenant holds at most {@code limits.maxEntriesPerTenant} records of each admin collection (3
 * here) and {@code limits.maxIdentityProvidersPerTenant} identity providers (2 here). A probe's
 * tenant admin created 300 identity providers in 10 s, each keeping its signing keys in memory.
 */
class TenantQuotasTest {
  static TestGatehouse gh;
  static String tenant;
  static String tenantAdmin;

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start(c -> {
      c.getLimits().setMaxEntriesPerTenant(3);
      c.getLimits().setMaxIdentityProvidersPerTenant(2);
    });
    HttpResponse<String> t = gh.post("/admin/v1/tenants", ADMIN_KEY, "{\"name\":\"quota\"}");
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

  /** {@code create(i)} makes the i-th record: {@code room} succeed, the next passes {@code limit} and creates nothing. */
  private static void bounded(String what, int room, int limit, IntFunction<HttpResponse<String>> create) {
    for (int i = 0; i < room; i++) {
      HttpResponse<String> r = create.apply(i);
      assertThat(r.statusCode()).as(what + " " + i + ": " + r.body()).isIn(200, 201);
    }
    HttpResponse<String> over = create.apply(room);
    assertThat(over.statusCode()).as(what + ": " + over.body()).isEqualTo(409);
    assertThat(json(over).at("/error/code").asText()).isEqualTo("quota_exceeded");
    assertThat(json(over).at("/error/message").asText()).contains("holds " + limit + " ", "may hold at most " + limit);
  }

  @Test
  void eachCollectionOfATenantIsBounded() {
    bounded("tools", 3, 3, i -> gh.post("/admin/v1/tools", tenantAdmin,
        "{\"name\":\"quota.t" + i + "\",\"tenant\":\"" + tenant + "\",\"http\":{\"url\":\"http://192.0.2.1:9/x\"}}"));
    assertThat(gh.get("/admin/v1/tools/quota.t3", ADMIN_KEY).statusCode()).as("nothing was created").isEqualTo(404);
    // A platform admin's global record is not the tenant's: it is not counted, nor refused.
    assertThat(gh.post("/admin/v1/tools", ADMIN_KEY, "{\"name\":\"quota.global\",\"http\":{\"url\":\"http://192.0.2.1:9/x\"}}").statusCode())
        .isEqualTo(201);
    // Deleting one makes room for one.
    assertThat(gh.delete("/admin/v1/tools/quota.t0", tenantAdmin).statusCode()).isEqualTo(204);
    assertThat(gh.post("/admin/v1/tools", tenantAdmin,
        "{\"name\":\"quota.t9\",\"tenant\":\"" + tenant + "\",\"http\":{\"url\":\"http://192.0.2.1:9/x\"}}").statusCode()).isEqualTo(201);

    bounded("policies", 3, 3, i -> gh.post("/admin/v1/policies", tenantAdmin,
        "{\"name\":\"quota-p" + i + "\",\"tenant\":\"" + tenant + "\",\"kind\":\"rate-limit\",\"rateLimit\":{\"requestsPerMinute\":60}}"));
    assertThat(json(gh.post("/admin/v1/policies", tenantAdmin,
        "{\"name\":\"quota-p9\",\"tenant\":\"" + tenant + "\",\"kind\":\"rate-limit\",\"rateLimit\":{\"requestsPerMinute\":60}}"))
        .at("/error/message").asText()).isEqualTo("this tenant holds 3 policies, and may hold at most 3");

    bounded("identity providers", 2, 2, i -> gh.post("/admin/v1/identity-providers", tenantAdmin,
        "{\"tenant\":\"" + tenant + "\",\"name\":\"idp" + i + "\",\"issuer\":\"https://q" + i + ".example\",\"audience\":\"a\",\"jwksUrl\":\"https://q" + i + ".example/jwks\"}"));
    // The tenant's own admin key is one of its three.
    bounded("admin keys", 2, 3, i -> gh.post("/admin/v1/admin-keys", tenantAdmin, "{\"name\":\"k" + i + "\",\"tenant\":\"" + tenant + "\"}"));
    bounded("agents", 3, 3, i -> gh.post("/admin/v1/agents", tenantAdmin, "{\"tenant\":\"" + tenant + "\",\"name\":\"a" + i + "\"}"));
    bounded("secrets", 3, 3, i -> gh.put("/admin/v1/secrets/s" + i, tenantAdmin, "{\"value\":\"v\",\"tenant\":\"" + tenant + "\"}"));
    assertThat(gh.put("/admin/v1/secrets/s1", tenantAdmin, "{\"value\":\"w\",\"tenant\":\"" + tenant + "\"}").statusCode())
        .as("a secret that exists may be written again at the limit").isEqualTo(200);
    String agent = json(gh.get("/admin/v1/agents?tenant=" + tenant, tenantAdmin)).at("/items/0/id").asText();
    bounded("an agent's keys", 3, 3, i -> gh.post("/admin/v1/agents/" + agent + "/keys", tenantAdmin, ""));
  }
}
