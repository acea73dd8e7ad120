package dev.gatehouse.frontend.tasks;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_B;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.FakeProvider.Reply;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /v1/tasks/{id}/events} on a real Gatehouse, read with a plain HTTP client as an
 * EventSource reads it: events as the workflow history grows, the end of the task, resuming with
 * {@code Last-Event-ID}, an agent loop across continue-as-new, and the refusals.
 */
class TaskEventsTest {
  static TestGatehouse gh;
  static FakeProvider fake;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start();
    fake = new FakeProvider();
    gh.fakeModel("ev-model", fake.openaiBase());
  }

  @AfterAll
  static void stop() {
    gh.close();
    fake.close();
  }

  /** One event as received. */
  record Sse(String id, String name, JsonNode data) {}

  /** An open stream, read event by event. */
  static final class Stream implements AutoCloseable {
    final HttpResponse<InputStream> response;
    final BufferedReader reader;

    Stream(HttpResponse<InputStream> response) {
      this.response = response;
      this.reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
    }

    /** The next event (comments skipped); null at the end of the stream. */
    Sse next() throws Exception {
      String id = null;
      String name = null;
      StringBuilder data = null;
      String line;
      while ((line = reader.readLine()) != null) {
        if (line.isEmpty()) {
          if (data != null) {
            return new Sse(id, name, TestGatehouse.JSON.readTree(data.toString()));
          }
          continue;
        }
        if (line.startsWith(":")) {
          continue;
        }
        if (line.startsWith("id: ")) {
          id = line.substring(4);
        } else if (line.startsWith("event: ")) {
          name = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data = data == null ? new StringBuilder(line.substring(6)) : data.append('\n').append(line.substring(6));
        }
      }
      return null;
    }

    /** Every event up to the end of the stream. */
    List<Sse> rest() throws Exception {
      List<Sse> out = new ArrayList<>();
      for (Sse e = next(); e != null; e = next()) {
        out.add(e);
      }
      return out;
    }

    @Override
    public void close() throws Exception {
      reader.close();
    }
  }

  static Stream open(String key, String id, String lastEventId) throws Exception {
    return open(gh, key, id, lastEventId);
  }

  static Stream open(TestGatehouse gh, String key, String id, String lastEventId) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(gh.api() + "/v1/tasks/" + id + "/events"))
            .header("Authorization", "Bearer " + key)
            .header("Accept", "text/event-stream")
            .timeout(Duration.ofSeconds(60));
    if (lastEventId != null) {
      b.header("Last-Event-ID", lastEventId);
    }
    HttpResponse<InputStream> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    return new Stream(r);
  }

  /** The summaries of the events read from {@code s} up to and with the one summed up as {@code last}. */
  private static List<String> upTo(Stream s, String last) throws Exception {
    List<String> seen = new ArrayList<>();
    for (Sse e = s.next(); e != null; e = s.next()) {
      seen.add(summary(e));
      if (seen.get(seen.size() - 1).equals(last)) {
        break;
      }
    }
    return seen;
  }

  private static String summary(Sse e) {
    JsonNode d = e.data();
    return e.name() + (d.has("step") ? " " + d.get("step").asText() : "") + (d.has("status") ? " " + d.get("status").asText() : "");
  }

  @Test
  void aPipelinesEventsArriveAsItRunsAndEndWithTheTask() throws Exception {
    String id =
        gh.submit(
            "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":["
                + "{\"id\":\"first\",\"tool\":\"t.echo\",\"args\":{\"n\":1}},"
                + "{\"id\":\"wait\",\"tool\":\"t.hold\",\"args\":{\"name\":\"ev-wait\"},\"dependsOn\":[\"first\"]}]}}");
    try (Stream s = open(KEY_A, id, null)) {
      // The hold step is still running: its start arrives before the task ends.
      List<String> seen = upTo(s, "step.started wait");
      assertThat(seen).containsExactly("task.started", "step.started first", "step.finished first COMPLETED", "step.started wait");
      assertThat(gh.tools.arrived("ev-wait").await(10, TimeUnit.SECONDS)).isTrue();
      gh.tools.release("ev-wait");
      List<Sse> rest = s.rest();
      assertThat(rest).as(rest.toString()).extracting(TaskEventsTest::summary).containsExactly("step.finished wait COMPLETED", "task.ended COMPLETED");
      assertThat(rest.get(0).data().get("kind").asText()).isEqualTo("tool");
      assertThat(rest.get(0).data().get("name").asText()).isEqualTo("t.hold");
    }
  }

  /**
   * A key revoked while its requests wait hands its holder nothing more: a waiting read answers 401
   * instead of the result, and an event stream ends with an unauthorized error event instead of the
   * next event (a probe's revoked key received the whole result 21 s after the revocation, and every
   * later event, though revoking "takes effect at once").
   */
  @Test
  void aKeyRevokedWhileItsRequestsWaitIsHandedNothingMore() throws Exception {
    String agent = null;
    for (JsonNode t : json(gh.get("/admin/v1/tenants?limit=200", TestGatehouse.ADMIN_KEY)).path("items")) {
      if (t.path("name").asText().equals("alpha")) {
        for (JsonNode a : json(gh.get("/admin/v1/agents?tenant=" + t.path("id").asText() + "&limit=200", TestGatehouse.ADMIN_KEY)).path("items")) {
          if (a.path("name").asText().equals("agent-a")) {
            agent = a.path("id").asText();
          }
        }
      }
    }
    assertThat(agent).as("agent-a").isNotNull();
    JsonNode made = json(gh.post("/admin/v1/agents/" + agent + "/keys", TestGatehouse.ADMIN_KEY, "{}"));
    String key = made.path("key").asText();
    String id =
        gh.submit(
            key,
            "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":["
                + "{\"id\":\"wait\",\"tool\":\"t.hold\",\"args\":{\"name\":\"ev-revoked\"}},"
                + "{\"id\":\"then\",\"tool\":\"t.echo\",\"args\":{\"n\":1},\"dependsOn\":[\"wait\"]}]}}");
    try (Stream s = open(key, id, null)) {
      upTo(s, "step.started wait");
      var waiting = java.util.concurrent.CompletableFuture.supplyAsync(() -> gh.get("/v1/tasks/" + id + "?wait=30s", key));
      assertThat(gh.tools.arrived("ev-revoked").await(10, TimeUnit.SECONDS)).isTrue();
      Thread.sleep(300); // the waiting read is waiting
      assertThat(waiting).isNotDone();
      assertThat(gh.delete("/admin/v1/keys/" + made.path("id").asText(), TestGatehouse.ADMIN_KEY).statusCode()).isEqualTo(204);
      gh.tools.release("ev-revoked");

      HttpResponse<String> read = waiting.get(30, TimeUnit.SECONDS);
      assertThat(read.statusCode()).as(read.body()).isEqualTo(401);
      assertThat(json(read).path("error").path("code").asText()).isEqualTo("unauthorized");
      assertThat(read.body()).doesNotContain("COMPLETED").contains("stopped being valid");
      List<Sse> rest = s.rest();
      assertThat(rest).as(rest.toString()).hasSize(1);
      assertThat(rest.get(0).name()).isEqualTo("error");
      assertThat(rest.get(0).data().path("code").asText()).isEqualTo("unauthorized");
    }
    // The task itself ran on: its agent's other key reads it.
    assertThat(gh.await(KEY_A, id).path("status").asText()).isEqualTo("COMPLETED");
  }

  /**
   * The stream of a task that has ended is written whole at once; each such response must end.
   * (Jersey attaches a chunked output to the response and then suspends the request; a stream
   * that wrote and closed in between left a response that never ended: a race that hung this
   * suite twice. The resource now suspends first, and the stream starts once attached.)
   */
  @Test
  void theStreamOfAnEndedTaskEndsEveryTime() throws Exception {
    String id = gh.submit("{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"only\",\"tool\":\"t.echo\",\"args\":{\"n\":1}}]}}");
    assertThat(gh.await(id).get("status").asText()).isEqualTo("COMPLETED");
    for (int i = 0; i < 150; i++) {
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(gh.api() + "/v1/tasks/" + id + "/events"))
              .header("Authorization", "Bearer " + KEY_A)
              .header("Accept", "text/event-stream")
              .build();
      String body = HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString()).get(10, TimeUnit.SECONDS).body();
      assertThat(body).as("stream %d", i).contains("event: task.ended");
    }
  }

  @Test
  void aClientThatReconnectsWithLastEventIdGetsOnlyWhatCameAfter() throws Exception {
    String id =
        gh.submit(
            "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":["
                + "{\"id\":\"a\",\"tool\":\"t.echo\",\"args\":{}},{\"id\":\"b\",\"tool\":\"t.echo\",\"args\":{},\"dependsOn\":[\"a\"]}]}}");
    gh.await(id);
    List<Sse> all;
    try (Stream s = open(KEY_A, id, null)) {
      all = s.rest();
    }
    assertThat(all).extracting(TaskEventsTest::summary)
        .containsExactly("task.started", "step.started a", "step.finished a COMPLETED", "step.started b", "step.finished b COMPLETED", "task.ended COMPLETED");
    try (Stream s = open(KEY_A, id, all.get(2).id())) {
      assertThat(s.rest()).extracting(Sse::id).containsExactlyElementsOf(all.subList(3, all.size()).stream().map(Sse::id).toList());
    }
    // After task.ended nothing follows: 204, on which EventSource stops reconnecting (an empty
    // stream would have it reconnect for good). An id past the task's last event names none of its events.
    String endedId = all.get(all.size() - 1).id();
    HttpResponse<String> over = gh.send(
        HttpRequest.newBuilder(URI.create(gh.api() + "/v1/tasks/" + id + "/events")).header("Last-Event-ID", endedId), KEY_A);
    assertThat(over.statusCode()).as(over.body()).isEqualTo(204);
    String run = endedId.split(":")[0];
    long lastEvent = Long.parseLong(endedId.split(":")[1]);
    HttpResponse<String> past = gh.send(
        HttpRequest.newBuilder(URI.create(gh.api() + "/v1/tasks/" + id + "/events")).header("Last-Event-ID", run + ":" + (lastEvent + 5)), KEY_A);
    assertThat(past.statusCode()).as(past.body()).isEqualTo(400);
    assertThat(json(past).get("error").get("message").asText()).contains("names no event of this task");
  }

  @Test
  void anAgentLoopStreamsAcrossContinueAsNewWithEveryModelStepsTokens() throws Exception {
    fake.reset();
    fake.script(Reply.toolCall("c", "t_echo", "{\"more\":true}").withUsage(40, 10));
    int maxSteps = 110;
    String id =
        gh.submit("{\"workflow\":\"agent\",\"input\":{\"model\":\"ev-model\",\"goal\":\"go on\",\"tools\":[\"t.echo\"],"
            + "\"limits\":{\"maxSteps\":" + maxSteps + ",\"maxOutputTokens\":50}}}");
    List<Sse> all;
    try (Stream s = open(KEY_A, id, null)) {
      all = s.rest();
    }
    List<Sse> modelSteps =
        all.stream().filter(e -> e.name().equals("step.finished") && e.data().get("kind").asText().equals("model")).toList();
    assertThat(modelSteps).hasSize(maxSteps);
    assertThat(modelSteps).allSatisfy(e -> assertThat(e.data().get("usage").get("inputTokens").asLong()).isEqualTo(40));
    assertThat(modelSteps.get(maxSteps - 1).data().get("step").asText()).isEqualTo("model-" + maxSteps);
    Sse end = all.get(all.size() - 1);
    assertThat(summary(end)).isEqualTo("task.ended COMPLETED");
    assertThat(end.data().get("stopReason").asText()).isEqualTo("max_steps");
    assertThat(all.stream().map(e -> e.id().split(":")[0]).distinct().count()).as("runs the stream crossed").isGreaterThan(1);
    assertThat(all.stream().filter(e -> e.name().equals("task.started"))).hasSize(1);
  }

  @Test
  void anotherAgentsTaskAndForeignEventIdsAreRefused() throws Exception {
    String id = gh.submit("{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.echo\",\"args\":{}}]}}");
    gh.await(id);
    HttpResponse<String> other = gh.get("/v1/tasks/" + id + "/events", KEY_B);
    assertThat(other.statusCode()).isEqualTo(404);
    assertThat(json(other).get("error").get("code").asText()).isEqualTo("task_not_found");
    HttpResponse<String> bad = gh.send(
        HttpRequest.newBuilder(URI.create(gh.api() + "/v1/tasks/" + id + "/events")).header("Last-Event-ID", "not an id"), KEY_A);
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(json(bad).get("error").get("code").asText()).isEqualTo("invalid_request");
    HttpResponse<String> foreign = gh.send(
        HttpRequest.newBuilder(URI.create(gh.api() + "/v1/tasks/" + id + "/events"))
            .header("Last-Event-ID", "8d9b2f3e-0000-4000-8000-000000000000:3"), KEY_A);
    assertThat(foreign.statusCode()).as(foreign.body()).isEqualTo(400);
    assertThat(json(foreign).get("error").get("message").asText()).contains("names no event of this task");
    // Only ids as the stream writes them: a leading zero names no id it gave.
    String given;
    try (Stream s = open(KEY_A, id, null)) {
      given = s.next().id();
    }
    assertThat(given).matches("[0-9a-f-]+:[1-9][0-9]*");
    String padded = given.substring(0, given.indexOf(':') + 1) + "0" + given.substring(given.indexOf(':') + 1);
    HttpResponse<String> zero = gh.send(
        HttpRequest.newBuilder(URI.create(gh.api() + "/v1/tasks/" + id + "/events")).header("Last-Event-ID", padded), KEY_A);
    assertThat(zero.statusCode()).as(zero.body()).isEqualTo(400);
    assertThat(json(zero).get("error").get("code").asText()).isEqualTo("invalid_request");
  }

  @Test
  void oneAgentCannotTakeEveryEventStreamOfTheReplica() throws Exception {
    String hold = "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"h\",\"tool\":\"t.hold\",\"args\":{\"name\":\"ev-share\"}}]}}";
    String mine = gh.submit(KEY_A, hold);
    String theirs = gh.submit(KEY_B, hold);
    List<Stream> open = new ArrayList<>();
    try {
      for (int i = 0; i < TaskService.MAX_EVENT_STREAMS_PER_AGENT; i++) {
        open.add(open(KEY_A, mine, null));
      }
      HttpResponse<String> refused = gh.get("/v1/tasks/" + mine + "/events", KEY_A);
      assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
      assertThat(json(refused).path("error").path("code").asText()).isEqualTo("overloaded");
      assertThat(json(refused).path("error").path("message").asText()).contains("this agent has");
      // Another agent's stream is not refused for it.
      open.add(open(KEY_B, theirs, null));
    } finally {
      for (Stream s : open) {
        s.close();
      }
      gh.tools.release("ev-share");
    }
  }

  /**
   * A client that closes one of its streams at the agent's limit gets a stream again a second
   * after the refusal that found the limit taken, not once the gone stream's next keep-alive (up
   * to {@link TaskEventStream#KEEP_ALIVE} later) fails.
   */
  @Test
  void aStreamWhoseClientHasGoneGivesItsSlotBackWhenTheAgentIsRefusedForIt() throws Exception {
    String hold = "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"h\",\"tool\":\"t.hold\",\"args\":{\"name\":\"ev-gone\"}}]}}";
    String task = gh.submit(KEY_A, hold);
    List<Stream> open = new ArrayList<>();
    URI api = URI.create(gh.api());
    try (java.net.Socket gone = new java.net.Socket(api.getHost(), api.getPort())) {
      gone.getOutputStream().write(
          ("GET /v1/tasks/" + task + "/events HTTP/1.1\r\nHost: " + api.getHost() + ":" + api.getPort()
                  + "\r\nAuthorization: Bearer " + KEY_A + "\r\nAccept: text/event-stream\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      BufferedReader head = new BufferedReader(new InputStreamReader(gone.getInputStream(), StandardCharsets.US_ASCII));
      assertThat(head.readLine()).startsWith("HTTP/1.1 200");
      // Read until the held step has started: from then on the server has nothing to write to this
      // stream for a while (the step holds 30 s, a keep-alive is 15 s away). An event still to come
      // when the client goes would find it gone at once and give its slot back before the test looks.
      for (String line = head.readLine(); line != null && !line.equals("event: step.started"); line = head.readLine()) {
        // the head, task.started
      }
      for (int i = 1; i < TaskService.MAX_EVENT_STREAMS_PER_AGENT; i++) {
        open.add(open(KEY_A, task, null));
      }
      assertThat(gh.get("/v1/tasks/" + task + "/events", KEY_A).statusCode()).isEqualTo(429);
      gone.close(); // the client goes, without a word; the server writes nothing to it for a while

      HttpResponse<String> refused = gh.get("/v1/tasks/" + task + "/events", KEY_A);
      assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
      assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); // a keep-alive is 15 s away
      Stream again = null;
      while (again == null) {
        Thread.sleep(1_000); // as Retry-After says
        HttpResponse<InputStream> r =
            HTTP.send(
                HttpRequest.newBuilder(URI.create(gh.api() + "/v1/tasks/" + task + "/events"))
                    .header("Authorization", "Bearer " + KEY_A)
                    .header("Accept", "text/event-stream")
                    .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() == 200) {
          again = new Stream(r);
        } else {
          r.body().close();
          assertThat(r.statusCode()).isEqualTo(429);
          assertThat(System.nanoTime() - deadline).as("the gone stream's slot was not given back within 5 s").isNegative();
        }
      }
      open.add(again);
      assertThat(gh.get("/v1/tasks/" + task + "/events", KEY_A).statusCode()).isEqualTo(429); // the share holds
    } finally {
      for (Stream s : open) {
        s.close();
      }
      gh.tools.release("ev-gone");
    }
  }
}
