package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The rules every tenant-scoped registry kind of the admin API shares (tools, virtual servers, MCP
 * servers), run against each kind over HTTP: who sees what, who may change global records, what a
 * replace may not change, the kind's own error codes and messages, and one audit row per change.
 */
class TenantScopedCrudTest {
  static TestGatehouse gh;
  static final AtomicInteger SEQ = new AtomicInteger();

  /** One kind as a client sees it: where it lives, how it is named, a valid and an invalid body. */
  record Kind(String path, String code, String aNoun, String noun, String auditPrefix, String fields, String badFields) {
    String body(String name, String tenant) {
      return "{" + (name == null ? "" : "\"name\":\"" + name + "\",") + (tenant == null ? "" : "\"tenant\":\"" + tenant + "\",")
          + fields + "}";
    }
  }

  static Stream<Named<Kind>> kinds() {
    return Stream.of(
        Named.of("tools", new Kind("/admin/v1/tools", "tool", "a tool", "tool", "tool:",
            "\"http\":{\"url\":\"http://192.0.2.1:9/x\"}", "\"http\":{\"url\":\"ftp://x\"}")),
        Named.of("virtual servers", new Kind("/admin/v1/virtual-servers", "virtual_server", "a virtual server", "virtual server",
            "virtual-server:", "\"tools\":[\"a\"]", "\"tools\":[]")),
        Named.of("MCP servers", new Kind("/admin/v1/mcp-servers", "mcp_server", "an MCP server", "MCP server", "mcp-server:",
            "\"transport\":\"sse\",\"url\":\"http://x/sse\"", "\"transport\":\"ws\",\"url\":\"http://x/sse\"")));
  }

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start();
  }

  @AfterAll
  static void stop() {
    gh.close();
  }

  /** Three tenants' worth of fixtures: a global record, another tenant's, and the admin's own. */
  record Scene(String mine, String theirs, String tenantAdmin, String global, String their, String own) {}

  static Scene scene(Kind k) {
    int n = SEQ.incrementAndGet();
    String mine = tenant("crud-mine-" + n);
    String theirs = tenant("crud-theirs-" + n);
    HttpResponse<String> key = gh.post("/admin/v1/admin-keys", ADMIN_KEY, "{\"name\":\"ops\",\"tenant\":\"" + mine + "\"}");
    assertThat(key.statusCode()).as(key.body()).isEqualTo(201);
    String tenantAdmin = json(key).get("key").asText();
    Scene s = new Scene(mine, theirs, tenantAdmin, "crud-global-" + n, "crud-their-" + n, "crud-own-" + n);
    created(gh.post(k.path(), ADMIN_KEY, k.body(s.global(), null)));
    created(gh.post(k.path(), ADMIN_KEY, k.body(s.their(), theirs)));
    created(gh.post(k.path(), tenantAdmin, k.body(s.own(), mine)));
    return s;
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aTenantAdminSeesItsOwnAndTheGlobalOnesAndAnotherTenantsIsLikeMissing(Kind k) {
    Scene s = scene(k);
    assertThat(gh.get(k.path() + "/" + s.own(), s.tenantAdmin()).statusCode()).isEqualTo(200);
    assertThat(gh.get(k.path() + "/" + s.global(), s.tenantAdmin()).statusCode()).isEqualTo(200);

    HttpResponse<String> missing = gh.get(k.path() + "/crud-nothing", s.tenantAdmin());
    error(missing, 404, k.code() + "_not_found", "no " + k.noun() + " 'crud-nothing'");
    for (HttpResponse<String> r : List.of(
        gh.get(k.path() + "/" + s.their(), s.tenantAdmin()),
        gh.put(k.path() + "/" + s.their(), s.tenantAdmin(), k.body(null, s.mine())),
        gh.delete(k.path() + "/" + s.their(), s.tenantAdmin()))) {
      error(r, 404, k.code() + "_not_found", "no " + k.noun() + " '" + s.their() + "'");
    }
    error(gh.post(k.path(), s.tenantAdmin(), k.body("crud-sneaky", s.theirs())), 404, "tenant_not_found", "no tenant '" + s.theirs() + "'");
    assertThat(gh.get(k.path() + "/" + s.their(), ADMIN_KEY).statusCode()).isEqualTo(200);

    // A tenant admin's listing is its tenant's and the global ones; asking for another tenant's is
    // 404, like every other way of naming it (not a page of its own that looks like theirs).
    for (String query : List.of("?limit=200", "?limit=200&tenant=" + s.mine())) {
      List<String> names = names(gh.get(k.path() + query, s.tenantAdmin()));
      assertThat(names).as(query).contains(s.own(), s.global()).doesNotContain(s.their());
    }
    error(gh.get(k.path() + "?limit=200&tenant=" + s.theirs(), s.tenantAdmin()), 404, "tenant_not_found", "no tenant '" + s.theirs() + "'");
    assertThat(names(gh.get(k.path() + "?limit=200&tenant=" + s.theirs(), ADMIN_KEY)))
        .contains(s.their(), s.global()).doesNotContain(s.own());
    assertThat(names(gh.get(k.path() + "?limit=200", ADMIN_KEY))).contains(s.their(), s.global(), s.own());
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void onlyPlatformAdminsCreateReplaceOrDeleteGlobalOnes(Kind k) {
    Scene s = scene(k);
    String forbidden = "only a platform admin key may do this";
    error(gh.post(k.path(), s.tenantAdmin(), k.body("crud-new-global", null)), 403, "forbidden",
        "without 'tenant' " + k.aNoun() + " is global, which only a platform admin key may write; give your tenant's id as 'tenant'");
    error(gh.put(k.path() + "/" + s.global(), s.tenantAdmin(), k.body(null, null)), 403, "forbidden", forbidden);
    error(gh.delete(k.path() + "/" + s.global(), s.tenantAdmin()), 403, "forbidden", forbidden);
    // Nor can it hand its own record to the platform by leaving the tenant out: the record keeps its owner.
    HttpResponse<String> kept = gh.put(k.path() + "/" + s.own(), s.tenantAdmin(), k.body(null, null));
    assertThat(kept.statusCode()).as(kept.body()).isEqualTo(200);
    assertThat(json(kept).get("tenantId").asText()).isEqualTo(s.mine());
    error(gh.get(k.path() + "/crud-new-global", ADMIN_KEY), 404, k.code() + "_not_found", "no " + k.noun() + " 'crud-new-global'");

    assertThat(gh.put(k.path() + "/" + s.global(), ADMIN_KEY, k.body(s.global(), null)).statusCode()).isEqualTo(200);
    assertThat(gh.delete(k.path() + "/" + s.global(), ADMIN_KEY).statusCode()).isEqualTo(204);
    assertThat(gh.get(k.path() + "/" + s.global(), ADMIN_KEY).statusCode()).isEqualTo(404);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aReplaceKeepsTheNameAndTheOwner(Kind k) {
    Scene s = scene(k);
    error(gh.put(k.path() + "/" + s.own(), s.tenantAdmin(), k.body("crud-renamed", s.mine())), 400, "invalid_request",
        "the body's name differs from the path's; " + k.aNoun() + " cannot be renamed");
    String owner = k.aNoun() + " cannot change its owner; delete and create it instead";
    // a body without a tenant keeps the stored owner (it cannot change)
    HttpResponse<String> keeps = gh.put(k.path() + "/" + s.own(), ADMIN_KEY, k.body(null, null));
    assertThat(keeps.statusCode()).as(keeps.body()).isEqualTo(200);
    assertThat(json(keeps).get("tenantId").asText()).isEqualTo(s.mine());
    error(gh.put(k.path() + "/" + s.own(), ADMIN_KEY, k.body(null, s.theirs())), 400, "invalid_request", owner);
    error(gh.put(k.path() + "/" + s.global(), ADMIN_KEY, k.body(null, s.mine())), 400, "invalid_request", owner);
    assertThat(gh.get(k.path() + "/crud-renamed", ADMIN_KEY).statusCode()).isEqualTo(404);

    // The body may repeat the path's name, or leave it out.
    for (String name : new String[] {s.own(), null}) {
      HttpResponse<String> r = gh.put(k.path() + "/" + s.own(), s.tenantAdmin(), k.body(name, s.mine()));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(json(r).get("name").asText()).isEqualTo(s.own());
      assertThat(json(r).get("tenantId").asText()).isEqualTo(s.mine());
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void takenNamesAndInvalidBodiesAnswerTheKindsCodes(Kind k) {
    Scene s = scene(k);
    // Names are unique across tenants: another tenant's name is taken too, and says so.
    for (String name : List.of(s.own(), s.their(), s.global())) {
      error(gh.post(k.path(), s.tenantAdmin(), k.body(name, s.mine())), 409, k.code() + "_exists",
          k.aNoun() + " named '" + name + "' exists");
    }
    HttpResponse<String> bad = gh.post(k.path(), ADMIN_KEY, "{\"name\":\"crud-bad\"," + k.badFields() + "}");
    assertThat(bad.statusCode()).as(bad.body()).isEqualTo(422);
    assertThat(code(bad)).isEqualTo("invalid_" + k.code());
    HttpResponse<String> badReplace = gh.put(k.path() + "/" + s.own(), s.tenantAdmin(), "{\"tenant\":\"" + s.mine() + "\"," + k.badFields() + "}");
    assertThat(badReplace.statusCode()).as(badReplace.body()).isEqualTo(422);
    assertThat(json(badReplace).get("error").get("message").asText()).isEqualTo(json(bad).get("error").get("message").asText()
        .replace("crud-bad", s.own()));
    assertThat(gh.get(k.path() + "/crud-bad", ADMIN_KEY).statusCode()).isEqualTo(404);
    error(gh.post(k.path(), ADMIN_KEY, k.body("crud-blank-tenant", " ")), 400, "invalid_request", "'tenant' (a tenant id) is required");
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void everyChangeLeavesOneAuditRowAndARefusedOneNone(Kind k) throws Exception {
    Scene s = scene(k);
    String target = k.auditPrefix() + s.own();
    gh.put(k.path() + "/" + s.own(), s.tenantAdmin(), k.body(null, s.mine()));
    gh.put(k.path() + "/" + s.own(), s.tenantAdmin(), k.body("crud-renamed", s.mine()));
    gh.post(k.path(), s.tenantAdmin(), k.body(s.own(), s.mine()));
    gh.delete(k.path() + "/" + s.own(), s.tenantAdmin());
    gh.delete(k.path() + "/" + s.own(), s.tenantAdmin());
    gh.application().audit().flush();
    List<String> rows = new ArrayList<>();
    for (JsonNode row : json(gh.get("/admin/v1/audit?limit=200&tenant=" + s.mine(), ADMIN_KEY)).get("items")) {
      if (row.get("target").asText().equals(target)) {
        rows.add(row.get("action").asText() + " " + row.get("tenantId").asText() + " " + row.get("outcome").asText());
      }
    }
    String ok = " " + s.mine() + " ok";
    assertThat(rows).containsExactlyInAnyOrder("admin.create" + ok, "admin.update" + ok, "admin.delete" + ok);
  }

  static String tenant(String name) {
    HttpResponse<String> r = gh.post("/admin/v1/tenants", ADMIN_KEY, "{\"name\":\"" + name + "\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return json(r).get("id").asText();
  }

  static void created(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.request().uri() + " " + r.body()).isEqualTo(201);
  }

  static String code(HttpResponse<String> r) {
    return json(r).get("error").get("code").asText();
  }

  static void error(HttpResponse<String> r, int status, String code, String message) {
    String what = r.request().method() + " " + r.request().uri() + " " + r.body();
    assertThat(r.statusCode()).as(what).isEqualTo(status);
    assertThat(code(r)).as(what).isEqualTo(code);
    assertThat(json(r).get("error").get("message").asText()).as(what).isEqualTo(message);
  }

  static List<String> names(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<String> names = new ArrayList<>();
    json(r).get("items").forEach(item -> names.add(item.get("name").asText()));
    return names;
  }
}
