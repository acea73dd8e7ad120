package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The admin API and what it governs: tenants, agents and their permissions, keys, tools, audit. */
class AdminApiTest {
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

  static JsonNode agent(String tenant, String name, String toolsAllow) {
    HttpResponse<String> r =
        gh.post(
            "/admin/v1/agents",
            ADMIN_KEY,
            "{\"tenant\":\"" + tenant + "\",\"name\":\"" + name + "\",\"tools\":{\"allow\":[" + toolsAllow
                + "],\"deny\":[\"t.status\"]},\"workflows\":{\"allow\":[\"pipeline\"]}}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return json(r);
  }

  static String key(String agentId) {
    HttpResponse<String> r = gh.post("/admin/v1/agents/" + agentId + "/keys", ADMIN_KEY, "");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return json(r).get("key").asText();
  }

  /**
   * An agent deleted while keys are being created for it is deleted, with every key, and a key
   * request that comes too late finds no agent: a probe's DELETE failed with a database's 409 when
   * a key committed in the middle of it, and its late key requests got the same 409.
   */
  @Test
  void anAgentDeletedWhileKeysAreCreatedForItGoesWithEveryKey() throws Exception {
    String tenant = tenant("racing-keys");
    for (int run = 0; run < 5; run++) {
      String agentId = agent(tenant, "racer-" + run, "\"t.add\"").get("id").asText();
      // eight key requests, and the agent's delete a moment after them
      List<HttpResponse<String>> answers = AdminConditionalWritesTest.atOnce(9, i -> {
        if (i < 8) {
          return gh.post("/admin/v1/agents/" + agentId + "/keys", ADMIN_KEY, "");
        }
        try {
          Thread.sleep(2);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return gh.delete("/admin/v1/agents/" + agentId, ADMIN_KEY);
      });
      HttpResponse<String> deleted = answers.get(8);
      assertThat(deleted.statusCode()).as("run " + run + ": " + deleted.body()).isEqualTo(204);
      for (HttpResponse<String> r : answers.subList(0, 8)) {
        assertThat(r.statusCode()).as(r.body()).isIn(201, 404);
        if (r.statusCode() == 404) {
          assertThat(json(r).at("/error/code").asText()).isEqualTo("agent_not_found");
        }
      }
      int left = gh.db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM api_keys WHERE agent_id = :a").bind("a", agentId)
          .mapTo(Integer.class).one());
      assertThat(left).as("run " + run + ": keys of the deleted agent").isZero();
    }
  }

  @Test
  void aTenantAnAgentAndAKeyCreatedOverTheAdminApiWork() {
    String tenant = tenant("acme");
    assertThat(json(gh.get("/admin/v1/tenants/" + tenant, ADMIN_KEY)).get("createdAt").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
    JsonNode agent = agent(tenant, "planner", "\"t.weather\",\"t.add\"");
    assertThat(agent.get("tenant").asText()).isEqualTo(tenant);
    assertThat(agent.get("tools").get("allow").toString()).isEqualTo("[\"t.weather\",\"t.add\"]");
    HttpResponse<String> created = gh.post("/admin/v1/agents/" + agent.get("id").asText() + "/keys", ADMIN_KEY, "");
    JsonNode k = json(created);
    assertThat(k.get("key").asText()).startsWith("gk_live_");
    String key = k.get("key").asText();

    String id = gh.submit(key, "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"w\",\"tool\":\"t.weather\",\"args\":{\"city\":\"Lima\"}}]}}");
    assertThat(gh.await(key, id).get("status").asText()).isEqualTo("COMPLETED");

    // Listing keys shows the prefix and dates, never the key.
    String keys = gh.get("/admin/v1/agents/" + agent.get("id").asText() + "/keys", ADMIN_KEY).body();
    assertThat(keys).contains(k.get("prefix").asText()).contains("\"status\":\"active\"").doesNotContain(key);

    // A tool outside the allow list is refused at submit, with the code agents rely on.
    HttpResponse<String> denied =
        gh.post("/v1/tasks", key, "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"e\",\"tool\":\"t.echo\"}]}}");
    assertThat(denied.statusCode()).isEqualTo(403);
    assertThat(json(denied).get("error").get("code").asText()).isEqualTo("tool_not_allowed");
    // Deny wins over allow.
    HttpResponse<String> deniedToo =
        gh.post("/v1/tasks", key, "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"s\",\"tool\":\"t.status\",\"args\":{\"code\":200}}]}}");
    assertThat(json(deniedToo).get("error").get("code").asText()).isEqualTo("tool_not_allowed");

    // Revocation takes effect at once.
    assertThat(gh.delete("/admin/v1/keys/" + k.get("id").asText(), ADMIN_KEY).statusCode()).isEqualTo(204);
    assertThat(gh.get("/v1/tasks", key).statusCode()).isEqualTo(401);
    assertThat(gh.get("/admin/v1/keys/" + k.get("id").asText(), ADMIN_KEY).body()).contains("\"status\":\"revoked\"");
  }

  @Test
  void aStepThatBecomesForbiddenWhileTheTaskRunsFails() throws Exception {
    String tenant = tenant("shifty");
    JsonNode agent = agent(tenant, "runner", "\"t.hold\",\"t.weather\"");
    String key = key(agent.get("id").asText());
    String id =
        gh.submit(
            key,
            "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"h\",\"tool\":\"t.hold\",\"args\":{\"name\":\"revoke-mid-task\"}},"
                + "{\"id\":\"w\",\"tool\":\"t.weather\",\"args\":{\"city\":\"After\"},\"dependsOn\":[\"h\"]}]}}");
    assertThat(gh.tools.arrived("revoke-mid-task").await(20, TimeUnit.SECONDS)).isTrue();
    HttpResponse<String> update =
        gh.put(
            "/admin/v1/agents/" + agent.get("id").asText(),
            ADMIN_KEY,
            "{\"name\":\"runner\",\"tools\":{\"allow\":[\"t.hold\"]},\"workflows\":{\"allow\":[\"pipeline\"]}}");
    assertThat(update.statusCode()).as(update.body()).isEqualTo(200);
    gh.tools.release("revoke-mid-task");
    JsonNode task = gh.await(key, id);
    assertThat(task.get("status").asText()).isEqualTo("FAILED");
    assertThat(task.get("error").get("step").asText()).isEqualTo("w");
    assertThat(task.get("error").get("message").asText()).contains("t.weather");
    JsonNode step = json(gh.get("/v1/tasks/" + id + "/trace", key)).get("steps").get(1);
    assertThat(step.get("error").get("code").asText()).isEqualTo("tool_not_allowed");
    assertThat(gh.tools.keysByPath).doesNotContainKey("/weather/After");
  }

  /** A task's status as the index holds it (its agent may be gone, so no key reads it). */
  private static String indexedStatus(String taskId) {
    return gh.db.jdbi().withHandle(h -> h.createQuery("SELECT status FROM tasks WHERE id = :id").bind("id", taskId).mapTo(String.class).one());
  }

  private static void awaitIndexed(String taskId, String status) throws InterruptedException {
    for (int i = 0; i < 200 && !status.equals(indexedStatus(taskId)); i++) {
      Thread.sleep(100);
    }
    assertThat(indexedStatus(taskId)).isEqualTo(status);
  }

  /**
   * An operator cancels a task (its tenant's admins and platform admins; any other sees none), and
   * deleting an agent cancels its running tasks: with the agent gone nobody else could, and they
   * held the tenant's open-task slots until their deadlines. A tenant with a running task is not
   * deleted.
   */
  @Test
  void operatorsCancelTasksAndADeletedAgentsTasksAreCancelled() throws Exception {
    String t = tenant("cancelled");
    String other = tenant("onlooker");
    JsonNode agent = agent(t, "worker", "\"t.hold\"");
    String key = key(agent.get("id").asText());
    String hold = "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"h\",\"tool\":\"t.hold\",\"args\":{\"name\":\"op-cancel\"}}]}}";
    try {
      String first = gh.submit(key, hold);
      String onlookerAdmin = json(gh.post("/admin/v1/admin-keys", ADMIN_KEY, "{\"name\":\"o\",\"tenant\":\"" + other + "\"}")).get("key").asText();
      String tenantAdmin = json(gh.post("/admin/v1/admin-keys", ADMIN_KEY, "{\"name\":\"c\",\"tenant\":\"" + t + "\"}")).get("key").asText();
      HttpResponse<String> foreign = gh.post("/admin/v1/tasks/" + first + "/cancel", onlookerAdmin, "");
      assertThat(foreign.statusCode()).as(foreign.body()).isEqualTo(404);
      assertThat(json(foreign).get("error").get("code").asText()).isEqualTo("task_not_found");
      assertThat(gh.post("/admin/v1/tasks/no-such-task/cancel", ADMIN_KEY, "").statusCode()).isEqualTo(404);
      assertThat(gh.post("/admin/v1/tasks/" + first + "/cancel", key, "").statusCode()).as("an agent key").isEqualTo(403);
      HttpResponse<String> cancelled = gh.post("/admin/v1/tasks/" + first + "/cancel", tenantAdmin, "");
      assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(202);
      assertThat(gh.await(key, first).get("status").asText()).isEqualTo("CANCELED");
      HttpResponse<String> again = gh.post("/admin/v1/tasks/" + first + "/cancel", ADMIN_KEY, "");
      assertThat(again.statusCode()).isEqualTo(409);
      assertThat(json(again).get("error").get("code").asText()).isEqualTo("task_closed");

      // Another tenant, whose agent is deleted while its task runs.
      String t2 = tenant("abandoned");
      JsonNode agent2 = agent(t2, "leaver", "\"t.hold\"");
      String second = gh.submit(key(agent2.get("id").asText()), hold.replace("op-cancel", "op-leaver"));
      assertThat(gh.tools.arrived("op-leaver").await(20, TimeUnit.SECONDS)).as("its step runs").isTrue();
      assertThat(gh.delete("/admin/v1/agents/" + agent2.get("id").asText(), ADMIN_KEY).statusCode()).isEqualTo(204);
      awaitIndexed(second, "CANCELED");
      gh.application().audit().flush();
      List<String> audited =
          gh.db.jdbi().withHandle(h -> h.createQuery("SELECT detail FROM audit_log WHERE task_id = :t AND action = 'task.cancel'")
              .bind("t", second).mapTo(String.class).list());
      assertThat(audited).containsExactly("the agent was deleted");
      // With the agent (and its keys) gone and its task ended, the tenant owns nothing.
      HttpResponse<String> gone = gh.delete("/admin/v1/tenants/" + t2, ADMIN_KEY);
      assertThat(gone.statusCode()).as(gone.body()).isEqualTo(204);

      // A tenant whose agent went before this version (its task left running) is not deleted
      // while the task runs; an operator's cancel ends it, and then it is.
      String t3 = tenant("orphaned");
      JsonNode agent3 = agent(t3, "orphan", "\"t.hold\"");
      String third = gh.submit(key(agent3.get("id").asText()), hold.replace("op-cancel", "op-orphan"));
      // Its step is running (a step not yet started would fail on the agent's absence).
      assertThat(gh.tools.arrived("op-orphan").await(20, TimeUnit.SECONDS)).isTrue();
      gh.db.jdbi().useHandle(h -> {
        h.execute("DELETE FROM api_keys WHERE agent_id = ?", agent3.get("id").asText());
        h.execute("DELETE FROM agents WHERE id = ?", agent3.get("id").asText());
      });
      HttpResponse<String> busy = gh.delete("/admin/v1/tenants/" + t3, ADMIN_KEY);
      assertThat(busy.statusCode()).as("a running task holds its tenant").isEqualTo(409);
      assertThat(json(busy).get("error").get("code").asText()).isEqualTo("tenant_not_empty");
      assertThat(gh.post("/admin/v1/tasks/" + third + "/cancel", ADMIN_KEY, "").statusCode()).isEqualTo(202);
      awaitIndexed(third, "CANCELED");
      assertThat(gh.delete("/admin/v1/tenants/" + t3, ADMIN_KEY).statusCode()).isEqualTo(204);
    } finally {
      for (String held : List.of("op-cancel", "op-leaver", "op-orphan")) {
        gh.tools.release(held);
      }
    }
  }

  /** A tenant that had admin keys (revoked: keys are never deleted) or a policy can still be deleted once they are gone. */
  @Test
  void aTenantWhoseAdminKeysWereRevokedIsDeletedAndAPolicyHoldsIt() {
    String t = tenant("keyed");
    String keyId = json(gh.post("/admin/v1/admin-keys", ADMIN_KEY, "{\"name\":\"k\",\"tenant\":\"" + t + "\"}")).get("id").asText();
    HttpResponse<String> held = gh.delete("/admin/v1/tenants/" + t, ADMIN_KEY);
    assertThat(held.statusCode()).as("a live admin key holds it").isEqualTo(409);
    assertThat(gh.delete("/admin/v1/keys/" + keyId, ADMIN_KEY).statusCode()).isEqualTo(204);
    HttpResponse<String> policy =
        gh.post("/admin/v1/policies", ADMIN_KEY,
            "{\"name\":\"keyed-limit\",\"tenant\":\"" + t + "\",\"kind\":\"rate-limit\",\"rateLimit\":{\"requestsPerMinute\":5}}");
    assertThat(policy.statusCode()).as(policy.body()).isEqualTo(201);
    HttpResponse<String> byPolicy = gh.delete("/admin/v1/tenants/" + t, ADMIN_KEY);
    assertThat(byPolicy.statusCode()).as(byPolicy.body()).isEqualTo(409);
    assertThat(json(byPolicy).get("error").get("code").asText()).isEqualTo("tenant_not_empty");
    assertThat(gh.delete("/admin/v1/policies/keyed-limit", ADMIN_KEY).statusCode()).isEqualTo(204);
    HttpResponse<String> gone = gh.delete("/admin/v1/tenants/" + t, ADMIN_KEY);
    assertThat(gone.statusCode()).as(gone.body()).isEqualTo(204);
    assertThat(gh.get("/admin/v1/tenants/" + t, ADMIN_KEY).statusCode()).isEqualTo(404);
  }

  @Test
  void agentKeysCannotAdministerAndAdminKeysCannotActAsAgents() {
    HttpResponse<String> a = gh.get("/admin/v1/tenants", KEY_A);
    assertThat(a.statusCode()).isEqualTo(403);
    assertThat(json(a).get("error").get("code").asText()).isEqualTo("forbidden");
    HttpResponse<String> b = gh.get("/v1/tasks", ADMIN_KEY);
    assertThat(b.statusCode()).isEqualTo(403);
    HttpResponse<String> none = gh.get("/admin/v1/tenants", null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).isPresent();
  }

  @Test
  void aTenantAdminSeesAndTouchesOnlyItsTenant() {
    String mine = tenant("tenant-mine");
    String theirs = tenant("tenant-theirs");
    HttpResponse<String> created = gh.post("/admin/v1/admin-keys", ADMIN_KEY, "{\"name\":\"ops\",\"tenant\":\"" + mine + "\"}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String tenantAdmin = json(created).get("key").asText();
    assertThat(tenantAdmin).startsWith("gka_live_");

    String theirAgent = agent(theirs, "their-agent", "\"*\"").get("id").asText();
    String theirKeyId = json(gh.post("/admin/v1/agents/" + theirAgent + "/keys", ADMIN_KEY, "")).get("id").asText();
    HttpResponse<String> theirTool =
        gh.post("/admin/v1/tools", ADMIN_KEY,
            "{\"name\":\"their.tool\",\"tenant\":\"" + theirs + "\",\"http\":{\"url\":\"http://127.0.0.1:9/x\"}}");
    assertThat(theirTool.statusCode()).as(theirTool.body()).isEqualTo(201);
    HttpResponse<String> theirIdp =
        gh.post("/admin/v1/identity-providers", ADMIN_KEY,
            "{\"tenant\":\"" + theirs + "\",\"name\":\"idp\",\"issuer\":\"https://their.example\",\"audience\":\"a\",\"jwksUrl\":\"https://their.example/jwks\"}");
    assertThat(theirIdp.statusCode()).as(theirIdp.body()).isEqualTo(201);
    String theirIdpId = json(theirIdp).get("id").asText();
    assertThat(gh.put("/admin/v1/secrets/their-secret", ADMIN_KEY, "{\"value\":\"v-theirs\",\"tenant\":\"" + theirs + "\"}").statusCode()).isEqualTo(200);

    // Every endpoint with the other tenant's ids answers 404, like a missing thing.
    for (HttpResponse<String> r :
        List.of(
            gh.get("/admin/v1/tenants/" + theirs, tenantAdmin),
            gh.put("/admin/v1/tenants/" + theirs, tenantAdmin, "{\"name\":\"x\"}"),
            gh.delete("/admin/v1/tenants/" + theirs, tenantAdmin),
            gh.get("/admin/v1/agents/" + theirAgent, tenantAdmin),
            gh.put("/admin/v1/agents/" + theirAgent, tenantAdmin, "{\"name\":\"x\"}"),
            gh.delete("/admin/v1/agents/" + theirAgent, tenantAdmin),
            gh.post("/admin/v1/agents/" + theirAgent + "/keys", tenantAdmin, ""),
            gh.get("/admin/v1/agents/" + theirAgent + "/keys", tenantAdmin),
            gh.get("/admin/v1/keys/" + theirKeyId, tenantAdmin),
            gh.delete("/admin/v1/keys/" + theirKeyId, tenantAdmin),
            gh.get("/admin/v1/tools/their.tool", tenantAdmin),
            gh.put("/admin/v1/tools/their.tool", tenantAdmin, "{\"http\":{\"url\":\"http://127.0.0.1:9/y\"},\"tenant\":\"" + theirs + "\"}"),
            gh.delete("/admin/v1/tools/their.tool", tenantAdmin),
            gh.post("/admin/v1/agents", tenantAdmin, "{\"tenant\":\"" + theirs + "\",\"name\":\"sneaky\"}"),
            gh.post("/admin/v1/admin-keys", tenantAdmin, "{\"name\":\"sneaky\",\"tenant\":\"" + theirs + "\"}"),
            gh.get("/admin/v1/identity-providers/" + theirIdpId, tenantAdmin),
            gh.put("/admin/v1/identity-providers/" + theirIdpId, tenantAdmin, "{\"name\":\"x\"}"),
            gh.delete("/admin/v1/identity-providers/" + theirIdpId, tenantAdmin),
            gh.get("/admin/v1/secrets/their-secret?tenant=" + theirs, tenantAdmin),
            gh.put("/admin/v1/secrets/their-secret", tenantAdmin, "{\"value\":\"overwrite\",\"tenant\":\"" + theirs + "\"}"),
            gh.delete("/admin/v1/secrets/their-secret?tenant=" + theirs, tenantAdmin),
            gh.put("/admin/v1/secrets/their-secret?tenant=" + theirs, tenantAdmin, "{\"value\":\"overwrite\"}"),
            // A listing filtered by their tenant is theirs, not an empty page of one's own.
            gh.get("/admin/v1/agents?tenant=" + theirs, tenantAdmin),
            gh.get("/admin/v1/tools?tenant=" + theirs, tenantAdmin),
            gh.get("/admin/v1/mcp-servers?tenant=" + theirs, tenantAdmin),
            gh.get("/admin/v1/policies?tenant=" + theirs, tenantAdmin),
            gh.get("/admin/v1/admin-keys?tenant=" + theirs, tenantAdmin),
            gh.get("/admin/v1/identity-providers?tenant=" + theirs, tenantAdmin),
            gh.get("/admin/v1/secrets?tenant=" + theirs, tenantAdmin),
            gh.get("/admin/v1/audit?tenant=" + theirs + "&limit=200", tenantAdmin))) {
      assertThat(r.statusCode()).as(r.request().method() + " " + r.request().uri() + " " + r.body()).isEqualTo(404);
    }
    // Their things are still there and still work.
    assertThat(gh.get("/admin/v1/agents/" + theirAgent, ADMIN_KEY).statusCode()).isEqualTo(200);
    assertThat(gh.get("/admin/v1/keys/" + theirKeyId, ADMIN_KEY).body()).contains("\"status\":\"active\"");

    // Lists show only the tenant's own things; platform-only actions are 403.
    assertThat(gh.get("/admin/v1/agents", tenantAdmin).body()).doesNotContain(theirAgent);
    assertThat(gh.get("/admin/v1/agents?tenant=" + mine, tenantAdmin).body()).contains("\"items\"").doesNotContain(theirAgent);
    assertThat(gh.get("/admin/v1/tenants", tenantAdmin).body()).contains(mine).doesNotContain(theirs);
    assertThat(gh.get("/admin/v1/tools", tenantAdmin).body()).doesNotContain("their.tool");
    assertThat(gh.get("/admin/v1/identity-providers", tenantAdmin).body()).doesNotContain(theirIdpId);
    assertThat(gh.get("/admin/v1/secrets", tenantAdmin).body()).doesNotContain("their-secret");
    assertThat(gh.get("/admin/v1/audit?limit=200", tenantAdmin).body()).doesNotContain(theirs);
    assertThat(gh.get("/admin/v1/admin-keys", tenantAdmin).body()).doesNotContain("\"platform\"");
    assertThat(gh.get("/admin/v1/identity-providers/" + theirIdpId, ADMIN_KEY).statusCode()).isEqualTo(200);
    assertThat(gh.post("/admin/v1/tenants", tenantAdmin, "{\"name\":\"more\"}").statusCode()).isEqualTo(403);

    // Within its tenant it works.
    HttpResponse<String> own = gh.post("/admin/v1/agents", tenantAdmin, "{\"tenant\":\"" + mine + "\",\"name\":\"own-agent\"}");
    assertThat(own.statusCode()).as(own.body()).isEqualTo(201);
  }

  @Test
  void theWholeRegistryCanBeAppliedAndExportedOverTheAdminApi() {
    String yaml = """
        tenants:
          - name: from-file
            agents:
              - {name: filed-agent, tools: {allow: ["t.weather"]}, workflows: {allow: [pipeline]}}
            tools:
              - {name: filed.tool, http: {url: "http://127.0.0.1:9/x"}}
        """;
    HttpResponse<String> applied = gh.put("/admin/v1/registry", ADMIN_KEY, yaml);
    assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
    assertThat(json(applied).get("changed").asInt()).isEqualTo(3);
    assertThat(json(gh.put("/admin/v1/registry", ADMIN_KEY, yaml)).get("changed").asInt()).isZero();
    HttpResponse<String> exported = gh.get("/admin/v1/registry", ADMIN_KEY);
    assertThat(exported.statusCode()).isEqualTo(200);
    assertThat(exported.body()).contains("from-file").contains("filed-agent").contains("filed.tool").doesNotContain(ADMIN_KEY);
    HttpResponse<String> bad = gh.put("/admin/v1/registry", ADMIN_KEY, "tenants: [{name: 'has space'}]");
    assertThat(bad.statusCode()).isEqualTo(422);
    assertThat(json(bad).get("error").get("code").asText()).isEqualTo("invalid_registry");
  }

  @Test
  void aToolWhoseInputSchemaIsNotAJsonSchemaIsRefusedAndNotStored() {
    // Every call of it would fail ("type": "strnig"), or be checked wrongly ("required": true).
    HttpResponse<String> typo =
        gh.post("/admin/v1/tools", ADMIN_KEY,
            "{\"name\":\"schema.typo\",\"http\":{\"url\":\"http://127.0.0.1:9/x\"},\"inputSchema\":{\"type\":\"strnig\"}}");
    assertThat(typo.statusCode()).as(typo.body()).isEqualTo(422);
    assertThat(json(typo).get("error").get("code").asText()).isEqualTo("invalid_tool");
    assertThat(json(typo).get("error").get("message").asText()).startsWith("tool (schema.typo).inputSchema is not a valid JSON Schema: ");
    assertThat(gh.get("/admin/v1/tools/schema.typo", ADMIN_KEY).statusCode()).isEqualTo(404);

    HttpResponse<String> filed =
        gh.put("/admin/v1/registry", ADMIN_KEY,
            "tools:\n  - {name: schema.filed, http: {url: 'http://127.0.0.1:9/x'}, inputSchema: {type: object, required: true}}\n");
    assertThat(filed.statusCode()).as(filed.body()).isEqualTo(422);
    assertThat(json(filed).get("error").get("code").asText()).isEqualTo("invalid_registry");
    assertThat(json(filed).get("error").get("message").asText()).contains("tool (schema.filed).inputSchema is not a valid JSON Schema");
    assertThat(gh.get("/admin/v1/tools/schema.filed", ADMIN_KEY).statusCode()).isEqualTo(404);
  }

  @Test
  void listingsPageWithCursors() {
    String t = tenant("paged");
    java.util.Set<String> created = new java.util.HashSet<>();
    for (int i = 0; i < 5; i++) {
      created.add(agent(t, "paged-" + i, "\"*\"").get("id").asText());
    }
    assertThat(pagedIds("/admin/v1/agents?tenant=" + t, 2, 3)).containsExactlyInAnyOrderElementsOf(created);
    assertThat(gh.get("/admin/v1/agents?limit=500", ADMIN_KEY).statusCode()).isEqualTo(400);
    assertThat(gh.get("/admin/v1/audit?cursor=%25%25%25", ADMIN_KEY).statusCode()).isEqualTo(400);

    // The other listings page the same way: an agent's keys, admin keys, secrets, identity providers.
    String agentId = created.iterator().next();
    java.util.Set<String> keys = new java.util.HashSet<>(pagedIds("/admin/v1/agents/" + agentId + "/keys", 50, 1));
    java.util.Set<String> adminKeys = new java.util.HashSet<>();
    java.util.Set<String> secrets = new java.util.HashSet<>();
    java.util.Set<String> idps = new java.util.HashSet<>();
    for (int i = 0; i < 4; i++) {
      keys.add(json(gh.post("/admin/v1/agents/" + agentId + "/keys", ADMIN_KEY, "{}")).get("id").asText());
      adminKeys.add(json(gh.post("/admin/v1/admin-keys", ADMIN_KEY, "{\"name\":\"paged-" + i + "\",\"tenant\":\"" + t + "\"}")).get("id").asText());
      HttpResponse<String> secret = gh.put("/admin/v1/secrets/paged-" + i, ADMIN_KEY, "{\"value\":\"v" + i + "\",\"tenant\":\"" + t + "\"}");
      assertThat(secret.statusCode()).as(secret.body()).isEqualTo(200);
      secrets.add(json(secret).get("id").asText());
      HttpResponse<String> idp =
          gh.post("/admin/v1/identity-providers", ADMIN_KEY,
              "{\"name\":\"paged-" + i + "\",\"tenant\":\"" + t + "\",\"issuer\":\"https://paged-" + i + ".example\","
                  + "\"jwksUrl\":\"https://paged-" + i + ".example/jwks\",\"audience\":\"gatehouse\"}");
      assertThat(idp.statusCode()).as(idp.body()).isEqualTo(201);
      idps.add(json(idp).get("id").asText());
    }
    assertThat(pagedIds("/admin/v1/agents/" + agentId + "/keys", 2, (keys.size() + 1) / 2)).containsExactlyInAnyOrderElementsOf(keys);
    assertThat(pagedIds("/admin/v1/admin-keys?tenant=" + t, 2, 2)).containsExactlyInAnyOrderElementsOf(adminKeys);
    assertThat(pagedIds("/admin/v1/secrets?tenant=" + t, 3, 2)).containsExactlyInAnyOrderElementsOf(secrets);
    assertThat(pagedIds("/admin/v1/identity-providers?tenant=" + t, 3, 2)).containsExactlyInAnyOrderElementsOf(idps);
    for (String listing : List.of(
        "/admin/v1/secrets", "/admin/v1/admin-keys", "/admin/v1/identity-providers", "/admin/v1/agents/" + agentId + "/keys",
        "/admin/v1/agents", "/admin/v1/tenants", "/admin/v1/tools", "/admin/v1/models", "/admin/v1/audit", "/admin/v1/budgets")) {
      assertThat(gh.get(listing + "?limit=0", ADMIN_KEY).statusCode()).as(listing).isEqualTo(400);
      // Not a number is a bad parameter, not a listing that does not exist (JAX-RS would say 404).
      for (String limit : List.of("abc", "1.5", "1e2", "99999999999999999999")) {
        HttpResponse<String> r = gh.get(listing + "?limit=" + limit, ADMIN_KEY);
        assertThat(r.statusCode()).as(listing + "?limit=" + limit).isEqualTo(400);
        assertThat(json(r).get("error").get("code").asText()).isEqualTo("invalid_request");
      }
      assertThat(gh.get(listing + "?cursor=%25%25%25", ADMIN_KEY).statusCode()).as(listing).isEqualTo(400);
    }

    // A cursor names its listing: another listing's cursor, or a bare key, is 400, not a page
    // that starts at whatever that key would mean here.
    String agentsCursor = json(gh.get("/admin/v1/agents?tenant=" + t + "&limit=1", ADMIN_KEY)).get("nextCursor").asText();
    String secretsCursor = json(gh.get("/admin/v1/secrets?tenant=" + t + "&limit=1", ADMIN_KEY)).get("nextCursor").asText();
    assertThat(gh.get("/admin/v1/agents?tenant=" + t + "&limit=1&cursor=" + agentsCursor, ADMIN_KEY).statusCode()).isEqualTo(200);
    String bareKey = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(agentId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    java.util.function.Function<String, String> forged =
        text -> java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    for (String[] sent : new String[][] {
      {"/admin/v1/secrets", agentsCursor}, {"/admin/v1/agents", secretsCursor}, {"/admin/v1/agents/" + agentId + "/keys", agentsCursor},
      {"/admin/v1/audit", agentsCursor}, {"/admin/v1/tools", secretsCursor}, {"/admin/v1/agents", bareKey},
      // Nothing this API writes into a cursor: a second key, a negative or padded row id.
      {"/admin/v1/agents", forged.apply("agents\n" + agentId + "\nextra")}, {"/admin/v1/audit", forged.apply("audit\n-5")},
      {"/admin/v1/audit", forged.apply("audit\n007")}}) {
      HttpResponse<String> r = gh.get(sent[0] + "?cursor=" + sent[1], ADMIN_KEY);
      assertThat(r.statusCode()).as(sent[0] + " " + r.body()).isEqualTo(400);
      assertThat(json(r).get("error").get("message").asText()).contains("cursor is not one this listing gave out");
    }
  }

  /** Every id a listing gives, page by page at {@code limit} a page, asserting it took {@code pages} pages. */
  private static List<String> pagedIds(String listing, int limit, int pages) {
    List<String> seen = new java.util.ArrayList<>();
    String cursor = null;
    int n = 0;
    do {
      HttpResponse<String> r =
          gh.get(listing + (listing.contains("?") ? "&" : "?") + "limit=" + limit + (cursor == null ? "" : "&cursor=" + cursor), ADMIN_KEY);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonNode page = json(r);
      assertThat(page.get("items").size()).as(listing).isLessThanOrEqualTo(limit);
      page.get("items").forEach(a -> seen.add(a.get("id").asText()));
      cursor = page.get("nextCursor").isNull() ? null : page.get("nextCursor").asText();
      n++;
    } while (cursor != null);
    assertThat(n).as(listing + " pages").isEqualTo(pages);
    assertThat(seen).as(listing).doesNotHaveDuplicates();
    return seen;
  }

  @Test
  void validationAndConflicts() {
    tenant("dup");
    HttpResponse<String> dup = gh.post("/admin/v1/tenants", ADMIN_KEY, "{\"name\":\"dup\"}");
    assertThat(dup.statusCode()).isEqualTo(409);
    assertThat(json(dup).get("error").get("code").asText()).isEqualTo("tenant_exists");
    assertThat(gh.post("/admin/v1/tenants", ADMIN_KEY, "{\"name\":\"x'; DROP TABLE tenants; --\"}").statusCode()).isEqualTo(400);
    assertThat(gh.post("/admin/v1/tenants", ADMIN_KEY, "{\"nam\":\"typo\"}").statusCode()).isEqualTo(400);
    assertThat(gh.post("/admin/v1/tenants", ADMIN_KEY, "{").statusCode()).isEqualTo(400);
    String t = tenant("validating");
    assertThat(gh.post("/admin/v1/agents", ADMIN_KEY, "{\"tenant\":\"" + t + "\",\"name\":\"a\",\"tools\":{\"allow\":[\"bad pattern!\"]}}").statusCode()).isEqualTo(400);
    assertThat(gh.post("/admin/v1/agents", ADMIN_KEY, "{\"tenant\":\"ten_nope\",\"name\":\"a\"}").statusCode()).isEqualTo(404);
    agent(t, "same", "\"*\"");
    HttpResponse<String> again = gh.post("/admin/v1/agents", ADMIN_KEY, "{\"tenant\":\"" + t + "\",\"name\":\"same\"}");
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(gh.post("/admin/v1/tools", ADMIN_KEY, "{\"name\":\"t.weather\",\"http\":{\"url\":\"http://127.0.0.1:9/x\"}}").statusCode()).isEqualTo(409);
    HttpResponse<String> badTool = gh.post("/admin/v1/tools", ADMIN_KEY, "{\"name\":\"bad.tool\",\"http\":{\"url\":\"ftp://x\"}}");
    assertThat(badTool.statusCode()).isEqualTo(422);
    assertThat(json(badTool).get("error").get("message").asText()).contains("http.url");
    String agentId = agent(t, "expiring", "\"*\"").get("id").asText();
    assertThat(gh.post("/admin/v1/agents/" + agentId + "/keys", ADMIN_KEY, "{\"expiresAt\":\"2001-01-01T00:00:00Z\"}").statusCode()).isEqualTo(400);
    assertThat(gh.delete("/admin/v1/tenants/" + t, ADMIN_KEY).statusCode()).isEqualTo(409);
    // A window that ends before it starts is refused, as the usage listing refuses it, not an empty page.
    HttpResponse<String> backwards = gh.get("/admin/v1/audit?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", ADMIN_KEY);
    assertThat(backwards.statusCode()).as(backwards.body()).isEqualTo(400);
    assertThat(json(backwards).at("/error/message").asText()).isEqualTo("'since' must be before 'until'");
  }

  @Test
  void everyDecisionLeavesAnAuditRowAndRowsCannotBeChanged() throws Exception {
    gh.get("/v1/tasks", "gk_live_not_a_real_key");
    String t = tenant("audited");
    gh.application().audit().flush();
    JsonNode rows = json(gh.get("/admin/v1/audit?limit=200", ADMIN_KEY)).get("items");
    assertThat(rows.toString()).contains("\"action\":\"auth\"").contains("\"outcome\":\"unauthorized\"");
    assertThat(rows.toString()).contains("\"target\":\"tenant:" + t + "\"");
    JsonNode filtered = json(gh.get("/admin/v1/audit?kind=admin.create&tenant=" + t, ADMIN_KEY)).get("items");
    assertThat(filtered).hasSize(1);
    assertThat(rows.toString()).doesNotContain("gk_live_not_a_real_key").doesNotContain(ADMIN_KEY);

    Throwable update = org.assertj.core.api.Assertions.catchThrowable(() ->
        gh.db.jdbi().useHandle(h -> h.execute("UPDATE audit_log SET outcome = 'ok'")));
    assertThat(update).hasMessageContaining("append-only");
    Throwable delete = org.assertj.core.api.Assertions.catchThrowable(() ->
        gh.db.jdbi().useHandle(h -> h.execute("DELETE FROM audit_log")));
    assertThat(delete).hasMessageContaining("append-only");
  }

  @Test
  void anAgentsSettingsReadBackAreWrittenBackAsTheyAre() {
    String tenant = tenant("roundtrip");
    HttpResponse<String> created =
        gh.post(
            "/admin/v1/agents",
            ADMIN_KEY,
            "{\"tenant\":\"" + tenant + "\",\"name\":\"rt\",\"tools\":{\"allow\":[\"t.*\"]},"
                + "\"approvals\":{\"tools\":[\"t.hold\"],\"destructive\":true}}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String path = "/admin/v1/agents/" + json(created).get("id").asText();
    HttpResponse<String> read = gh.get(path, ADMIN_KEY);
    assertThat(json(read).get("approvals").has("empty")).as(read.body()).isFalse();

    // What a PUT takes, as the GET gave it (id, tenant and timestamps are not the PUT's to set).
    var writable = ((com.fasterxml.jackson.databind.node.ObjectNode) json(read)).retain("name", "subject", "tools", "workflows", "models", "approvals");

    HttpResponse<String> written = gh.put(path, ADMIN_KEY, writable.toString());

    assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
    var after = (com.fasterxml.jackson.databind.node.ObjectNode) json(gh.get(path, ADMIN_KEY));
    assertThat(after.retain("name", "subject", "tools", "workflows", "models", "approvals")).isEqualTo(writable);
  }
}
