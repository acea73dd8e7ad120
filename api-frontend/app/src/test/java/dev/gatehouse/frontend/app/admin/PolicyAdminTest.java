package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code /admin/v1/policies} on a real Gatehouse and PostgreSQL: versions, ownership, refusals, and the registry file's round trip. */
class PolicyAdminTest {
  static TestGatehouse gh;

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start();
  }

  @AfterAll
  static void stop() {
    gh.close();
  }

  static String code(HttpResponse<String> r) {
    return json(r).get("error").get("code").asText();
  }

  static String tenant(String name) {
    HttpResponse<String> r = gh.post("/admin/v1/tenants", ADMIN_KEY, "{\"name\":\"" + name + "\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return json(r).get("id").asText();
  }

  /** {@code body} with each tenant name in {@code "tenant"} fields replaced by the tenant's id, as the API takes it. */
  static String ids(String body, String... nameThenId) {
    for (int i = 0; i < nameThenId.length; i += 2) {
      body = body.replace("\"tenant\": \"" + nameThenId[i] + "\"", "\"tenant\": \"" + nameThenId[i + 1] + "\"")
          .replace("\"tenant\":\"" + nameThenId[i] + "\"", "\"tenant\":\"" + nameThenId[i + 1] + "\"");
    }
    return body;
  }

  static String tenantAdmin(String tenant) {
    HttpResponse<String> r = gh.post("/admin/v1/admin-keys", ADMIN_KEY, "{\"name\":\"ops\",\"tenant\":\"" + tenant + "\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return json(r).get("key").asText();
  }

  @Test
  void aPolicyIsCreatedReadReplacedAndDeletedWithItsVersionCounted() {
    String acme = tenant("pol-acme");
    HttpResponse<String> created = gh.post("/admin/v1/policies", ADMIN_KEY, ids(
        """
        {"name": "pol-rpm", "tenant": "pol-acme", "kind": "rate-limit",
         "appliesTo": {"agents": ["bot"], "tools": ["crm.*"]},
         "rateLimit": {"requestsPerMinute": 60}}
        """, "pol-acme", acme));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode p = json(created);
    assertThat(p.get("version").asInt()).isEqualTo(1);
    assertThat(p.get("tenantId").asText()).isEqualTo(acme);
    assertThat(p.get("rateLimit").get("per").asText()).isEqualTo("agent");

    String same = ids("""
        {"tenant": "pol-acme", "kind": "rate-limit", "appliesTo": {"agents": ["bot"], "tools": ["crm.*"]},
         "rateLimit": {"requestsPerMinute": 60}}
        """, "pol-acme", acme);
    assertThat(json(gh.put("/admin/v1/policies/pol-rpm", ADMIN_KEY, same)).get("version").asInt()).isEqualTo(1);
    HttpResponse<String> changed = gh.put("/admin/v1/policies/pol-rpm", ADMIN_KEY, same.replace("60", "30"));
    assertThat(changed.statusCode()).as(changed.body()).isEqualTo(200);
    assertThat(json(changed).get("version").asInt()).isEqualTo(2);
    assertThat(json(gh.get("/admin/v1/policies/pol-rpm", ADMIN_KEY)).get("rateLimit").get("requestsPerMinute").asInt()).isEqualTo(30);

    HttpResponse<String> list = gh.get("/admin/v1/policies?tenant=" + acme, ADMIN_KEY);
    assertThat(json(list).get("items").findValuesAsText("name")).contains("pol-rpm");

    assertThat(code(gh.post("/admin/v1/policies", ADMIN_KEY,
        ids("{\"name\":\"pol-rpm\",\"tenant\":\"pol-acme\",\"kind\":\"pii\",\"pii\":{\"action\":\"redact\"}}", "pol-acme", acme))))
        .isEqualTo("policy_exists");
    assertThat(gh.delete("/admin/v1/policies/pol-rpm", ADMIN_KEY).statusCode()).isEqualTo(204);
    HttpResponse<String> gone = gh.get("/admin/v1/policies/pol-rpm", ADMIN_KEY);
    assertThat(gone.statusCode()).isEqualTo(404);
    assertThat(code(gone)).isEqualTo("policy_not_found");
  }

  @Test
  void aBadPolicyIsRefusedByItsFieldAndNothingIsStored() {
    String bad = tenant("pol-bad");
    String[][] cases = {
      {"{\"name\":\"b1\",\"tenant\":\"pol-bad\",\"kind\":\"quota\"}", "policy (b1).kind must be one of"},
      {"{\"name\":\"b2\",\"tenant\":\"pol-bad\",\"kind\":\"pii\",\"pii\":{\"action\":\"redact\",\"custom\":[{\"name\":\"X\",\"pattern\":\"(a+)+b\"}]}}",
       "policy (b2).pii.custom[0].pattern: custom pattern X is refused"},
      {"{\"name\":\"b3\",\"tenant\":\"pol-bad\",\"kind\":\"budget\",\"budget\":{\"tokens\":10},\"pii\":{\"action\":\"redact\"}}",
       "policy (b3).pii belongs to a policy of kind pii, not budget"},
      {"{\"name\":\"b4\",\"tenant\":\"pol-bad\",\"kind\":\"guardrail\",\"guardrail\":{\"allowedLinkHosts\":[\"not a host\"]}}",
       "policy (b4).guardrail: "},
    };
    for (String[] c : cases) {
      HttpResponse<String> r = gh.post("/admin/v1/policies", ADMIN_KEY, ids(c[0], "pol-bad", bad));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
      assertThat(code(r)).isEqualTo("invalid_policy");
      assertThat(json(r).get("error").get("message").asText()).startsWith(c[1]);
    }
    HttpResponse<String> unknownField = gh.post("/admin/v1/policies", ADMIN_KEY,
        ids("{\"name\":\"b5\",\"tenant\":\"pol-bad\",\"kind\":\"pii\",\"pii\":{\"action\":\"redact\"},\"version\":7}", "pol-bad", bad));
    assertThat(unknownField.statusCode()).as(unknownField.body()).isBetween(400, 422);
    assertThat(json(gh.get("/admin/v1/policies?tenant=" + bad, ADMIN_KEY)).get("items").findValuesAsText("name"))
        .doesNotContain("b1", "b2", "b3", "b4", "b5");
  }

  @Test
  void aTenantAdminManagesItsTenantsPoliciesAndOnlyReadsTheGlobalOnes() {
    String own = tenant("pol-own");
    String other = tenant("pol-other");
    String ops = tenantAdmin(own);
    assertThat(gh.post("/admin/v1/policies", ADMIN_KEY,
        "{\"name\":\"pol-global\",\"kind\":\"pii\",\"pii\":{\"action\":\"record\"}}").statusCode()).isEqualTo(201);
    assertThat(gh.post("/admin/v1/policies", ADMIN_KEY,
        ids("{\"name\":\"pol-theirs\",\"tenant\":\"pol-other\",\"kind\":\"pii\",\"pii\":{\"action\":\"record\"}}", "pol-other", other))
        .statusCode()).isEqualTo(201);

    assertThat(gh.post("/admin/v1/policies", ops,
        ids("{\"name\":\"pol-mine\",\"tenant\":\"pol-own\",\"kind\":\"budget\",\"budget\":{\"tokens\":1000,\"period\":\"day\"}}", "pol-own", own))
        .statusCode())
        .isEqualTo(201);
    assertThat(gh.get("/admin/v1/policies/pol-global", ops).statusCode()).isEqualTo(200);
    assertThat(gh.put("/admin/v1/policies/pol-global", ops, "{\"kind\":\"pii\",\"pii\":{\"action\":\"block\"}}").statusCode()).isEqualTo(403);
    assertThat(gh.post("/admin/v1/policies", ops, "{\"name\":\"pol-g2\",\"kind\":\"pii\",\"pii\":{\"action\":\"record\"}}").statusCode())
        .isEqualTo(403);
    // Another tenant's policy is not there for this admin, exactly like a missing one.
    HttpResponse<String> theirs = gh.get("/admin/v1/policies/pol-theirs", ops);
    assertThat(theirs.statusCode()).isEqualTo(404);
    assertThat(code(theirs)).isEqualTo("policy_not_found");
    assertThat(gh.delete("/admin/v1/policies/pol-theirs", ops).statusCode()).isEqualTo(404);
    assertThat(json(gh.get("/admin/v1/policies", ops)).get("items").findValuesAsText("name"))
        .contains("pol-mine", "pol-global").doesNotContain("pol-theirs");
  }

  @Test
  void policiesMadeThroughTheApiAreExportedAndTheExportAppliesUnchanged() {
    String exp = tenant("pol-exp");
    assertThat(gh.post("/admin/v1/policies", ADMIN_KEY, ids(
        """
        {"name": "pol-exp-guard", "tenant": "pol-exp", "kind": "guardrail",
         "guardrail": {"checks": ["prompt-injection"], "actions": {"prompt-injection": "flag"}, "maxResultChars": 2048}}
        """, "pol-exp", exp)).statusCode()).isEqualTo(201);
    HttpResponse<String> export = gh.get("/admin/v1/registry", ADMIN_KEY);
    assertThat(export.statusCode()).isEqualTo(200);
    assertThat(export.body()).contains("name: pol-exp-guard").contains("maxResultChars: 2048").doesNotContain("version:");
    HttpResponse<String> applied = gh.put("/admin/v1/registry", ADMIN_KEY, export.body());
    assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
    assertThat(json(applied).get("changed").asInt()).isZero();
    assertThat(json(gh.get("/admin/v1/policies/pol-exp-guard", ADMIN_KEY)).get("version").asInt()).isEqualTo(1);
  }
}
