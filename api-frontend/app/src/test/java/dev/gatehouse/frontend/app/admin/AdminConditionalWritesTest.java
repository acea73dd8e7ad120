package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Optimistic concurrency on the admin API: one record's GET, POST and PUT answer its ETag, and a
 * PUT or DELETE with If-Match changes it only while it is still that version (412
 * precondition_failed otherwise, changing nothing), atomically; without If-Match, as before.
 */
class AdminConditionalWritesTest {
  static TestGatehouse gh;
  static String tenant;

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start();
    tenant = created(gh.post("/admin/v1/tenants", ADMIN_KEY, "{\"name\":\"etag-tenant\"}")).get("id").asText();
  }

  @AfterAll
  static void stop() {
    gh.close();
  }

  @Test
  void aStalePutOfAnAgentIs412AndTheWinnersChangeStays() {
    HttpResponse<String> create = gh.post("/admin/v1/agents", ADMIN_KEY, agent("etag-agent", "\"t.weather\""));
    String id = created(create).get("id").asText();
    String e0 = etag(create);
    assertThat(etag(gh.get("/admin/v1/agents/" + id, ADMIN_KEY))).as("GET answers the ETag POST gave").isEqualTo(e0);

    // Two operators read e0; the first widens the agent's tools...
    HttpResponse<String> widened = gh.put("/admin/v1/agents/" + id, ADMIN_KEY, agent("etag-agent", "\"t.weather\",\"t.add\""), "If-Match", e0);
    assertThat(widened.statusCode()).as(widened.body()).isEqualTo(200);
    String e1 = etag(widened);
    assertThat(e1).isNotEqualTo(e0);
    assertThat(etag(gh.get("/admin/v1/agents/" + id, ADMIN_KEY))).isEqualTo(e1);

    // ...and the second's PUT, made on what it read before, narrows nothing back.
    HttpResponse<String> stale = gh.put("/admin/v1/agents/" + id, ADMIN_KEY, agent("etag-agent", "\"t.weather\""), "If-Match", e0);
    assertPreconditionFailed(stale);
    assertThat(json(stale).get("error").get("message").asText()).contains("agent '" + id + "'").contains("changed since it was read");
    HttpResponse<String> now = gh.get("/admin/v1/agents/" + id, ADMIN_KEY);
    assertThat(json(now).get("tools").get("allow").toString()).isEqualTo("[\"t.weather\",\"t.add\"]");
    assertThat(etag(now)).isEqualTo(e1);

    // A DELETE on the stale read is refused too, and the agent stays.
    assertPreconditionFailed(gh.delete("/admin/v1/agents/" + id, ADMIN_KEY, "If-Match", e0));
    assertThat(gh.get("/admin/v1/agents/" + id, ADMIN_KEY).statusCode()).isEqualTo(200);

    // Strong comparison: the weak form of the current tag matches nothing.
    assertPreconditionFailed(gh.put("/admin/v1/agents/" + id, ADMIN_KEY, agent("etag-agent", "\"t.echo\""), "If-Match", "W/" + e1));
    // A list matches when one of its tags does.
    HttpResponse<String> listed =
        gh.put("/admin/v1/agents/" + id, ADMIN_KEY, agent("etag-agent", "\"t.echo\""), "If-Match", "\"nope\", " + e1);
    assertThat(listed.statusCode()).as(listed.body()).isEqualTo(200);
    String e2 = etag(listed);

    // Malformed If-Match: 400 invalid_request, nothing changed.
    for (String bad : List.of("abc", "\"unterminated", "W/abc", "\"a\" \"b\"", "*, \"a\"", ",", "\"a b\"")) {
      HttpResponse<String> r = gh.put("/admin/v1/agents/" + id, ADMIN_KEY, agent("etag-agent", "\"t.status\""), "If-Match", bad);
      assertThat(r.statusCode()).as(bad + ": " + r.body()).isEqualTo(400);
      assertThat(code(r)).isEqualTo("invalid_request");
      assertThat(json(r).get("error").get("message").asText()).contains("If-Match");
      assertThat(gh.delete("/admin/v1/agents/" + id, ADMIN_KEY, "If-Match", bad).statusCode()).as(bad).isEqualTo(400);
    }
    assertThat(etag(gh.get("/admin/v1/agents/" + id, ADMIN_KEY))).isEqualTo(e2);

    // Without If-Match a write is as before: the last one wins, whatever was read.
    HttpResponse<String> blind = gh.put("/admin/v1/agents/" + id, ADMIN_KEY, agent("etag-agent", "\"t.add\""));
    assertThat(blind.statusCode()).as(blind.body()).isEqualTo(200);
    String e3 = etag(blind);
    assertThat(e3).isNotEqualTo(e2);

    // * matches any existing record.
    HttpResponse<String> any = gh.put("/admin/v1/agents/" + id, ADMIN_KEY, agent("etag-agent", "\"t.weather\""), "If-Match", "*");
    assertThat(any.statusCode()).as(any.body()).isEqualTo(200);
    assertThat(gh.delete("/admin/v1/agents/" + id, ADMIN_KEY, "If-Match", "*").statusCode()).isEqualTo(204);
    // Gone: 404 as without If-Match (the precondition does not hide a missing record).
    assertThat(gh.put("/admin/v1/agents/" + id, ADMIN_KEY, agent("etag-agent", "\"t.weather\""), "If-Match", "*").statusCode()).isEqualTo(404);
  }

  @Test
  void aTenantsToolHonoursIfMatch() {
    HttpResponse<String> create = gh.post("/admin/v1/tools", ADMIN_KEY, tool("etag.tool", "first"));
    created(create);
    String e0 = etag(create);
    assertThat(etag(gh.get("/admin/v1/tools/etag.tool", ADMIN_KEY))).isEqualTo(e0);

    HttpResponse<String> first = gh.put("/admin/v1/tools/etag.tool", ADMIN_KEY, tool("etag.tool", "second"), "If-Match", e0);
    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    String e1 = etag(first);
    assertThat(e1).isNotEqualTo(e0);

    assertPreconditionFailed(gh.put("/admin/v1/tools/etag.tool", ADMIN_KEY, tool("etag.tool", "stale"), "If-Match", e0));
    HttpResponse<String> now = gh.get("/admin/v1/tools/etag.tool", ADMIN_KEY);
    assertThat(json(now).get("description").asText()).isEqualTo("second");
    assertThat(etag(now)).isEqualTo(e1);

    assertPreconditionFailed(gh.delete("/admin/v1/tools/etag.tool", ADMIN_KEY, "If-Match", e0));
    assertThat(gh.get("/admin/v1/tools/etag.tool", ADMIN_KEY).statusCode()).isEqualTo(200);

    // A PUT that changes nothing keeps the version (the upsert leaves an equal row alone).
    HttpResponse<String> same = gh.put("/admin/v1/tools/etag.tool", ADMIN_KEY, tool("etag.tool", "second"), "If-Match", e1);
    assertThat(same.statusCode()).as(same.body()).isEqualTo(200);
    assertThat(etag(same)).isEqualTo(e1);

    assertThat(gh.delete("/admin/v1/tools/etag.tool", ADMIN_KEY, "If-Match", e1).statusCode()).isEqualTo(204);
    assertThat(gh.get("/admin/v1/tools/etag.tool", ADMIN_KEY).statusCode()).isEqualTo(404);

    // Created again under its name, it takes no version its old self had: a probe's stale
    // If-Match, read before the delete, overwrote the new record when versions counted from 1.
    HttpResponse<String> again = gh.post("/admin/v1/tools", ADMIN_KEY, tool("etag.tool", "anew"));
    created(again);
    assertThat(etag(again)).isNotIn(e0, e1);
    for (String stale : List.of(e0, e1)) {
      assertPreconditionFailed(gh.put("/admin/v1/tools/etag.tool", ADMIN_KEY, tool("etag.tool", "stale"), "If-Match", stale));
      assertPreconditionFailed(gh.delete("/admin/v1/tools/etag.tool", ADMIN_KEY, "If-Match", stale));
    }
    assertThat(json(gh.get("/admin/v1/tools/etag.tool", ADMIN_KEY)).get("description").asText()).isEqualTo("anew");
    assertThat(gh.delete("/admin/v1/tools/etag.tool", ADMIN_KEY, "If-Match", etag(again)).statusCode()).isEqualTo(204);
  }

  @Test
  void aSecretsEtagIsAVersionAndItsPutHonoursIfMatch() {
    String path = "/admin/v1/secrets/etag-secret?tenant=" + tenant;
    // If-Match on a secret that does not exist: the PUT would create one, which is not the version read.
    assertPreconditionFailed(gh.put(path, ADMIN_KEY, "{\"value\":\"s3cret-one\"}", "If-Match", "*"));
    assertThat(gh.get(path, ADMIN_KEY).statusCode()).isEqualTo(404);

    HttpResponse<String> put = gh.put(path, ADMIN_KEY, "{\"value\":\"s3cret-one\"}");
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    String e0 = etag(put);
    // A version counter: nothing derived from the value.
    assertThat(e0).matches("\"\\d+\"");
    HttpResponse<String> read = gh.get(path, ADMIN_KEY);
    assertThat(etag(read)).isEqualTo(e0);

    HttpResponse<String> rotated = gh.put(path, ADMIN_KEY, "{\"value\":\"s3cret-two\"}", "If-Match", e0);
    assertThat(rotated.statusCode()).as(rotated.body()).isEqualTo(200);
    String e1 = etag(rotated);
    assertThat(e1).matches("\"\\d+\"").isNotEqualTo(e0);

    assertPreconditionFailed(gh.put(path, ADMIN_KEY, "{\"value\":\"s3cret-stale\"}", "If-Match", e0));
    assertThat(json(gh.get(path, ADMIN_KEY)).get("updatedAt")).isEqualTo(json(rotated).get("updatedAt"));
    assertPreconditionFailed(gh.delete(path, ADMIN_KEY, "If-Match", e0));
    assertThat(etag(gh.get(path, ADMIN_KEY))).isEqualTo(e1);
    assertThat(gh.delete(path, ADMIN_KEY, "If-Match", e1).statusCode()).isEqualTo(204);
    assertThat(gh.delete(path, ADMIN_KEY, "If-Match", e1).statusCode()).as("gone: 404 as without If-Match").isEqualTo(404);

    // Written again after the delete, the secret has a version neither earlier one had.
    HttpResponse<String> anew = gh.put(path, ADMIN_KEY, "{\"value\":\"s3cret-anew\"}");
    assertThat(anew.statusCode()).as(anew.body()).isEqualTo(200);
    assertThat(etag(anew)).isNotIn(e0, e1);
    assertPreconditionFailed(gh.put(path, ADMIN_KEY, "{\"value\":\"s3cret-stale\"}", "If-Match", e0));
    assertThat(gh.delete(path, ADMIN_KEY, "If-Match", etag(anew)).statusCode()).isEqualTo(204);
  }

  /**
   * Several If-Match lines are one list; a write carrying a precondition nothing evaluates
   * (If-None-Match, If-Unmodified-Since, or If-Match where no record's version is compared) is
   * refused rather than made unconditionally: a probe's PUT with {@code If-None-Match: *}, meant to
   * create only, overwrote a secret, and a registry apply with a stale If-Match was applied. Reads
   * ignore them.
   */
  @Test
  void aWriteWithAPreconditionNothingEvaluatesIsRefusedAndSeveralIfMatchLinesAreOneList() {
    HttpResponse<String> create = gh.post("/admin/v1/tools", ADMIN_KEY, tool("lines.tool", "first"));
    created(create);
    String e0 = etag(create);
    // The first line alone was read: a stale tag first hid the current one, garbage after it passed.
    HttpResponse<String> both = gh.put("/admin/v1/tools/lines.tool", ADMIN_KEY, tool("lines.tool", "second"), "If-Match", "\"1\"", "If-Match", e0);
    assertThat(both.statusCode()).as(both.body()).isEqualTo(200);
    String e1 = etag(both);
    HttpResponse<String> garbage = gh.put("/admin/v1/tools/lines.tool", ADMIN_KEY, tool("lines.tool", "third"), "If-Match", e1, "If-Match", "garbage");
    assertThat(garbage.statusCode()).as(garbage.body()).isEqualTo(400);
    assertThat(json(garbage).at("/error/code").asText()).isEqualTo("invalid_request");

    String path = "/admin/v1/secrets/lines-secret?tenant=" + tenant;
    assertThat(gh.put(path, ADMIN_KEY, "{\"value\":\"kept\"}").statusCode()).isEqualTo(200);
    String secretTag = etag(gh.get(path, ADMIN_KEY));
    for (String[] header : List.of(new String[] {"If-None-Match", "*"}, new String[] {"If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"})) {
      HttpResponse<String> r = gh.put(path, ADMIN_KEY, "{\"value\":\"overwritten\"}", header);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
      assertThat(json(r).at("/error/message").asText()).contains(header[0], "If-Match");
      assertThat(gh.delete(path, ADMIN_KEY, header).statusCode()).isEqualTo(400);
    }
    assertThat(etag(gh.get(path, ADMIN_KEY))).as("the secret is as it was").isEqualTo(secretTag);

    // If-Match where no version is compared: a create, the whole registry, a decision.
    HttpResponse<String> post = gh.post("/admin/v1/tools", ADMIN_KEY, tool("lines.other", "x"), "If-Match", "\"99\"");
    assertThat(post.statusCode()).as(post.body()).isEqualTo(400);
    assertThat(json(post).at("/error/message").asText()).contains("does not take If-Match");
    assertThat(gh.get("/admin/v1/tools/lines.other", ADMIN_KEY).statusCode()).isEqualTo(404);
    HttpResponse<String> registry = gh.put("/admin/v1/registry", ADMIN_KEY, "tools: []\n", "If-Match", "\"999\"");
    assertThat(registry.statusCode()).as(registry.body()).isEqualTo(400);
    assertThat(json(registry).at("/error/message").asText()).contains("does not take If-Match");

    // A read ignores them.
    HttpResponse<String> read = gh.get("/admin/v1/tools/lines.tool", ADMIN_KEY);
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(gh.delete("/admin/v1/tools/lines.tool", ADMIN_KEY, "If-Match", e1).statusCode()).isEqualTo(204);
  }

  @Test
  void ofConcurrentPutsCarryingOneEtagExactlyOneWins() throws Exception {
    HttpResponse<String> create = gh.post("/admin/v1/agents", ADMIN_KEY, agent("etag-race", "\"t.weather\""));
    String id = created(create).get("id").asText();
    race("agent", "/admin/v1/agents/" + id, etag(create), i -> agent("etag-race", "\"race." + i + "\""),
        now -> json(now).get("tools").get("allow").get(0).asText());

    HttpResponse<String> tool = gh.post("/admin/v1/tools", ADMIN_KEY, tool("etag.race", "start"));
    created(tool);
    race("tool", "/admin/v1/tools/etag.race", etag(tool), i -> tool("etag.race", "race." + i), now -> json(now).get("description").asText());

    // Concurrent DELETEs with one ETag: one deletes; the others find it gone (412 when they got
    // past the lookup before the winner's commit, 404 after it).
    HttpResponse<String> doomed = gh.post("/admin/v1/tools", ADMIN_KEY, tool("etag.doomed", "x"));
    created(doomed);
    List<Integer> statuses = new ArrayList<>();
    for (HttpResponse<String> r : atOnce(8, i -> gh.delete("/admin/v1/tools/etag.doomed", ADMIN_KEY, "If-Match", etag(doomed)))) {
      statuses.add(r.statusCode());
    }
    assertThat(statuses).as("statuses").containsOnlyOnce(204).allMatch(st -> st == 204 || st == 412 || st == 404);
  }

  /** {@code n} requests, the {@code i}th made by {@code request} of {@code i}, let go at once; their answers in that order. */
  static List<HttpResponse<String>> atOnce(int n, java.util.function.IntFunction<HttpResponse<String>> request) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<HttpResponse<String>>> answers = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int k = i;
        answers.add(pool.submit(() -> {
          go.await();
          return request.apply(k);
        }));
      }
      go.countDown();
      List<HttpResponse<String>> out = new ArrayList<>();
      for (Future<HttpResponse<String>> a : answers) {
        out.add(a.get(60, java.util.concurrent.TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * N PUTs of {@code path}, each with its own body ({@code body} of its number) and all with
   * {@code etag}, at once: one is 200, the others 412, and the record is the winner's.
   */
  private static void race(
      String what, String path, String etag, java.util.function.IntFunction<String> body, java.util.function.Function<HttpResponse<String>, String> marker)
      throws Exception {
    int n = 8;
    List<HttpResponse<String>> answers = atOnce(n, i -> gh.put(path, ADMIN_KEY, body.apply(i), "If-Match", etag));
    List<Integer> won = new ArrayList<>();
    int refused = 0;
    String winnersEtag = null;
    for (int i = 0; i < n; i++) {
      HttpResponse<String> r = answers.get(i);
      if (r.statusCode() == 200) {
        won.add(i);
        winnersEtag = etag(r);
      } else {
        assertPreconditionFailed(r);
        refused++;
      }
    }
    assertThat(won).as(what + ": the PUTs that won").hasSize(1);
    assertThat(refused).isEqualTo(n - 1);
    HttpResponse<String> now = gh.get(path, ADMIN_KEY);
    assertThat(marker.apply(now)).isEqualTo("race." + won.get(0));
    assertThat(etag(now)).isEqualTo(winnersEtag);
  }


  /** A kind: where to create one, its record's path, a body for PUT (null: it has none), a change to make it another version. */
  record Kind(String name, String path, String putBody, Supplier<HttpResponse<String>> change) {}

  /**
   * A PUT that changes nothing keeps the record's ETag and its updatedAt: an agent's or a tenant's
   * identical PUT took a new version, so a provisioning tool applying the same definitions on every
   * run made every client that had read them meet 412 next.
   */
  @Test
  void aPutThatChangesNothingKeepsTheEtag() {
    String t = created(gh.post("/admin/v1/tenants", ADMIN_KEY, "{\"name\":\"etag-same\"}")).get("id").asText();
    HttpResponse<String> create = gh.post("/admin/v1/agents", ADMIN_KEY, agent("etag-same", "\"t.weather\""));
    String id = created(create).get("id").asText();
    String e0 = etag(create);
    String updated = json(gh.get("/admin/v1/agents/" + id, ADMIN_KEY)).path("updatedAt").asText();

    HttpResponse<String> same = gh.put("/admin/v1/agents/" + id, ADMIN_KEY, agent("etag-same", "\"t.weather\""), "If-Match", e0);
    assertThat(same.statusCode()).as(same.body()).isEqualTo(200);
    assertThat(etag(same)).isEqualTo(e0);
    assertThat(json(gh.get("/admin/v1/agents/" + id, ADMIN_KEY)).path("updatedAt").asText()).isEqualTo(updated);
    // A client that read e0 can still write.
    HttpResponse<String> changed = gh.put("/admin/v1/agents/" + id, ADMIN_KEY, agent("etag-same", "\"t.add\""), "If-Match", e0);
    assertThat(changed.statusCode()).as(changed.body()).isEqualTo(200);
    assertThat(etag(changed)).isNotEqualTo(e0);

    String te0 = etag(gh.get("/admin/v1/tenants/" + t, ADMIN_KEY));
    HttpResponse<String> tenantSame = gh.put("/admin/v1/tenants/" + t, ADMIN_KEY, "{\"name\":\"etag-same\"}");
    assertThat(tenantSame.statusCode()).as(tenantSame.body()).isEqualTo(200);
    assertThat(etag(tenantSame)).isEqualTo(te0);
    assertThat(etag(gh.put("/admin/v1/tenants/" + t, ADMIN_KEY, "{\"name\":\"etag-same-2\"}"))).isNotEqualTo(te0);
  }

  @Test
  void everyKindAnswersAnEtagAndRefusesAStaleIfMatch() {
    String t = created(gh.post("/admin/v1/tenants", ADMIN_KEY, "{\"name\":\"etag-every\"}")).get("id").asText();
    String agentId = created(gh.post("/admin/v1/agents", ADMIN_KEY, agent("etag-every", "\"t.weather\""))).get("id").asText();
    created(gh.post("/admin/v1/tools", ADMIN_KEY, tool("etag.every", "x")));
    created(gh.post("/admin/v1/mcp-servers", ADMIN_KEY, mcp("etag-mcp", "a")));
    created(gh.post("/admin/v1/virtual-servers", ADMIN_KEY, vs("etag-vs", "a")));
    created(gh.post("/admin/v1/policies", ADMIN_KEY, policy("etag-policy", 5)));
    created(gh.post("/admin/v1/providers", ADMIN_KEY, provider("etag-p", "10s")));
    created(gh.post("/admin/v1/models", ADMIN_KEY, model("etag-m", "gpt-4o")));
    String idp = created(gh.post("/admin/v1/identity-providers", ADMIN_KEY, idp("a"))).get("id").asText();
    assertThat(gh.put("/admin/v1/secrets/etag-every?tenant=" + tenant, ADMIN_KEY, "{\"value\":\"v1\"}").statusCode()).isEqualTo(200);
    HttpResponse<String> agentKey = gh.post("/admin/v1/agents/" + agentId + "/keys", ADMIN_KEY, "");
    HttpResponse<String> adminKey = gh.post("/admin/v1/admin-keys", ADMIN_KEY, "{\"name\":\"etag-admin\",\"tenant\":\"" + t + "\"}");
    String agentKeyId = created(agentKey).get("id").asText();
    String adminKeyId = created(adminKey).get("id").asText();
    assertThat(etag(agentKey)).as("a created key's ETag").isEqualTo(etag(gh.get("/admin/v1/keys/" + agentKeyId, ADMIN_KEY)));

    List<Kind> kinds = List.of(
        new Kind("tenant", "/admin/v1/tenants/" + t, "{\"name\":\"etag-every-3\"}",
            () -> gh.put("/admin/v1/tenants/" + t, ADMIN_KEY, "{\"name\":\"etag-every-2\"}")),
        new Kind("agent", "/admin/v1/agents/" + agentId, agent("etag-every", "\"t.echo\""),
            () -> gh.put("/admin/v1/agents/" + agentId, ADMIN_KEY, agent("etag-every", "\"t.add\""))),
        new Kind("tool", "/admin/v1/tools/etag.every", tool("etag.every", "z"),
            () -> gh.put("/admin/v1/tools/etag.every", ADMIN_KEY, tool("etag.every", "y"))),
        new Kind("MCP server", "/admin/v1/mcp-servers/etag-mcp", mcp("etag-mcp", "c"),
            () -> gh.put("/admin/v1/mcp-servers/etag-mcp", ADMIN_KEY, mcp("etag-mcp", "b"))),
        new Kind("virtual server", "/admin/v1/virtual-servers/etag-vs", vs("etag-vs", "c"),
            () -> gh.put("/admin/v1/virtual-servers/etag-vs", ADMIN_KEY, vs("etag-vs", "b"))),
        new Kind("policy", "/admin/v1/policies/etag-policy", policy("etag-policy", 7),
            () -> gh.put("/admin/v1/policies/etag-policy", ADMIN_KEY, policy("etag-policy", 6))),
        new Kind("provider", "/admin/v1/providers/etag-p", provider("etag-p", "30s"),
            () -> gh.put("/admin/v1/providers/etag-p", ADMIN_KEY, provider("etag-p", "20s"))),
        new Kind("model", "/admin/v1/models/etag-m", model("etag-m", "gpt-4.1"),
            () -> gh.put("/admin/v1/models/etag-m", ADMIN_KEY, model("etag-m", "gpt-4o-mini"))),
        new Kind("identity provider", "/admin/v1/identity-providers/" + idp, idp("c"),
            () -> gh.put("/admin/v1/identity-providers/" + idp, ADMIN_KEY, idp("b"))),
        new Kind("secret", "/admin/v1/secrets/etag-every?tenant=" + tenant, "{\"value\":\"v3\"}",
            () -> gh.put("/admin/v1/secrets/etag-every?tenant=" + tenant, ADMIN_KEY, "{\"value\":\"v2\"}")),
        // Keys are never replaced: no PUT, and nothing but a revoke changes them.
        new Kind("agent key", "/admin/v1/keys/" + agentKeyId, null, null),
        new Kind("admin key", "/admin/v1/keys/" + adminKeyId, null, null));

    for (Kind k : kinds) {
      HttpResponse<String> read = gh.get(k.path(), ADMIN_KEY);
      assertThat(read.statusCode()).as(k.name() + ": " + read.body()).isEqualTo(200);
      String before = etag(read);
      assertThat(before).as(k.name()).matches("\"\\d+\"");
      String stale = before;
      if (k.change() != null) {
        HttpResponse<String> changed = k.change().get();
        assertThat(changed.statusCode()).as(k.name() + ": " + changed.body()).isEqualTo(200);
        assertThat(etag(changed)).as(k.name() + ": a change gives another ETag").isNotEqualTo(before);
        assertThat(etag(gh.get(k.path(), ADMIN_KEY))).as(k.name()).isEqualTo(etag(changed));
      } else {
        stale = "\"999999\"";
      }
      String current = etag(gh.get(k.path(), ADMIN_KEY));
      if (k.putBody() != null) {
        assertPreconditionFailed(gh.put(k.path(), ADMIN_KEY, k.putBody(), "If-Match", stale));
        assertThat(etag(gh.get(k.path(), ADMIN_KEY))).as(k.name() + ": a refused PUT changes nothing").isEqualTo(current);
        assertThat(gh.put(k.path(), ADMIN_KEY, k.putBody(), "If-Match", "bogus").statusCode()).as(k.name()).isEqualTo(400);
      }
      if (!k.name().equals("tenant")) { // a tenant with records is not deleted anyway (409)
        assertPreconditionFailed(gh.delete(k.path(), ADMIN_KEY, "If-Match", stale));
        assertThat(gh.delete(k.path(), ADMIN_KEY, "If-Match", "bogus").statusCode()).as(k.name()).isEqualTo(400);
        HttpResponse<String> still = gh.get(k.path(), ADMIN_KEY);
        assertThat(still.statusCode()).as(k.name() + ": a refused DELETE changes nothing").isEqualTo(200);
        assertThat(etag(still)).isEqualTo(current);
        if (k.name().endsWith("key")) {
          assertThat(json(still).get("status").asText()).isEqualTo("active");
        }
      }
    }
    // The keys revoke with their current ETag.
    for (String keyId : List.of(agentKeyId, adminKeyId)) {
      String current = etag(gh.get("/admin/v1/keys/" + keyId, ADMIN_KEY));
      assertThat(gh.delete("/admin/v1/keys/" + keyId, ADMIN_KEY, "If-Match", current).statusCode()).isEqualTo(204);
      assertThat(json(gh.get("/admin/v1/keys/" + keyId, ADMIN_KEY)).get("status").asText()).isEqualTo("revoked");
    }
  }

  // ---- bodies

  static String agent(String name, String toolsAllow) {
    return "{\"tenant\":\"" + tenant + "\",\"name\":\"" + name + "\",\"tools\":{\"allow\":[" + toolsAllow + "]}}";
  }

  static String tool(String name, String description) {
    return "{\"name\":\"" + name + "\",\"tenant\":\"" + tenant + "\",\"description\":\"" + description
        + "\",\"http\":{\"url\":\"http://127.0.0.1:9/x\"}}";
  }

  static String mcp(String name, String prefix) {
    return "{\"name\":\"" + name + "\",\"tenant\":\"" + tenant + "\",\"transport\":\"streamable-http\",\"url\":\"http://127.0.0.1:9/mcp\","
        + "\"prefix\":\"etag" + prefix + "\"}";
  }

  static String vs(String name, String description) {
    return "{\"name\":\"" + name + "\",\"tenant\":\"" + tenant + "\",\"description\":\"" + description + "\",\"tools\":[\"etag.every\"]}";
  }

  static String policy(String name, int perMinute) {
    return "{\"name\":\"" + name + "\",\"tenant\":\"" + tenant + "\",\"kind\":\"rate-limit\",\"rateLimit\":{\"requestsPerMinute\":" + perMinute + "}}";
  }

  static String provider(String name, String timeout) {
    return "{\"name\":\"" + name + "\",\"tenant\":\"" + tenant + "\",\"type\":\"openai\",\"baseUrl\":\"https://models.example/v1\",\"timeout\":\""
        + timeout + "\"}";
  }

  static String model(String name, String upstream) {
    return "{\"name\":\"" + name + "\",\"tenant\":\"" + tenant + "\",\"targets\":[{\"provider\":\"etag-p\",\"model\":\"" + upstream + "\"}]}";
  }

  static String idp(String audience) {
    return "{\"tenant\":\"" + tenant + "\",\"name\":\"etag-idp\",\"issuer\":\"https://etag.example\",\"audience\":\"" + audience
        + "\",\"jwksUrl\":\"https://etag.example/jwks\"}";
  }

  // ---- answers

  static JsonNode created(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    assertThat(etag(r)).as("a created record's ETag").matches("\"\\d+\"");
    return json(r);
  }

  static String etag(HttpResponse<String> r) {
    return r.headers().firstValue("ETag").orElseThrow(() -> new AssertionError("no ETag: " + r.statusCode() + " " + r.body()));
  }

  static String code(HttpResponse<String> r) {
    return json(r).get("error").get("code").asText();
  }

  static void assertPreconditionFailed(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(412);
    assertThat(code(r)).isEqualTo("precondition_failed");
    assertThat(r.headers().firstValue("ETag")).as("a refusal names no version").isEmpty();
  }
}
