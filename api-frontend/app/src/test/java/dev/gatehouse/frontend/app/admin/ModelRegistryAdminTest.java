package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code /admin/v1/providers} and {@code /admin/v1/models} on a real Gatehouse and PostgreSQL. */
class ModelRegistryAdminTest {
  static TestGatehouse gh;

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start();
  }

  @AfterAll
  static void stop() {
    gh.close();
  }

  static String tenant(String name) {
    HttpResponse<String> r = gh.post("/admin/v1/tenants", ADMIN_KEY, "{\"name\":\"" + name + "\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return json(r).get("id").asText();
  }

  static String tenantAdmin(String tenant) {
    HttpResponse<String> r = gh.post("/admin/v1/admin-keys", ADMIN_KEY, "{\"name\":\"ops\",\"tenant\":\"" + tenant + "\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return json(r).get("key").asText();
  }

  static String code(HttpResponse<String> r) {
    return json(r).get("error").get("code").asText();
  }

  static String message(HttpResponse<String> r) {
    return json(r).get("error").get("message").asText();
  }

  static void created(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
  }

  static String provider(String name, String tenant) {
    return "{\"name\":\"" + name + "\"," + (tenant == null ? "" : "\"tenant\":\"" + tenant + "\",")
        + "\"type\":\"openai\",\"baseUrl\":\"http://192.0.2.1:9/v1\"}";
  }

  static String model(String name, String tenant, String provider, String fallbacks) {
    return "{\"name\":\"" + name + "\"," + (tenant == null ? "" : "\"tenant\":\"" + tenant + "\",")
        + "\"targets\":[{\"provider\":\"" + provider + "\",\"model\":\"m\"}],\"fallbacks\":" + fallbacks + "}";
  }

  @Test
  void aProviderAndAModelAreCreatedReadListedReplacedAndDeleted() {
    HttpResponse<String> p = gh.post("/admin/v1/providers", ADMIN_KEY,
        """
        {"name": "crud-openai", "type": "openai", "baseUrl": "https://api.openai.com/v1",
         "apiKey": "{{secret:OPENAI_KEY}}", "timeout": "30s", "headers": {"OpenAI-Organization": "org-1"}}
        """);
    created(p);
    assertThat(json(p).get("tenantId").isNull()).isTrue();
    assertThat(json(p).get("apiKey").asText()).isEqualTo("{{secret:OPENAI_KEY}}");
    assertThat(gh.post("/admin/v1/providers", ADMIN_KEY, provider("crud-openai", null)).statusCode()).isEqualTo(409);
    assertThat(code(gh.post("/admin/v1/providers", ADMIN_KEY, provider("crud-openai", null)))).isEqualTo("provider_exists");

    HttpResponse<String> m = gh.post("/admin/v1/models", ADMIN_KEY,
        """
        {"name": "crud-gpt", "targets": [{"provider": "crud-openai", "model": "gpt-4o", "weight": 3},
                                         {"provider": "crud-openai", "model": "gpt-4o-mini"}],
         "retry": {"maxAttempts": 2},
         "prices": {"input": 2.50, "cachedInput": 1.25, "output": 10.000000001, "cacheWrite": 3.125},
         "contextWindow": 128000, "maxOutput": 16384}
        """);
    created(m);
    JsonNode model = json(m);
    assertThat(model.get("targets").get(0).get("weight").asInt()).isEqualTo(3);
    assertThat(model.get("targets").get(1).get("weight").asInt()).isEqualTo(1);
    // Prices are exact decimals, not doubles rounded on the way.
    assertThat(model.get("prices").get("output").decimalValue()).isEqualByComparingTo("10.000000001");
    assertThat(model.get("prices").get("cacheWrite").decimalValue()).isEqualByComparingTo("3.125");
    assertThat(json(gh.get("/admin/v1/models/crud-gpt", ADMIN_KEY)).get("contextWindow").asInt()).isEqualTo(128000);
    assertThat(gh.get("/admin/v1/models?limit=200", ADMIN_KEY).body()).contains("crud-gpt");
    assertThat(gh.get("/admin/v1/providers?limit=200", ADMIN_KEY).body()).contains("crud-openai");

    HttpResponse<String> replaced = gh.put("/admin/v1/models/crud-gpt", ADMIN_KEY,
        "{\"targets\":[{\"provider\":\"crud-openai\",\"model\":\"gpt-4.1\"}]}");
    assertThat(replaced.statusCode()).as(replaced.body()).isEqualTo(200);
    assertThat(json(replaced).get("targets").get(0).get("model").asText()).isEqualTo("gpt-4.1");
    assertThat(json(replaced).has("prices") && !json(replaced).get("prices").isNull()).isFalse();

    // A provider a model targets is not deleted from under it.
    HttpResponse<String> inUse = gh.delete("/admin/v1/providers/crud-openai", ADMIN_KEY);
    assertThat(inUse.statusCode()).isEqualTo(409);
    assertThat(code(inUse)).isEqualTo("conflict");
    assertThat(message(inUse)).contains("crud-gpt");
    assertThat(gh.delete("/admin/v1/models/crud-gpt", ADMIN_KEY).statusCode()).isEqualTo(204);
    assertThat(gh.delete("/admin/v1/providers/crud-openai", ADMIN_KEY).statusCode()).isEqualTo(204);
    assertThat(code(gh.get("/admin/v1/models/crud-gpt", ADMIN_KEY))).isEqualTo("model_not_found");
    assertThat(code(gh.get("/admin/v1/providers/crud-openai", ADMIN_KEY))).isEqualTo("provider_not_found");
  }

  @Test
  void badBodiesAreRefusedWithTheFieldNamedAndChangeNothing() {
    created(gh.post("/admin/v1/providers", ADMIN_KEY, provider("bad-p", null)));
    record Case(String path, String body, int status, String code, String message) {}
    List<Case> cases = List.of(
        new Case("/admin/v1/providers", "{\"name\":\"x1\",\"type\":\"gemini\",\"baseUrl\":\"http://x\"}", 422, "invalid_provider",
            "provider (x1).type must be openai or anthropic"),
        new Case("/admin/v1/providers", "{\"name\":\"x2\",\"type\":\"openai\",\"baseUrl\":\"http://x\",\"apiKey\":\"sk-live-abc\"}", 422,
            "invalid_provider", "provider (x2).apiKey must name a secret as {{secret:NAME}}"),
        new Case("/admin/v1/providers", "{\"name\":\"x3\",\"type\":\"openai\",\"baseUrl\":\"http://x\",\"headers\":{\"Authorization\":\"Bearer sk-live-abc\"}}",
            422, "invalid_provider", "provider (x3).headers 'Authorization' is not a header Gatehouse lets a provider set"),
        new Case("/admin/v1/models", model("x4", null, "nope", "[]"), 422, "invalid_model",
            "model (x4).targets[0].provider: no global provider 'nope'"),
        new Case("/admin/v1/models", model("x5", null, "bad-p", "[\"gone\"]"), 422, "invalid_model",
            "model (x5).fallbacks[0]: no global model 'gone'"),
        new Case("/admin/v1/models", "{\"name\":\"x6\",\"targets\":[]}", 422, "invalid_model", "model (x6).targets needs at least one"),
        new Case("/admin/v1/models", "{\"name\":\"x7\",\"targets\":[{\"provider\":\"bad-p\",\"model\":\"m\",\"weight\":1e30}]}", 400,
            "invalid_request", null),
        new Case("/admin/v1/models", "{\"name\":\"x8\",\"targets\":[{\"provider\":\"bad-p\",\"model\":\"m\"}],\"prices\":{\"input\":2000000}}", 422,
            "invalid_model", "model (x8).prices.input must be between 0 and 1000000"),
        new Case("/admin/v1/models", "{\"name\":\"x11\",\"targets\":[{\"provider\":\"bad-p\",\"model\":\"m\"}],\"prices\":{\"input\":1e999999999}}", 400,
            "invalid_request", "'prices.input' is a number out of range"),
        new Case("/admin/v1/models", "{\"name\":\"x9\",\"targets\":[{\"provider\":\"bad-p\",\"model\":\"m\"}],\"prices\":{\"input\":\"cheap\"}}", 400,
            "invalid_request", null),
        new Case("/admin/v1/models", "{\"name\":\"x\\u0000\",\"targets\":[{\"provider\":\"bad-p\",\"model\":\"m\"}]}", 400, null, null),
        new Case("/admin/v1/models", "{\"name\":\"x10\",\"targets\":[{\"provider\":\"bad-p\",\"model\":\"m\"}],\"contextWindow\":99999999999}", 400,
            "invalid_request", null));
    for (Case c : cases) {
      HttpResponse<String> r = gh.post(c.path(), ADMIN_KEY, c.body());
      assertThat(r.statusCode()).as(c.body() + " -> " + r.body()).isEqualTo(c.status());
      if (c.code() != null) {
        assertThat(code(r)).as(r.body()).isEqualTo(c.code());
      }
      if (c.message() != null) {
        assertThat(message(r)).startsWith(c.message());
      }
      assertThat(r.body()).doesNotContain("sk-live").doesNotContain("java.").doesNotContain("Exception").doesNotContain("BigDecimal");
    }
    String stored = gh.get("/admin/v1/models?limit=200", ADMIN_KEY).body() + gh.get("/admin/v1/providers?limit=200", ADMIN_KEY).body();
    for (String name : List.of("x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11")) {
      assertThat(stored).doesNotContain("\"" + name + "\"");
    }
  }

  @Test
  void fallbacksMustNotLoopAndAModelFallenBackToIsNotDeleted() {
    created(gh.post("/admin/v1/providers", ADMIN_KEY, provider("loop-p", null)));
    created(gh.post("/admin/v1/models", ADMIN_KEY, model("loop-a", null, "loop-p", "[]")));
    created(gh.post("/admin/v1/models", ADMIN_KEY, model("loop-b", null, "loop-p", "[\"loop-a\"]")));
    created(gh.post("/admin/v1/models", ADMIN_KEY, model("loop-c", null, "loop-p", "[\"loop-b\"]")));
    HttpResponse<String> loop = gh.put("/admin/v1/models/loop-a", ADMIN_KEY, model("loop-a", null, "loop-p", "[\"loop-c\"]"));
    assertThat(loop.statusCode()).isEqualTo(422);
    assertThat(code(loop)).isEqualTo("invalid_model");
    assertThat(message(loop)).isEqualTo("model (loop-a).fallbacks: loop back to it: loop-a -> loop-c -> loop-b -> loop-a");
    assertThat(json(gh.get("/admin/v1/models/loop-a", ADMIN_KEY)).get("fallbacks")).isEmpty();

    HttpResponse<String> used = gh.delete("/admin/v1/models/loop-a", ADMIN_KEY);
    assertThat(used.statusCode()).isEqualTo(409);
    assertThat(message(used)).contains("loop-b");
    for (String name : List.of("loop-c", "loop-b", "loop-a")) {
      assertThat(gh.delete("/admin/v1/models/" + name, ADMIN_KEY).statusCode()).isEqualTo(204);
    }
  }

  @Test
  void twoWritesAtOnceCannotCloseAFallbackLoop() throws Exception {
    created(gh.post("/admin/v1/providers", ADMIN_KEY, provider("race-p", null)));
    var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      for (int i = 0; i < 12; i++) {
        String a = "race-a" + i;
        String b = "race-b" + i;
        created(gh.post("/admin/v1/models", ADMIN_KEY, model(a, null, "race-p", "[]")));
        created(gh.post("/admin/v1/models", ADMIN_KEY, model(b, null, "race-p", "[]")));
        var start = new java.util.concurrent.CountDownLatch(1);
        var toB = pool.submit(() -> {
          start.await();
          return gh.put("/admin/v1/models/" + a, ADMIN_KEY, model(a, null, "race-p", "[\"" + b + "\"]")).statusCode();
        });
        var toA = pool.submit(() -> {
          start.await();
          return gh.put("/admin/v1/models/" + b, ADMIN_KEY, model(b, null, "race-p", "[\"" + a + "\"]")).statusCode();
        });
        start.countDown();
        // Each write checks the graph the other left: one of them closes the loop and is refused.
        assertThat(List.of(toB.get(), toA.get())).as("round " + i).containsExactlyInAnyOrder(200, 422);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** An audit found both succeeding in 20 of 30 tries, leaving a model whose provider was gone. */
  @Test
  void aProviderDeletedWhileAModelIsWrittenToTargetItIsNotLeftDangling() throws Exception {
    var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      for (int i = 0; i < 12; i++) {
        String p = "gone-p" + i;
        String m = "gone-m" + i;
        created(gh.post("/admin/v1/providers", ADMIN_KEY, provider(p, null)));
        var start = new java.util.concurrent.CountDownLatch(1);
        var write = pool.submit(() -> {
          start.await();
          return gh.post("/admin/v1/models", ADMIN_KEY, model(m, null, p, "[]")).statusCode();
        });
        var delete = pool.submit(() -> {
          start.await();
          return gh.delete("/admin/v1/providers/" + p, ADMIN_KEY).statusCode();
        });
        start.countDown();
        List<Integer> both = List.of(write.get(), delete.get());
        // One wins: the model is written and the delete refused, or the provider goes and the model is refused.
        assertThat(both).as("round " + i).isIn(List.of(201, 409), List.of(422, 204));
        if (both.get(0) == 201) {
          assertThat(gh.get("/admin/v1/providers/" + p, ADMIN_KEY).statusCode()).isEqualTo(200);
        } else {
          assertThat(gh.get("/admin/v1/models/" + m, ADMIN_KEY).statusCode()).isEqualTo(404);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aTenantAdminSeesAndChangesOnlyItsTenantsProvidersAndModels() {
    String mine = tenant("models-mine");
    String theirs = tenant("models-theirs");
    String admin = tenantAdmin(mine);
    created(gh.post("/admin/v1/providers", ADMIN_KEY, provider("scope-global-p", null)));
    created(gh.post("/admin/v1/providers", ADMIN_KEY, provider("scope-their-p", theirs)));
    created(gh.post("/admin/v1/models", ADMIN_KEY, model("scope-global-m", null, "scope-global-p", "[]")));
    created(gh.post("/admin/v1/models", ADMIN_KEY, model("scope-their-m", theirs, "scope-their-p", "[]")));

    for (HttpResponse<String> r : List.of(
        gh.get("/admin/v1/providers/scope-their-p", admin),
        gh.put("/admin/v1/providers/scope-their-p", admin, provider("scope-their-p", mine)),
        gh.delete("/admin/v1/providers/scope-their-p", admin),
        gh.post("/admin/v1/providers", admin, provider("sneaky", theirs)),
        gh.get("/admin/v1/models/scope-their-m", admin),
        gh.delete("/admin/v1/models/scope-their-m", admin),
        gh.post("/admin/v1/models", admin, model("sneaky", theirs, "scope-global-p", "[]")))) {
      assertThat(r.statusCode()).as(r.request().method() + " " + r.request().uri() + " " + r.body()).isEqualTo(404);
    }
    for (HttpResponse<String> r : List.of(
        gh.put("/admin/v1/providers/scope-global-p", admin, provider("scope-global-p", null)),
        gh.delete("/admin/v1/models/scope-global-m", admin),
        gh.post("/admin/v1/models", admin, model("new-global", null, "scope-global-p", "[]")))) {
      assertThat(r.statusCode()).as(r.request().method() + " " + r.request().uri() + " " + r.body()).isEqualTo(403);
    }

    // Its own model may use its own and global providers and models, never another tenant's.
    created(gh.post("/admin/v1/providers", admin, provider("scope-my-p", mine)));
    HttpResponse<String> own = gh.post("/admin/v1/models", admin,
        "{\"name\":\"scope-my-m\",\"tenant\":\"" + mine + "\",\"targets\":[{\"provider\":\"scope-my-p\",\"model\":\"a\"},"
            + "{\"provider\":\"scope-global-p\",\"model\":\"b\"}],\"fallbacks\":[\"scope-global-m\"]}");
    created(own);
    assertThat(json(own).get("tenantId").asText()).isEqualTo(mine);
    HttpResponse<String> foreign = gh.post("/admin/v1/models", admin, model("scope-x", mine, "scope-their-p", "[]"));
    assertThat(foreign.statusCode()).isEqualTo(422);
    assertThat(message(foreign)).isEqualTo("model (scope-x).targets[0].provider: no provider 'scope-their-p' in tenant '" + mine + "' or global");
    HttpResponse<String> foreignFallback = gh.post("/admin/v1/models", admin, model("scope-y", mine, "scope-my-p", "[\"scope-their-m\"]"));
    assertThat(message(foreignFallback)).isEqualTo("model (scope-y).fallbacks[0]: no model 'scope-their-m' in tenant '" + mine + "' or global");
    // A global model cannot lean on a tenant's provider.
    HttpResponse<String> leaning = gh.post("/admin/v1/models", ADMIN_KEY, model("scope-z", null, "scope-my-p", "[]"));
    assertThat(message(leaning)).startsWith("model (scope-z).targets[0].provider: no global provider 'scope-my-p'");

    String models = gh.get("/admin/v1/models?limit=200", admin).body();
    assertThat(models).contains("scope-my-m").contains("scope-global-m").doesNotContain("scope-their-m");
    String providers = gh.get("/admin/v1/providers?limit=200", admin).body();
    assertThat(providers).contains("scope-my-p").contains("scope-global-p").doesNotContain("scope-their-p");

    // A tenant with providers or models is not empty.
    assertThat(code(gh.delete("/admin/v1/tenants/" + mine, ADMIN_KEY))).isEqualTo("tenant_not_empty");
    assertThat(gh.delete("/admin/v1/models/scope-my-m", admin).statusCode()).isEqualTo(204);
    assertThat(gh.delete("/admin/v1/providers/scope-my-p", admin).statusCode()).isEqualTo(204);
  }

  @Test
  void everyWriteIsAuditedAndTheRegistryFileCarriesProvidersAndModels() throws Exception {
    String t = tenant("models-audited");
    created(gh.post("/admin/v1/providers", ADMIN_KEY, provider("audit-p", t)));
    created(gh.post("/admin/v1/models", ADMIN_KEY, model("audit-m", t, "audit-p", "[]")));
    gh.put("/admin/v1/models/audit-m", ADMIN_KEY, model("audit-m", t, "audit-p", "[]").replace("\"m\"", "\"n\""));
    gh.delete("/admin/v1/models/audit-m", ADMIN_KEY);
    gh.delete("/admin/v1/providers/audit-p", ADMIN_KEY);
    gh.application().audit().flush();
    List<String> rows = new ArrayList<>();
    json(gh.get("/admin/v1/audit?tenant=" + t + "&limit=200", ADMIN_KEY)).get("items")
        .forEach(r -> rows.add(r.get("action").asText() + " " + r.get("target").asText()));
    assertThat(rows).contains(
        "admin.create provider:audit-p", "admin.create model:audit-m", "admin.update model:audit-m",
        "admin.delete model:audit-m", "admin.delete provider:audit-p");

    String yaml = """
        providers:
          - {name: filed-p, type: anthropic, baseUrl: "https://api.anthropic.com", apiKey: "{{secret:ANTHROPIC}}"}
        models:
          - {name: filed-m, targets: [{provider: filed-p, model: claude-sonnet-4-5}], prices: {input: 3, output: 15}}
        tenants:
          - name: models-from-file
            models:
              - {name: filed-tenant-m, targets: [{provider: filed-p, model: claude-haiku-4-5}], fallbacks: [filed-m]}
        """;
    HttpResponse<String> applied = gh.put("/admin/v1/registry", ADMIN_KEY, yaml);
    assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
    assertThat(json(applied).get("providers").asInt()).isEqualTo(1);
    assertThat(json(applied).get("models").asInt()).isEqualTo(2);
    assertThat(json(gh.put("/admin/v1/registry", ADMIN_KEY, yaml)).get("changed").asInt()).isZero();
    assertThat(json(gh.get("/admin/v1/models/filed-tenant-m", ADMIN_KEY)).get("tenantId").asText()).startsWith("ten_");
    String exported = gh.get("/admin/v1/registry", ADMIN_KEY).body();
    assertThat(exported).contains("filed-p").contains("filed-tenant-m").contains("{{secret:ANTHROPIC}}");
    HttpResponse<String> bad = gh.put("/admin/v1/registry", ADMIN_KEY,
        "models: [{name: m, targets: [{provider: nowhere, model: x}]}]");
    assertThat(bad.statusCode()).isEqualTo(422);
    assertThat(code(bad)).isEqualTo("invalid_registry");
    assertThat(message(bad)).isEqualTo("models[0] (m).targets[0].provider: no global provider 'nowhere' (a global model uses global providers only)");
  }
}
