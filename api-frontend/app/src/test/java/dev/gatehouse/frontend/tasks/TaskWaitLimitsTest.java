package dev.gatehouse.frontend.tasks;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_B;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.frontend.testing.TestGatehouse;
import dev.gatehouse.registry.tenants.TenantDao;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reads that wait for a task's end ({@code ?wait=}) hold a request thread each: one agent has a
 * share of them on a replica ({@code admission.maxTaskWaitsPerAgent}, 2 here), so it cannot take
 * every thread and time out every other tenant's requests; and one tenant's agents together have a
 * share ({@code admission.maxTaskWaitsPerTenant}, 3 here), since a tenant admin may make any number
 * of agents.
 */
class TaskWaitLimitsTest {
  static TestGatehouse gh;
  /** HTTP/1.1: the JDK client holds every request to an origin while its first tries the h2c upgrade, and the first here waits 30 s. */
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() throws Exception {
    gh =
        TestGatehouse.start(
            c -> {
              c.getAdmission().setMaxTaskWaitsPerAgent(2);
              c.getAdmission().setMaxTaskWaitsPerTenant(3);
            });
  }

  @AfterAll
  static void stop() {
    gh.close();
  }

  private static String hold(String name) {
    return "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"h\",\"tool\":\"t.hold\",\"args\":{\"name\":\"" + name + "\"}}]}}";
  }

  private static CompletableFuture<HttpResponse<String>> waitFor(String key, String task, String wait) {
    return HTTP.sendAsync(
        HttpRequest.newBuilder(URI.create(gh.api() + "/v1/tasks/" + task + "?wait=" + wait)).header("Authorization", "Bearer " + key).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void oneAgentsWaitingReadsAreBoundedAndGivenBack() throws Exception {
    List<String> tasks = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      tasks.add(gh.submit(KEY_A, hold("wl-" + i)));
    }
    String theirs = gh.submit(KEY_B, hold("wl-b"));
    try {
      // Two waiting reads of the agent, each seen waiting (not answered) before the next is sent.
      List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        CompletableFuture<HttpResponse<String>> f = waitFor(KEY_A, tasks.get(i), "30s");
        Thread.sleep(500);
        assertThat(f).as("waiting read " + i).isNotDone();
        waiting.add(f);
      }
      // (A read let in because one of them had not reached the server yet waits a second; try again.)
      HttpResponse<String> refused = gh.get("/v1/tasks/" + tasks.get(2) + "?wait=1s", KEY_A);
      for (int i = 0; i < 5 && refused.statusCode() == 200; i++) {
        refused = gh.get("/v1/tasks/" + tasks.get(2) + "?wait=1s", KEY_A);
      }
      assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
      assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
      assertThat(json(refused).path("error").path("code").asText()).isEqualTo("overloaded");
      assertThat(json(refused).path("error").path("message").asText()).contains("reads waiting");
      // named as admission's refusals are (errors.md, overloaded)
      assertThat(json(refused).path("error").path("details").path("limit").asText()).isEqualTo("agentWaits");
      assertThat(json(refused).path("error").path("details").path("max").asInt()).isEqualTo(2);
      assertThat(waiting).noneMatch(CompletableFuture::isDone);
      // Another agent's waiting read is not refused.
      CompletableFuture<HttpResponse<String>> other = waitFor(KEY_B, theirs, "30s");
      gh.tools.release("wl-0");
      gh.tools.release("wl-1");
      gh.tools.release("wl-b");
      for (var f : List.of(waiting.get(0), waiting.get(1), other)) {
        HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r).get("status").asText()).isEqualTo("COMPLETED");
      }
      gh.tools.release("wl-2");
      HttpResponse<String> after = gh.get("/v1/tasks/" + tasks.get(2) + "?wait=20s", KEY_A);
      assertThat(after.statusCode()).as("the places were given back").isEqualTo(200);
    } finally {
      for (String n : List.of("wl-0", "wl-1", "wl-2", "wl-b")) {
        gh.tools.release(n);
      }
    }
  }

  @Test
  void oneTenantsAgentsTogetherHoldOnlyTheTenantsShare() throws Exception {
    // A second agent of agent A's tenant.
    String alpha = gh.db.jdbi().withExtension(TenantDao.class, t -> t.findByName("alpha")).orElseThrow().id();
    HttpResponse<String> made =
        gh.post("/admin/v1/agents", TestGatehouse.ADMIN_KEY,
            "{\"tenant\":\"" + alpha + "\",\"name\":\"wl-second\",\"tools\":{\"allow\":[\"t.*\"]},\"workflows\":{\"allow\":[\"pipeline\"]}}");
    assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
    HttpResponse<String> keyed = gh.post("/admin/v1/agents/" + json(made).get("id").asText() + "/keys", TestGatehouse.ADMIN_KEY, "");
    assertThat(keyed.statusCode()).as(keyed.body()).isEqualTo(201);
    String second = json(keyed).get("key").asText();

    List<String> first = List.of(gh.submit(KEY_A, hold("wt-a0")), gh.submit(KEY_A, hold("wt-a1")));
    List<String> seconds = List.of(gh.submit(second, hold("wt-s0")), gh.submit(second, hold("wt-s1")));
    String theirs = gh.submit(KEY_B, hold("wt-b"));
    List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
    try {
      // The tenant's three places: two of the first agent's reads and one of the second's.
      for (String t : first) {
        waiting.add(waitFor(KEY_A, t, "30s"));
        Thread.sleep(500);
      }
      waiting.add(waitFor(second, seconds.get(0), "30s"));
      Thread.sleep(500);
      assertThat(waiting).noneMatch(CompletableFuture::isDone);
      // The second agent is within its own share (1 of 2), but the tenant's are all taken.
      HttpResponse<String> refused = gh.get("/v1/tasks/" + seconds.get(1) + "?wait=1s", second);
      for (int i = 0; i < 5 && refused.statusCode() == 200; i++) {
        refused = gh.get("/v1/tasks/" + seconds.get(1) + "?wait=1s", second);
      }
      assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
      assertThat(json(refused).path("error").path("message").asText()).contains("this tenant's agents");
      assertThat(json(refused).path("error").path("details").path("limit").asText()).isEqualTo("tenantWaits");
      // Another tenant's agent is not refused.
      waiting.add(waitFor(KEY_B, theirs, "30s"));
      for (String n : List.of("wt-a0", "wt-a1", "wt-s0", "wt-b")) {
        gh.tools.release(n);
      }
      for (var f : waiting) {
        HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r).get("status").asText()).isEqualTo("COMPLETED");
      }
      gh.tools.release("wt-s1");
      HttpResponse<String> after = gh.get("/v1/tasks/" + seconds.get(1) + "?wait=20s", second);
      assertThat(after.statusCode()).as("the tenant's places were given back").isEqualTo(200);
    } finally {
      for (String n : List.of("wt-a0", "wt-a1", "wt-s0", "wt-s1", "wt-b")) {
        gh.tools.release(n);
      }
    }
  }
}
