package dev.gatehouse.frontend.mcp;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_B;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.mcp.McpJson;
import dev.gatehouse.frontend.testing.CapturedLogs;
import dev.gatehouse.frontend.testing.McpWire;
import dev.gatehouse.frontend.testing.TestGatehouse;
import dev.gatehouse.registry.agents.AccessList;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.agents.Permissions;
import dev.gatehouse.registry.agents.ApprovalRules;
import dev.gatehouse.registry.mcp.McpServerDao;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.mcp.VirtualServer;
import dev.gatehouse.registry.mcp.VirtualServerDao;
import dev.gatehouse.registry.tools.RetrySpec;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The MCP face end to end with real parts: Gatehouse (embedded Temporal, real PostgreSQL), real
 * upstream MCP servers (the Java SDK on Jetty), and the Java SDK's client over Streamable HTTP.
 */
class McpGatewayTest {
  private static TestGatehouse g;
  private static ConformanceUpstream conformance;
  private static NotesUpstream notes;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    conformance = ConformanceUpstream.start();
    notes = new NotesUpstream();
    g =
        TestGatehouse.start(
            c -> {
              c.getMcp().setHealthInterval(io.dropwizard.util.Duration.milliseconds(300));
              // Short, so a permission change made straight in the database shows within the test.
              c.getCaches().setCredentials(io.dropwizard.util.Duration.milliseconds(300));
              c.getMcp().setUpstreamCredentialsCheck(io.dropwizard.util.Duration.milliseconds(300));
            });
    McpServerDao servers = g.db.jdbi().onDemand(McpServerDao.class);
    servers.insert(server("conf", conformance.url(), null, null));
    servers.insert(server("notes", notes.url(), null, new RetrySpec(3, Duration.ofMillis(50), 1.0, Duration.ofMillis(50))));
    McpServerDefinition direct = server("confd", conformance.url(), null, null);
    servers.insert(
        new McpServerDefinition(
            direct.name(), null, direct.transport(), direct.url(), null, null, null, null, null, null,
            direct.timeout(), null, null, null, McpServerDefinition.DIRECT, null));
    McpServerDefinition notesDirect = server("notesd", notes.url(), null, null);
    servers.insert(
        new McpServerDefinition(
            notesDirect.name(), null, notesDirect.transport(), notesDirect.url(), null, null, null, null, null, null,
            notesDirect.timeout(), null, null, null, McpServerDefinition.DIRECT, null));
    g.db.jdbi().onDemand(VirtualServerDao.class).insert(new VirtualServer("readers", null, "read-only", List.of("notes.read_note", "t.weather")));
    try (McpSyncClient client = client(KEY_A, "/mcp")) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      // Each registration is discovered on its own: wait for all four.
      while (!client.listTools().tools().stream().map(McpSchema.Tool::name).toList()
          .containsAll(List.of("notes.write_note", "conf.test_simple_text", "confd.test_tool_with_progress", "notesd.read_note"))) {
        assertThat(System.nanoTime()).as("upstream tools discovered in time").isLessThan(deadline);
        Thread.sleep(100);
      }
    }
  }

  @AfterAll
  static void stop() throws Exception {
    g.close();
    notes.close();
    conformance.close();
  }

  static McpServerDefinition server(String name, String url, String prefix, RetrySpec retry) {
    return new McpServerDefinition(
        name, null, McpServerDefinition.STREAMABLE_HTTP, url, null, null, null, null, null, null,
        Duration.ofSeconds(10), null, retry, prefix, null, null);
  }

  static McpSyncClient client(String key, String path) {
    return client(g, key, path);
  }

  static McpSyncClient client(TestGatehouse gateway, String key, String path) {
    return client(gateway, key, path, spec -> spec);
  }

  /** An initialized SDK client of {@code gateway}'s {@code path}, built as {@code customize} adds to the usual. */
  static McpSyncClient client(
      TestGatehouse gateway, String key, String path, java.util.function.UnaryOperator<McpClient.SyncSpec> customize) {
    var transport =
        HttpClientStreamableHttpTransport.builder(gateway.api())
            .endpoint(path)
            .jsonMapper(McpJson.MAPPER)
            .requestBuilder(HttpRequest.newBuilder().header("Authorization", "Bearer " + key))
            .build();
    McpSyncClient client =
        customize.apply(McpClient.sync(transport).jsonSchemaValidator(McpJson.PASS_THROUGH).requestTimeout(Duration.ofSeconds(20)))
            .build();
    client.initialize();
    return client;
  }

  private static String text(McpSchema.CallToolResult r) {
    return ((McpSchema.TextContent) r.content().get(0)).text();
  }

  @Test
  void anAgentSeesHttpAndUpstreamToolsUnderOneNamespace() {
    try (McpSyncClient client = client(KEY_A, "/mcp")) {
      List<String> names = client.listTools().tools().stream().map(McpSchema.Tool::name).toList();
      assertThat(names).contains("t.weather", "t.echo", "notes.write_note", "notes.read_note", "conf.test_simple_text");
      McpSchema.Tool read = client.listTools().tools().stream().filter(t -> t.name().equals("notes.read_note")).findFirst().orElseThrow();
      assertThat(read.annotations().readOnlyHint()).isTrue();
      assertThat(read.inputSchema().get("required")).isEqualTo(List.of("name"));
    }
  }

  @Test
  void anAgentsRootsAreAskedForAndItsAnswerReachesTheSdk() {
    // Gatehouse asks the agent for its roots (through the SDK, on the GET stream) when it opens an
    // upstream session for it; the agent's answer is a response Gatehouse awaits, so it must get
    // through the filter that drops responses nobody awaits. Were it dropped, the ask would time
    // out after 5 s and say so in GatewaySession's debug log.
    try (CapturedLogs logged = CapturedLogs.of("dev.gatehouse.frontend.mcp.GatewaySession", ch.qos.logback.classic.Level.DEBUG);
        McpSyncClient client =
            client(g, KEY_A, "/mcp", spec -> spec
                .capabilities(McpSchema.ClientCapabilities.builder().roots(true).build())
                .roots(new McpSchema.Root("file:///srv/agent-work", "work")))) {
      notes.notes.put("roots-1", "rooted");
      McpSchema.CallToolResult r = client.callTool(new McpSchema.CallToolRequest("notesd.read_note", Map.of("name", "roots-1")));
      assertThat(text(r)).isEqualTo("rooted");
      assertThat(logged.messages()).noneMatch(m -> m.contains("did not list its roots"));
    }
  }

  @Test
  void anAgentsRootsReachItsUpstreamSessionsOnceItAnswers() throws Exception {
    try (McpSyncClient client =
        client(g, KEY_A, "/mcp", spec -> spec
            .capabilities(McpSchema.ClientCapabilities.builder().roots(true).build())
            .roots(new McpSchema.Root("file:///srv/agent-roots", "work")))) {
      // Asked of the agent when its first upstream session opens, given to that session when it
      // answers (the upstream is told the list changed): the upstream reads them within moments.
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      String roots = "";
      while (!roots.contains("file:///srv/agent-roots") && System.nanoTime() < deadline) {
        roots = text(client.callTool(new McpSchema.CallToolRequest("notesd.roots", Map.of())));
        Thread.sleep(50);
      }
      assertThat(roots).isEqualTo("file:///srv/agent-roots");
    }
  }

  /**
   * An agent that declares roots and never answers roots/list: the call that opened an upstream
   * session held a shared worker thread for the 5 s the ask may take, and an audit stalled every
   * agent's MCP calls with a few such sessions. The call no longer waits for the agent's roots.
   */
  @Test
  void aCallDoesNotWaitForAnAgentThatNeverListsItsRoots() throws Exception {
    String endpoint = g.api() + "/mcp";
    HttpResponse<String> init =
        post(KEY_A, null,
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                + "\"capabilities\":{\"roots\":{\"listChanged\":true}},\"clientInfo\":{\"name\":\"silent\",\"version\":\"1\"}}}");
    String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
    post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    // The GET stream the ask arrives on, read only to see the ask come; never answered.
    // Open (its headers in) before the call, so the ask has a stream to go out on.
    HttpResponse<java.util.stream.Stream<String>> open =
        java.net.http.HttpClient.newHttpClient()
            .sendAsync(
                HttpRequest.newBuilder(URI.create(endpoint)).GET().header("Accept", "text/event-stream")
                    .header("Authorization", "Bearer " + KEY_A).header("Mcp-Session-Id", session).build(),
                HttpResponse.BodyHandlers.ofLines())
            .get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(open.statusCode()).isEqualTo(200);
    var asked =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> open.body().filter(l -> l.contains("roots/list")).findFirst().orElse(""));
    try (CapturedLogs logged = CapturedLogs.of("dev.gatehouse.frontend.mcp.GatewaySession", ch.qos.logback.classic.Level.DEBUG)) {
      notes.notes.put("silent-1", "answered");
      JsonNode answer =
          rpcAnswer(post(KEY_A, session,
              "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"notesd.read_note\",\"arguments\":{\"name\":\"silent-1\"}}}"));
      assertThat(answer.at("/result/content/0/text").asText()).as(answer.toString()).isEqualTo("answered");
      // The ask went out, and the call was answered before it gave up on the agent (5 s).
      assertThat(asked.get(10, java.util.concurrent.TimeUnit.SECONDS)).contains("roots/list");
      assertThat(logged.messages()).noneMatch(m -> m.contains("did not list its roots"));
    } finally {
      g.send(HttpRequest.newBuilder(URI.create(endpoint)).DELETE().header("Mcp-Session-Id", session), KEY_A);
    }
  }

  @Test
  void aReadOnlyToolRunsDirectlyWithoutATask() {
    try (McpSyncClient client = client(KEY_A, "/mcp")) {
      notes.notes.put("n1", "hello");
      McpSchema.CallToolResult r =
          client.callTool(new McpSchema.CallToolRequest("notes.read_note", Map.of("name", "n1")));
      assertThat(text(r)).isEqualTo("hello");
      int tasksBefore = g.json(g.get("/v1/tasks?limit=200", KEY_A)).path("tasks").size();
      client.callTool(new McpSchema.CallToolRequest("notes.read_note", Map.of("name", "n1")));
      assertThat(g.json(g.get("/v1/tasks?limit=200", KEY_A)).path("tasks").size()).as("direct calls start no task").isEqualTo(tasksBefore);
    }
  }

  @Test
  void anUpstreamToolWhoseSchemaRefersToItselfWithoutEndIsRefusedPromptlyAndRepeatedly() {
    // Each such call once left its request thread waiting for good, holding a direct-call permit:
    // 128 of them shut off every direct call of the replica.
    try (McpSyncClient client = client(KEY_A, "/mcp")) {
      for (int i = 0; i < 3; i++) {
        // Arguments Gatehouse cannot check are refused as arguments are: invalid params, invalid_arguments.
        assertThatThrownBy(() -> client.callTool(new McpSchema.CallToolRequest("notes.loop", Map.of("a", 1))))
            .isInstanceOfSatisfying(io.modelcontextprotocol.spec.McpError.class, e -> {
              assertThat(e.getJsonRpcError().code()).isEqualTo(-32602);
              assertThat(e.getJsonRpcError().message()).contains("inputSchema of notes.loop cannot be used").contains("$ref loop");
              assertThat(e.getJsonRpcError().data().toString()).contains("invalid_arguments");
            });
      }
      notes.notes.put("n-after-loop", "still here");
      assertThat(text(client.callTool(new McpSchema.CallToolRequest("notes.read_note", Map.of("name", "n-after-loop"))))).isEqualTo("still here");
    }
  }

  @Test
  void aDurableCallWhoseUpstreamFailsTwiceSucceedsAndItsTraceShowsTheAttempts() {
    try (McpSyncClient client = client(KEY_A, "/mcp")) {
      notes.failNextCalls.set(2);
      int writes = notes.writes.get();
      int sessionsEnded = notes.sessionsEnded.get();
      McpSchema.CallToolResult r =
          client.callTool(new McpSchema.CallToolRequest("notes.write_note", Map.of("name", "n2", "text", "durable")));
      assertThat(text(r)).isEqualTo("stored");
      // A 503 is the server answering: the shared session with it stands (others are using it).
      assertThat(notes.sessionsEnded.get()).as("sessions the gateway ended with the upstream").isEqualTo(sessionsEnded);
      assertThat(notes.notes).containsEntry("n2", "durable");
      assertThat(notes.writes.get() - writes).isEqualTo(1);
      String taskId = String.valueOf(r.meta().get("dev.gatehouse/task-id"));
      assertThat(taskId).startsWith("task_");
      assertThat(notes.idempotencyKeys.get(notes.idempotencyKeys.size() - 1)).startsWith(taskId + "/");

      JsonNode task = g.json(g.get("/v1/tasks/" + taskId, KEY_A));
      assertThat(task.path("workflow").asText()).isEqualTo("tool-call");
      assertThat(task.path("status").asText()).isEqualTo("COMPLETED");
      JsonNode trace = g.json(g.get("/v1/tasks/" + taskId + "/trace", KEY_A));
      assertThat(trace.toString()).contains("notes.write_note");
      assertThat(trace.findValues("attempts").stream().mapToInt(JsonNode::asInt).max().orElse(0)).isEqualTo(3);
    }
  }

  private static List<McpSchema.ProgressNotification> callWithProgress(String tool) {
    List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
    var transport =
        HttpClientStreamableHttpTransport.builder(g.api())
            .endpoint("/mcp")
            .jsonMapper(McpJson.MAPPER)
            .requestBuilder(HttpRequest.newBuilder().header("Authorization", "Bearer " + KEY_A))
            .build();
    try (McpSyncClient client =
        McpClient.sync(transport).jsonSchemaValidator(McpJson.PASS_THROUGH).progressConsumer(progress::add).build()) {
      client.initialize();
      McpSchema.CallToolResult r =
          client.callTool(McpSchema.CallToolRequest.builder().name(tool).arguments(Map.of()).progressToken("p-1").build());
      assertThat(r.isError()).isNotEqualTo(Boolean.TRUE);
    }
    return progress;
  }

  @Test
  void progressTravelsThroughTheDirectPath() throws Exception {
    List<McpSchema.ProgressNotification> progress = callWithProgress("confd.test_tool_with_progress");
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (progress.size() < 3 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(progress).hasSize(3).allSatisfy(p -> assertThat(p.progressToken()).isEqualTo("p-1"));
    assertThat(progress.get(2).progress()).isEqualTo(100.0);
  }

  @Test
  void progressTravelsThroughTheDurablePath() throws Exception {
    // The upstream reports 0, 50 and 100 within a few hundred ms; the durable path relays the
    // latest the activity's heartbeat carried each time the front end looked.
    List<McpSchema.ProgressNotification> progress = callWithProgress("conf.test_tool_with_progress");
    assertThat(progress).isNotEmpty().allSatisfy(p -> assertThat(p.progressToken()).isEqualTo("p-1"));
  }

  @Test
  void cancellingADurableCallAnswersAtOnceAndCancelsItsTask() throws Exception {
    String session = initialize(KEY_A);
    int sessionsEnded = notes.sessionsEnded.get();
    var pending = waitingCall(session, "notes.wait", "77", 6);
    long cancelledAt = System.nanoTime();
    post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":77,\"reason\":\"user\"}}");
    HttpResponse<String> answer = pending.get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(Duration.ofNanos(System.nanoTime() - cancelledAt)).isLessThan(Duration.ofSeconds(10));
    assertThat(rpcError(answer).path("data").path("code").asText()).isEqualTo("canceled");
    String id = newestToolCallTask();
    assertThat(g.await(KEY_A, id).path("status").asText()).isEqualTo("CANCELED");
    // The interrupted activity gave up its own call, not the session other calls share.
    assertThat(notes.sessionsEnded.get()).as("sessions the gateway ended with the upstream").isEqualTo(sessionsEnded);
  }

  @Test
  void aDirectCallIsPlainJsonUnlessSomethingMustReachTheAgentFirst() throws Exception {
    String session = initialize(KEY_A);
    notes.notes.put("plain", "just json");
    HttpResponse<String> plain =
        post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":\"r-1\",\"method\":\"tools/call\",\"params\":{\"name\":\"notes.read_note\",\"arguments\":{\"name\":\"plain\"}}}");
    assertThat(plain.statusCode()).isEqualTo(200);
    assertThat(plain.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
    JsonNode answer = McpJson.OBJECT_MAPPER.readTree(plain.body());
    assertThat(answer.path("id").asText()).isEqualTo("r-1");
    assertThat(answer.path("result").path("content").path(0).path("text").asText()).isEqualTo("just json");

    // Progress comes first: the answer becomes an event stream, progress events then the result.
    HttpResponse<String> streamed =
        post(KEY_A, session,
            "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"confd.test_tool_with_progress\",\"arguments\":{},\"_meta\":{\"progressToken\":\"tok\"}}}");
    assertThat(streamed.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    List<JsonNode> events = new java.util.ArrayList<>();
    for (String line : streamed.body().split("\n")) {
      if (line.startsWith("data:")) {
        events.add(McpJson.OBJECT_MAPPER.readTree(line.substring(5).trim()));
      }
    }
    assertThat(events).hasSize(4);
    assertThat(events.subList(0, 3))
        .allSatisfy(e -> assertThat(e.path("method").asText()).isEqualTo("notifications/progress"))
        .allSatisfy(e -> assertThat(e.path("params").path("progressToken").asText()).isEqualTo("tok"));
    assertThat(events.get(3).path("id").asInt()).isEqualTo(5);
    assertThat(events.get(3).has("result")).isTrue();
    // No SSE ids, which Gatehouse could not resume by (see the listening stream's, below).
    assertThat(streamed.body().lines()).as(streamed.body()).noneMatch(l -> l.startsWith("id:"));
  }

  @Test
  void cancellingADirectCallAnswersAtOnce() throws Exception {
    String session = initialize(KEY_A);
    long tasksBefore = toolCallTasks();
    notes.waitStarted.drainPermits();
    var pending = waitingCall(session, "notesd.wait", "\"w-1\"", 8);
    HttpResponse<String> note =
        post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"w-1\"}}");
    assertThat(note.statusCode()).isEqualTo(202);
    // Well before the upstream's 8 s: the wait stopped when the agent cancelled.
    HttpResponse<String> answer = pending.get(5, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(rpcError(answer).path("data").path("code").asText()).isEqualTo("canceled");
    assertThat(toolCallTasks()).as("a direct call runs no workflow").isEqualTo(tasksBefore);
  }

  /**
   * An MCP tool's answer over {@code limits.maxToolResponse} (256 KiB here) is refused as an HTTP
   * tool's is: a probe got 10 MB results through the direct path whole, and stored 1.5 MB ones in
   * durable tasks.
   */
  @Test
  void anMcpToolsAnswerOverTheResponseCapIsRefused() throws Exception {
    notes.notes.put("huge", "x".repeat(300 * 1024));
    notes.notes.put("fits", "y".repeat(200 * 1024));
    try (McpSyncClient client = client(KEY_A, "/mcp")) {
      McpSchema.CallToolResult refused = client.callTool(new McpSchema.CallToolRequest("notesd.read_note", Map.of("name", "huge")));
      assertThat(refused.isError()).isTrue();
      assertThat(text(refused)).contains("larger than the cap of 262144 bytes").doesNotContain("xxxx");
      assertThat(McpJson.OBJECT_MAPPER.valueToTree(refused.meta()).path("dev.gatehouse/error").path("code").asText()).isEqualTo("response_too_large");
      assertThat(text(client.callTool(new McpSchema.CallToolRequest("notesd.read_note", Map.of("name", "fits"))))).hasSize(200 * 1024);
    } finally {
      notes.notes.remove("huge");
      notes.notes.remove("fits");
    }
  }

  /**
   * A request id still in flight in the session is refused for a second call: a probe that reused
   * one got the second call run, and the first, hidden from cancel and from the session's end,
   * ran to its upstream's answer after its session was gone.
   */
  @Test
  void aRequestIdInFlightIsRefusedForAnotherCallAndTheFirstStaysCancellable() throws Exception {
    String session = initialize(KEY_A);
    notes.waitStarted.drainPermits();
    var first = waitingCall(session, "notesd.wait", "\"dup\"", 8);
    HttpResponse<String> second =
        post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":\"dup\",\"method\":\"tools/call\",\"params\":{\"name\":\"notesd.wait\",\"arguments\":{\"seconds\":1}}}");
    assertThat(rpcError(second).path("data").path("code").asText()).isEqualTo("invalid_request");
    assertThat(notes.waitStarted.tryAcquire(500, java.util.concurrent.TimeUnit.MILLISECONDS)).as("the refused call reached no upstream").isFalse();
    post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"dup\"}}");
    HttpResponse<String> answer = first.get(5, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(rpcError(answer).path("data").path("code").asText()).isEqualTo("canceled");
  }

  /** A progress token is a string or an integer (MCP); a probe's objects, floats and arrays were sent upstream and back. */
  @Test
  void aProgressTokenOfAnotherTypeIsInvalidParams() throws Exception {
    String session = initialize(KEY_A);
    for (String token : List.of("{}", "1.5", "[1]", "true")) {
      HttpResponse<String> r =
          post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":\"p-1\",\"method\":\"tools/call\",\"params\":{\"name\":\"notesd.read_note\","
              + "\"arguments\":{\"name\":\"x\"},\"_meta\":{\"progressToken\":" + token + "}}}");
      assertThat(rpcError(r).path("data").path("code").asText()).as(token).isEqualTo("invalid_params");
    }
    HttpResponse<String> fine =
        post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":\"p-2\",\"method\":\"tools/call\",\"params\":{\"name\":\"notesd.read_note\","
            + "\"arguments\":{\"name\":\"x\"},\"_meta\":{\"progressToken\":42}}}");
    assertThat(rpcAnswer(fine).has("result")).as(fine.body()).isTrue();
  }

  /** JSON-RPC ids 7 and "7" are different requests: cancelling one leaves the other. */
  @Test
  void cancellingTheStringSevenLeavesTheCallWithIdSeven() throws Exception {
    String session = initialize(KEY_A);
    notes.waitStarted.drainPermits();
    var pending = waitingCall(session, "notesd.wait", "7", 2);
    assertThat(post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"7\"}}").statusCode()).isEqualTo(202);
    JsonNode answer = rpcAnswer(pending.get(20, java.util.concurrent.TimeUnit.SECONDS));
    assertThat(answer.has("result")).as(answer::toString).isTrue();
    assertThat(answer.path("id").isInt()).isTrue();
  }

  /**
   * A session the agent ends (DELETE) stops its direct calls in flight: a probe's call held its
   * slot (and the upstream its work) until the upstream answered, seconds after the session had
   * gone. A durable call's task runs on (see the next test).
   */
  @Test
  void endingASessionStopsItsDirectCallsInFlight() throws Exception {
    String session = initialize(KEY_A);
    notes.waitStarted.drainPermits();
    var pending = waitingCall(session, "notesd.wait", "\"d-1\"", 8);
    HttpResponse<String> ended =
        endSession(session);
    assertThat(ended.statusCode()).isEqualTo(200);
    // Well before the upstream's 8 s.
    HttpResponse<String> answer = pending.get(5, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(rpcError(answer).path("data").path("code").asText()).isEqualTo("canceled");
  }

  @Test
  void aDurableCallsTaskOutlivesItsSession() throws Exception {
    String session = initialize(KEY_A);
    notes.waitStarted.drainPermits();
    var pending = waitingCall(session, "notes.wait", "78", 2);
    endSession(session);
    pending.get(10, java.util.concurrent.TimeUnit.SECONDS);
    String id = newestToolCallTask();
    assertThat(g.await(KEY_A, id).path("status").asText()).isEqualTo("COMPLETED");
  }

  @Test
  void cancellingADirectHttpToolCallAnswersAtOnce() throws Exception {
    String session = initialize(KEY_A);
    var pending =
        postLater(session, "{\"jsonrpc\":\"2.0\",\"id\":91,\"method\":\"tools/call\",\"params\":{\"name\":\"t.hold\",\"arguments\":{\"name\":\"mcp-cancel\"}}}");
    try {
      assertThat(g.tools.arrived("mcp-cancel").await(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":91}}");
      // The HTTP tool still holds its request (30 s timeout): the answer does not wait for it.
      HttpResponse<String> answer = pending.get(5, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(rpcError(answer).path("data").path("code").asText()).isEqualTo("canceled");
      // Recorded as what it was: the agent's cancel, not a failure of the upstream. The row is
      // written by the call's own thread once it has stopped, which may be after the answer went.
      for (int i = 0; i < 100 && auditOutcomes("t.hold").isEmpty(); i++) {
        Thread.sleep(100);
      }
      assertThat(auditOutcomes("t.hold")).containsExactly("canceled");
    } finally {
      g.tools.release("mcp-cancel");
    }
  }

  /**
   * A request to /mcp has an id as on every other path: the agent's sane {@code X-Request-Id} or a
   * new one, echoed in the answer and kept on the direct call's audit row, so what an agent reports
   * can be found there (direct tool.call rows had none).
   */
  @Test
  void aDirectCallsAuditRowCarriesTheAgentsRequestId() throws Exception {
    String session = initialize(KEY_A);
    notes.notes.put("n-req", "kept");
    HttpResponse<String> r =
        post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"notesd.read_note\",\"arguments\":{\"name\":\"n-req\"}}}",
            "X-Request-Id", "agent-trace.49:1");
    assertThat(rpcAnswer(r).path("result").path("isError").asBoolean()).as(r.body()).isFalse();
    assertThat(r.headers().firstValue("X-Request-Id")).contains("agent-trace.49:1");
    HttpResponse<String> unnamed =
        post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/list\"}", "X-Request-Id", "not sane; " + "x".repeat(200));
    assertThat(unnamed.headers().firstValue("X-Request-Id")).hasValueSatisfying(id -> assertThat(id).matches("req_[0-9a-f]{32}"));

    g.application().audit().flush();
    List<String> ids = new java.util.ArrayList<>();
    for (JsonNode row : g.json(g.get("/admin/v1/audit?kind=tool.call&limit=200", TestGatehouse.ADMIN_KEY)).path("items")) {
      if (row.path("target").asText().equals("notesd.read_note")) {
        ids.add(row.path("requestId").asText(null));
      }
    }
    assertThat(ids).contains("agent-trace.49:1");
  }

  /** The outcomes of the tool.call audit rows of {@code tool}, oldest first. */
  private static List<String> auditOutcomes(String tool) throws InterruptedException {
    g.application().audit().flush();
    List<String> outcomes = new java.util.ArrayList<>();
    for (JsonNode r : g.json(g.get("/admin/v1/audit?kind=tool.call&limit=200", TestGatehouse.ADMIN_KEY)).path("items")) {
      if (r.path("target").asText().equals(tool)) {
        outcomes.add(0, r.path("outcome").asText()); // newest first in the answer
      }
    }
    return outcomes;
  }

  /** The denied tool.call audit rows of {@code tool} by agent {@code agentId}, as "code by policy". */
  private static List<String> denials(String tool, String agentId) throws InterruptedException {
    g.application().audit().flush();
    List<String> out = new java.util.ArrayList<>();
    for (JsonNode r : g.json(g.get("/admin/v1/audit?kind=tool.call&limit=200", TestGatehouse.ADMIN_KEY)).path("items")) {
      if (r.path("target").asText().equals(tool) && r.path("agentId").asText().equals(agentId) && r.path("decision").asText().equals("deny")) {
        out.add(r.path("outcome").asText() + " by " + r.path("policy").asText());
      }
    }
    return out;
  }

  /** Ends {@code session} (DELETE) as agent A. */
  private static HttpResponse<String> endSession(String session) {
    return g.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(g.api() + "/mcp")).DELETE().header("Mcp-Session-Id", session), KEY_A);
  }

  /** The id of agent A's newest durable tool call task. */
  private static String newestToolCallTask() {
    for (JsonNode t : g.json(g.get("/v1/tasks?limit=200", KEY_A)).path("tasks")) {
      if (t.path("workflow").asText().equals("tool-call")) {
        return t.path("id").asText(); // newest first
      }
    }
    throw new AssertionError("no tool-call task");
  }

  /** POSTs {@code body} in the session from another thread: the answer, once it comes. */
  /**
   * Calls {@code tool} (a wait of {@code seconds}) in the session with JSON-RPC id {@code idJson}
   * from another thread; returns its answer to come once the upstream's wait has started.
   */
  private static java.util.concurrent.CompletableFuture<HttpResponse<String>> waitingCall(String session, String tool, String idJson, int seconds)
      throws InterruptedException {
    var pending =
        postLater(session, "{\"jsonrpc\":\"2.0\",\"id\":" + idJson + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
            + "\",\"arguments\":{\"seconds\":" + seconds + "}}}");
    assertThat(notes.waitStarted.tryAcquire(20, java.util.concurrent.TimeUnit.SECONDS)).as(() -> "the upstream's wait started; the call's answer: " + answerSoFar(pending)).isTrue();
    return pending;
  }

  private static java.util.concurrent.CompletableFuture<HttpResponse<String>> postLater(String session, String body) {
    return java.util.concurrent.CompletableFuture.supplyAsync(
        () -> {
          try {
            return post(KEY_A, session, body);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  /** What a call started with {@link #postLater} has answered so far, for an assertion's message. */
  private static String answerSoFar(java.util.concurrent.CompletableFuture<HttpResponse<String>> pending) {
    if (!pending.isDone()) {
      return "none yet";
    }
    try {
      HttpResponse<String> r = pending.join();
      return r.statusCode() + " " + r.body();
    } catch (RuntimeException e) {
      return e.toString();
    }
  }

  private static long toolCallTasks() throws Exception {
    JsonNode tasks = g.json(g.get("/v1/tasks?limit=200", KEY_A)).path("tasks");
    long n = 0;
    for (JsonNode t : tasks) {
      n += t.path("workflow").asText().equals("tool-call") ? 1 : 0;
    }
    return n;
  }

  @Test
  void aToolCallWithoutBothAcceptTypesIsRefused() throws Exception {
    String session = initialize(KEY_A);
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(g.api() + "/mcp"))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .header("Authorization", "Bearer " + KEY_A)
                .header("Mcp-Session-Id", session)
                .POST(HttpRequest.BodyPublishers.ofString(
                    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"notes.read_note\",\"arguments\":{\"name\":\"x\"}}}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(rpcError(r).path("data").path("code").asText()).isEqualTo("invalid_request");
  }

  @Test
  void aRetriedDurableCallWithTheSameIdempotencyKeyRunsOnce() throws Exception {
    String session = initialize(KEY_A);
    int writes = notes.writes.get();
    String call =
        "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":{\"name\":\"notes.write_note\",\"arguments\":{\"name\":\"idem\",\"text\":\"once\"}}}";
    HttpResponse<String> first = post(KEY_A, session, call.formatted(11), "Idempotency-Key", "mcp-idem-1");
    HttpResponse<String> again = post(KEY_A, session, call.formatted(12), "Idempotency-Key", "mcp-idem-1");
    String firstTask = result(first).path("_meta").path("dev.gatehouse/task-id").asText();
    assertThat(firstTask).startsWith("task_");
    assertThat(result(again).path("_meta").path("dev.gatehouse/task-id").asText()).isEqualTo(firstTask);
    assertThat(notes.writes.get() - writes).as("the upstream ran the call once").isEqualTo(1);
  }

  /**
   * The same call again after the engine let its task go (dev mode restarted, its retention
   * passed): how the task ended, as its index row says, not internal_error; and a call whose task
   * another request is still starting waits for it, the start failing answered as the engine's.
   */
  @Test
  void aRepeatedDurableCallWhoseWorkflowTheEngineDoesNotHaveAnswersFromTheTaskIndex() throws Exception {
    String agent = g.agentId("agent-a");
    String tenant = g.json(g.get("/admin/v1/agents/" + agent, TestGatehouse.ADMIN_KEY)).path("tenant").asText();
    String arguments = "{\"name\":\"lost\",\"text\":\"once\"}";
    String hash =
        dev.gatehouse.frontend.core.durable.DurableCalls.sha256(
            dev.gatehouse.workflows.tool.ToolCallWorkflow.TYPE + "\nnotes.write_note\n" + McpJson.OBJECT_MAPPER.readTree(arguments));
    var index = g.db.jdbi().onDemand(dev.gatehouse.registry.tasks.TaskIndexDao.class);
    String call = "{\"jsonrpc\":\"2.0\",\"id\":21,\"method\":\"tools/call\",\"params\":{\"name\":\"notes.write_note\",\"arguments\":" + arguments + "}}";
    String session = initialize(KEY_A);
    int writes = notes.writes.get();

    // Ended while the engine had it, then let go: the row's code and message, as an isError result.
    String lost = dev.gatehouse.frontend.core.durable.DurableCalls.taskId(agent, "mcp-lost-1");
    assertThat(index.insert(lost, tenant, agent, "tool-call", "mcp-lost-1", hash)).isTrue();
    assertThat(index.close(lost, "FAILED", "engine_reset", "dev mode keeps workflows in memory and Gatehouse was restarted while this task ran")).isTrue();
    JsonNode failed = result(post(KEY_A, session, call, "Idempotency-Key", "mcp-lost-1"));
    assertThat(failed.path("isError").asBoolean()).as(failed.toString()).isTrue();
    assertThat(failed.path("_meta").path("dev.gatehouse/error").path("code").asText()).isEqualTo("engine_reset");
    assertThat(failed.path("_meta").path("dev.gatehouse/task-id").asText()).isEqualTo(lost);
    assertThat(failed.path("content").get(0).path("text").asText()).contains("restarted").contains(lost);

    // Completed, its history never archived: said so, not a result made up.
    String done = dev.gatehouse.frontend.core.durable.DurableCalls.taskId(agent, "mcp-lost-2");
    assertThat(index.insert(done, tenant, agent, "tool-call", "mcp-lost-2", hash)).isTrue();
    assertThat(index.close(done, "COMPLETED", null, null)).isTrue();
    JsonNode unkept = result(post(KEY_A, session, call, "Idempotency-Key", "mcp-lost-2"));
    assertThat(unkept.path("_meta").path("dev.gatehouse/error").path("code").asText()).as(unkept.toString()).isEqualTo("history_unavailable");

    // Being started by another request (its row is there, its workflow not yet): waited for; when
    // that start fails (its row is taken back), the engine's refusal.
    String starting = dev.gatehouse.frontend.core.durable.DurableCalls.taskId(agent, "mcp-lost-3");
    assertThat(index.insert(starting, tenant, agent, "tool-call", "mcp-lost-3", hash)).isTrue();
    var answer = java.util.concurrent.CompletableFuture.supplyAsync(() -> post(KEY_A, session, call.replace(":21,", ":22,"), "Idempotency-Key", "mcp-lost-3"));
    Thread.sleep(400);
    assertThat(answer).as("still waiting for the workflow being started").isNotDone();
    index.deleteRunning(starting);
    HttpResponse<String> refused = answer.get(20, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(rpcError(refused).path("data").path("code").asText()).as(refused.body()).isEqualTo("engine_unavailable");

    assertThat(notes.writes.get()).as("nothing reached the upstream").isEqualTo(writes);

    // The race itself: the same call at once from several sessions, one task, every answer its result.
    List<String> sessions = new java.util.ArrayList<>();
    for (int i = 0; i < 6; i++) {
      sessions.add(initialize(KEY_A));
    }
    String together = call.replace("\"lost\"", "\"together\"");
    var answers =
        sessions.stream()
            .map(s -> java.util.concurrent.CompletableFuture.supplyAsync(() -> post(KEY_A, s, together, "Idempotency-Key", "mcp-together")))
            .toList();
    java.util.Set<String> tasks = new java.util.HashSet<>();
    for (var a : answers) {
      JsonNode r = result(a.get(30, java.util.concurrent.TimeUnit.SECONDS));
      assertThat(r.path("isError").asBoolean()).as(r.toString()).isFalse();
      tasks.add(r.path("_meta").path("dev.gatehouse/task-id").asText());
    }
    assertThat(tasks).hasSize(1);
    assertThat(notes.writes.get() - writes).as("the upstream ran the call once").isEqualTo(1);
  }

  @Test
  void aServerThatIsDownIsReportedWithoutBreakingTheOthers() throws Exception {
    g.db.jdbi().onDemand(McpServerDao.class).insert(server("ghost", "http://127.0.0.1:1/mcp", null, null));
    var catalog = g.db.jdbi().onDemand(dev.gatehouse.registry.mcp.McpCatalogDao.class);
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!catalog.status("ghost").map(st -> st.state().equals("down")).orElse(false)) {
      assertThat(System.nanoTime()).as("ghost marked down").isLessThan(deadline);
      Thread.sleep(100);
    }
    HttpResponse<String> health = g.adminGet("/healthcheck");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(g.json(health).path("mcp-servers").path("message").asText()).contains("ghost");
    String metrics = g.adminGet("/prometheus").body();
    assertThat(metrics).contains("gatehouse_mcp_server_up{server=\"ghost\",} 0.0").contains("gatehouse_mcp_server_up{server=\"notes\",} 1.0");
    JsonNode admin = g.json(g.get("/admin/v1/mcp-servers/ghost", TestGatehouse.ADMIN_KEY));
    assertThat(admin.path("status").path("state").asText()).isEqualTo("down");
    assertThat(admin.path("status").path("error").asText()).isNotBlank();
    try (McpSyncClient client = client(KEY_A, "/mcp")) {
      notes.notes.put("n9", "still here");
      assertThat(text(client.callTool(new McpSchema.CallToolRequest("notes.read_note", Map.of("name", "n9"))))).isEqualTo("still here");
    } finally {
      g.db.jdbi().onDemand(McpServerDao.class).delete("ghost");
    }
  }

  @Test
  void aServerRecordThatChangesHowItIsReachedAppliesToOpenSessions() throws Exception {
    McpServerDao servers = g.db.jdbi().onDemand(McpServerDao.class);
    try (NotesUpstream first = new NotesUpstream();
        NotesUpstream second = new NotesUpstream();
        McpSyncClient client = client(KEY_A, "/mcp")) {
      first.notes.put("where", "first");
      second.notes.put("where", "second");
      McpServerDefinition before = server("moving", first.url(), null, null);
      servers.insert(before);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (client.listTools().tools().stream().noneMatch(t -> t.name().equals("moving.read_note"))) {
        assertThat(System.nanoTime()).as("moving.read_note discovered in time").isLessThan(deadline);
        Thread.sleep(100);
      }
      var read = new McpSchema.CallToolRequest("moving.read_note", Map.of("name", "where"));
      assertThat(text(client.callTool(read))).isEqualTo("first");

      // The address changes (as for an upstream moved off a compromised host): the same agent session now reaches the new one.
      servers.upsert(server("moving", second.url(), null, null));
      deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      String where = text(client.callTool(read));
      while (!where.equals("second")) {
        assertThat(System.nanoTime()).as("the open session still calls the old address: " + where).isLessThan(deadline);
        Thread.sleep(200);
        where = text(client.callTool(read));
      }
    } finally {
      servers.delete("moving");
    }
  }

  /**
   * How a server is reached changes (its headers; a secret they name alike) while a durable call
   * to it runs: the shared upstream session is replaced, and the call on the old one answers, having
   * run once. Cut off with its session, it was recorded upstream_error after the server had run it,
   * and the engine ran it again (a probe's 35 s call ran twice, its agent waiting 70 s).
   */
  @Test
  void aDurableCallInFlightWhenItsServerRecordChangesAnswersAndRunsOnce() throws Exception {
    try (NotesUpstream upstream = new NotesUpstream(); McpSyncClient client = client(KEY_A, "/mcp")) {
      String record = "{\"name\":\"changing\",\"transport\":\"streamable-http\",\"url\":\"" + upstream.url() + "\",\"timeout\":\"20s\"%s}";
      assertThat(g.post("/admin/v1/mcp-servers", TestGatehouse.ADMIN_KEY, record.formatted("")).statusCode()).isEqualTo(201);
      try {
        McpWire.awaitTools(g, KEY_A, Duration.ofSeconds(30), "changing.wait");
        upstream.waitStarted.drainPermits();
        var call = inThread(() -> client.callTool(new McpSchema.CallToolRequest("changing.wait", Map.of("seconds", 4))));
        assertThat(upstream.waitStarted.tryAcquire(20, java.util.concurrent.TimeUnit.SECONDS)).as("the call reached the server").isTrue();
        int ended = upstream.sessionsEnded.get();
        assertThat(g.put("/admin/v1/mcp-servers/changing", TestGatehouse.ADMIN_KEY, record.formatted(",\"headers\":{\"X-Env\":\"v2\"}")).statusCode())
            .isEqualTo(200);
        McpSchema.CallToolResult r = call.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(text(r)).isEqualTo("waited");
        assertThat(upstream.waitStarted.availablePermits()).as("the server ran the call once").isZero();
        String taskId = String.valueOf(r.meta().get("dev.gatehouse/task-id"));
        JsonNode trace = g.json(g.get("/v1/tasks/" + taskId + "/trace", KEY_A));
        assertThat(trace.findValues("attempts").stream().mapToInt(JsonNode::asInt).max().orElse(0)).isEqualTo(1);
        // The replaced session was not ended under the call (it is, once its calls have had their timeout).
        assertThat(upstream.sessionsEnded.get()).isEqualTo(ended);

      } finally {
        g.delete("/admin/v1/mcp-servers/changing", TestGatehouse.ADMIN_KEY);
      }
    }
  }

  /**
   * {@code call} on a thread of its own: a client's blocking call must not take the common
   * fork-join pool (one thread on two cores), where the engine client may complete what the front
   * end waits for; the call would then wait on itself until its timeout.
   */
  private static <T> java.util.concurrent.CompletableFuture<T> inThread(java.util.function.Supplier<T> call) {
    var done = new java.util.concurrent.CompletableFuture<T>();
    Thread t = new Thread(() -> {
      try {
        done.complete(call.get());
      } catch (Throwable e) {
        done.completeExceptionally(e);
      }
    }, "test-call");
    t.setDaemon(true);
    t.start();
    return done;
  }

  /**
   * So too an agent session's own upstream session, which direct calls use: the next call after a
   * change opens a new one, and the old one is not ended under a call in flight on it.
   */
  @Test
  void anAgentSessionsUpstreamSessionIsNotEndedUnderADirectCallWhenItsRecordChanges() throws Exception {
    try (NotesUpstream upstream = new NotesUpstream(); McpSyncClient client = client(KEY_A, "/mcp")) {
      String record =
          "{\"name\":\"changing2\",\"transport\":\"streamable-http\",\"url\":\"" + upstream.url()
              + "\",\"timeout\":\"20s\",\"toolExecution\":{\"wait\":\"direct\"},\"headers\":{\"X-Probe-Token\":\"%s\"}}";
      assertThat(g.post("/admin/v1/mcp-servers", TestGatehouse.ADMIN_KEY, record.formatted("v1")).statusCode()).isEqualTo(201);
      try {
        McpWire.awaitTools(g, KEY_A, Duration.ofSeconds(30), "changing2.wait");
        var read = new McpSchema.CallToolRequest("changing2.read_note", Map.of("name", "n"));
        client.callTool(read); // opens the agent session's upstream session
        int ended = upstream.sessionsEnded.get();
        upstream.waitStarted.drainPermits();
        var inFlight = inThread(() -> client.callTool(new McpSchema.CallToolRequest("changing2.wait", Map.of("seconds", 8))));
        assertThat(upstream.waitStarted.tryAcquire(20, java.util.concurrent.TimeUnit.SECONDS)).as("the direct call reached the server").isTrue();
        assertThat(g.put("/admin/v1/mcp-servers/changing2", TestGatehouse.ADMIN_KEY, record.formatted("v2")).statusCode()).isEqualTo(200);
        // the next call that sees the change opens the agent session's new upstream session
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        do {
          assertThat(System.nanoTime()).as("the open session still sends the old header").isLessThan(deadline);
          client.callTool(read);
        } while (!upstream.probeTokens.get(upstream.probeTokens.size() - 1).equals("v2"));
        assertThat(inFlight).as("replaced while the call was in flight").isNotDone();
        McpSchema.CallToolResult waited = inFlight.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(text(waited)).isEqualTo("waited");
        assertThat(waited.meta() == null ? null : waited.meta().get("dev.gatehouse/task-id")).as("a direct call").isNull();
        assertThat(upstream.sessionsEnded.get()).as("no upstream session ended under a call").isEqualTo(ended);
      } finally {
        g.delete("/admin/v1/mcp-servers/changing2", TestGatehouse.ADMIN_KEY);
      }
    }
  }

  /**
   * An agent session's upstream session replaced by a change of the record stays open for the
   * calls in flight on it, but what the server sends to all its clients (a log message here)
   * reaches the agent once, through the session that replaced it, not once through each.
   */
  @Test
  void whatAReplacedUpstreamSessionBroadcastsReachesTheAgentOnce() throws Exception {
    try (BroadcastingMcpUpstream upstream = new BroadcastingMcpUpstream()) {
      String record = "{\"name\":\"broadcasting\",\"transport\":\"streamable-http\",\"url\":\"" + upstream.url() + "\",\"headers\":{\"X-Env\":\"%s\"}}";
      assertThat(g.post("/admin/v1/mcp-servers", TestGatehouse.ADMIN_KEY, record.formatted("v1")).statusCode()).isEqualTo(201);
      try {
        McpWire.awaitTools(g, KEY_A, Duration.ofSeconds(30), "broadcasting.echo");
        String session = initialize(KEY_A);
        List<String> heard = new CopyOnWriteArrayList<>();
        java.net.http.HttpRequest get =
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(g.api() + "/mcp"))
                .header("Authorization", "Bearer " + KEY_A)
                .header("Mcp-Session-Id", session)
                .header("Accept", "text/event-stream")
                .GET()
                .build();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        http.sendAsync(get, HttpResponse.BodyHandlers.ofLines()).thenAccept(r -> r.body().forEach(heard::add));
        String call = "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":{\"name\":\"broadcasting.echo\",\"arguments\":{}}}";
        assertThat(post(KEY_A, session, call.formatted(1)).statusCode()).isEqualTo(200);
        assertThat(upstream.callEnvs).containsExactly("v1");

        assertThat(g.put("/admin/v1/mcp-servers/broadcasting", TestGatehouse.ADMIN_KEY, record.formatted("v2")).statusCode()).isEqualTo(200);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        for (int id = 2; !upstream.callEnvs.get(upstream.callEnvs.size() - 1).equals("v2"); id++) {
          assertThat(System.nanoTime()).as("the agent session still calls with the old record").isLessThan(deadline);
          Thread.sleep(100);
          post(KEY_A, session, call.formatted(id));
        }
        Thread.sleep(500); // the new upstream session's GET stream opens
        upstream.broadcastLog("to-every-client");
        Thread.sleep(1_500);
        assertThat(heard.stream().filter(l -> l.contains("to-every-client")).count()).as(String.join("\n", heard)).isEqualTo(1);
        // No SSE ids: the SDK gave every event of the stream the session's id, which MCP's
        // transport says must be unique across the session's streams, and replayed nothing for it.
        assertThat(heard).as("no SSE ids on the listening stream").noneMatch(l -> l.startsWith("id:"));
        McpWire.delete(g.api() + "/mcp", KEY_A, session); // and its listening stream
      } finally {
        g.delete("/admin/v1/mcp-servers/broadcasting", TestGatehouse.ADMIN_KEY);
      }
    }
  }

  /**
   * The sessions of a deleted agent end within seconds, with their direct calls in flight: a
   * probe's deleted agent had its calls run on, and their results reach it, until the once-a-minute
   * sweep.
   */
  @Test
  void theSessionsOfADeletedAgentEndWithTheirDirectCallsWithinSeconds() throws Exception {
    try (NotesUpstream upstream = new NotesUpstream()) {
      assertThat(g.post("/admin/v1/mcp-servers", TestGatehouse.ADMIN_KEY,
              "{\"name\":\"orphaning\",\"transport\":\"streamable-http\",\"url\":\"" + upstream.url()
                  + "\",\"timeout\":\"60s\",\"toolExecution\":{\"wait\":\"direct\"}}").statusCode())
          .isEqualTo(201);
      try {
        String tenant = null;
        for (JsonNode t : g.json(g.get("/admin/v1/tenants?limit=200", TestGatehouse.ADMIN_KEY)).path("items")) {
          if (t.path("name").asText().equals("alpha")) {
            tenant = t.path("id").asText();
          }
        }
        JsonNode agent =
            g.json(g.post("/admin/v1/agents", TestGatehouse.ADMIN_KEY,
                "{\"tenant\":\"" + tenant + "\",\"name\":\"doomed\",\"tools\":{\"allow\":[\"orphaning.*\"]}}"));
        String key = g.json(g.post("/admin/v1/agents/" + agent.path("id").asText() + "/keys", TestGatehouse.ADMIN_KEY, "{}")).path("key").asText();
        McpWire.awaitTools(g, key, Duration.ofSeconds(30), "orphaning.wait");
        String session = McpWire.initialize(g.api() + "/mcp", key);
        upstream.waitStarted.drainPermits();
        var pending =
            inThread(
                () -> McpWire.post(g.api() + "/mcp", key, session,
                    "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"orphaning.wait\",\"arguments\":{\"seconds\":30}}}"));
        assertThat(upstream.waitStarted.tryAcquire(20, java.util.concurrent.TimeUnit.SECONDS)).as("the direct call reached the server").isTrue();
        long deleted = System.nanoTime();
        assertThat(g.delete("/admin/v1/agents/" + agent.path("id").asText(), TestGatehouse.ADMIN_KEY).statusCode()).isEqualTo(204);
        HttpResponse<String> answer = pending.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - deleted)).as("ended with its session").isLessThan(Duration.ofSeconds(15));
        assertThat(answer.body()).doesNotContain("waited");
      } finally {
        g.delete("/admin/v1/mcp-servers/orphaning", TestGatehouse.ADMIN_KEY);
      }
    }
  }

  @Test
  void aSecretsNewValueReachesOpenAgentSessionsAndTheDurablePathsSharedSession() throws Exception {
    McpServerDao servers = g.db.jdbi().onDemand(McpServerDao.class);
    assertThat(g.put("/admin/v1/secrets/probe-token", TestGatehouse.ADMIN_KEY, "{\"value\":\"tok-one\"}").statusCode()).isEqualTo(200);
    try (NotesUpstream upstream = new NotesUpstream(); McpSyncClient client = client(KEY_A, "/mcp")) {
      upstream.notes.put("n", "x");
      servers.insert(
          new McpServerDefinition(
              "rotating", null, McpServerDefinition.STREAMABLE_HTTP, upstream.url(), null, null, null, null,
              Map.of("X-Probe-Token", "{{secret:probe-token}}"), null, Duration.ofSeconds(10), null, null, null, null, null));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (client.listTools().tools().stream().noneMatch(t -> t.name().equals("rotating.read_note"))) {
        assertThat(System.nanoTime()).as("rotating.read_note discovered in time").isLessThan(deadline);
        Thread.sleep(100);
      }
      var read = new McpSchema.CallToolRequest("rotating.read_note", Map.of("name", "n"));
      var write = new McpSchema.CallToolRequest("rotating.write_note", Map.of("name", "w", "text", "y"));
      assertThat(text(client.callTool(read))).isEqualTo("x");
      assertThat(upstream.probeTokens).last().isEqualTo("tok-one");
      assertThat(text(client.callTool(write))).isEqualTo("stored");
      assertThat(upstream.probeTokens).last().as("the durable call, on the shared upstream session").isEqualTo("tok-one");

      assertThat(g.put("/admin/v1/secrets/probe-token", TestGatehouse.ADMIN_KEY, "{\"value\":\"tok-two\"}").statusCode()).isEqualTo(200);
      deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      do {
        assertThat(System.nanoTime()).as("the open session still sends the old value after " + upstream.probeTokens.size() + " calls").isLessThan(deadline);
        Thread.sleep(100);
        assertThat(text(client.callTool(read))).isEqualTo("x");
      } while (!upstream.probeTokens.get(upstream.probeTokens.size() - 1).equals("tok-two"));
      // The shared upstream session of durable calls is reconnected by the periodic check.
      deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      do {
        assertThat(System.nanoTime()).as("the durable path still sends the old value").isLessThan(deadline);
        Thread.sleep(100);
        assertThat(text(client.callTool(write))).isEqualTo("stored");
      } while (!upstream.probeTokens.get(upstream.probeTokens.size() - 1).equals("tok-two"));
    } finally {
      servers.delete("rotating");
    }
  }

  private static JsonNode result(HttpResponse<String> r) throws Exception {
    String body = r.body();
    if (!body.trim().startsWith("{")) {
      body = body.lines().filter(l -> l.startsWith("data:")).map(l -> l.substring(5).trim()).reduce((a, b) -> b).orElse(body);
    }
    JsonNode node = McpJson.OBJECT_MAPPER.readTree(body);
    assertThat(node.has("result")).as(body).isTrue();
    return node.path("result");
  }

  @Test
  void resourcesAndPromptsPassThrough() {
    try (McpSyncClient client = client(KEY_A, "/mcp")) {
      assertThat(client.listResources().resources()).extracting(McpSchema.Resource::uri).contains("test://static-text");
      McpSchema.ReadResourceResult read = client.readResource(new McpSchema.ReadResourceRequest("test://static-text"));
      assertThat(((McpSchema.TextResourceContents) read.contents().get(0)).text()).isNotBlank();
      McpSchema.ReadResourceResult templated = client.readResource(new McpSchema.ReadResourceRequest("test://template/123/data"));
      assertThat(((McpSchema.TextResourceContents) templated.contents().get(0)).text()).contains("123");
      assertThat(client.listPrompts().prompts()).extracting(McpSchema.Prompt::name).contains("conf.test_simple_prompt");
      McpSchema.GetPromptResult prompt = client.getPrompt(new McpSchema.GetPromptRequest("conf.test_simple_prompt", Map.of()));
      assertThat(prompt.messages()).isNotEmpty();
      client.ping();
    }
  }

  @Test
  void aVirtualServerExposesOnlyItsSelection() {
    try (McpSyncClient client = client(KEY_A, "/mcp/readers")) {
      assertThat(client.listTools().tools()).extracting(McpSchema.Tool::name).containsExactlyInAnyOrder("notes.read_note", "t.weather");
      assertThatThrownBy(() -> client.callTool(new McpSchema.CallToolRequest("notes.write_note", Map.of("name", "x"))))
          .isInstanceOfSatisfying(McpError.class, e -> assertThat(e.getJsonRpcError().data().toString()).contains("unknown_tool"));
    }
  }

  @Test
  void withdrawnPermissionsHideToolsAndTellOpenSessions() throws Exception {
    AgentDao agents = g.db.jdbi().onDemand(AgentDao.class);
    Agent b = agents.page(null, null, 100).stream().filter(a -> a.name().equals("agent-b")).findFirst().orElseThrow();
    List<String> changed = new CopyOnWriteArrayList<>();
    var transport =
        HttpClientStreamableHttpTransport.builder(g.api())
            .endpoint("/mcp")
            .jsonMapper(McpJson.MAPPER)
            .requestBuilder(HttpRequest.newBuilder().header("Authorization", "Bearer " + KEY_B))
            .build();
    try (McpSyncClient client =
        McpClient.sync(transport)
            .jsonSchemaValidator(McpJson.PASS_THROUGH)
            .toolsChangeConsumer(tools -> changed.add("tools"))
            .build()) {
      client.initialize();
      assertThat(client.listTools().tools()).extracting(McpSchema.Tool::name).contains("notes.write_note");
      agents.update(b.id(), b.name(), b.subject(), new Permissions(new AccessList(List.of("t.*"), List.of()), AccessList.NONE, AccessList.ALL));
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (changed.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(changed).as("notifications/tools/list_changed arrived").isNotEmpty();
      // Once the cached credential (caches.credentials) has lapsed, the list follows the new permissions.
      deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (!client.listTools().tools().stream().allMatch(t -> t.name().startsWith("t.")) && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(client.listTools().tools()).extracting(McpSchema.Tool::name).isNotEmpty().allMatch(n -> n.startsWith("t."));
      assertThatThrownBy(() -> client.callTool(new McpSchema.CallToolRequest("notes.read_note", Map.of("name", "n1"))))
          .isInstanceOfSatisfying(McpError.class, e -> assertThat(e.getJsonRpcError().data().toString()).contains("tool_not_allowed"));
      // The refusal is audited, as a refused task submit is: an agent trying tools leaves a trace.
      assertThat(denials("notes.read_note", b.id())).containsExactly("tool_not_allowed by access");
    } finally {
      agents.update(b.id(), b.name(), b.subject(), Permissions.ALL);
    }
  }

  /**
   * An agent's own approval rules hold on {@code /mcp} as the tool's registry flag does: nobody can
   * be asked there, so the call is refused and nothing is called (an audit found them applied in
   * agent tasks only, so an agent could make the held call over MCP instead).
   */
  @Test
  void anAgentsApprovalRulesRefuseTheCallsTheyWouldHold() throws Exception {
    AgentDao agents = g.db.jdbi().onDemand(AgentDao.class);
    Agent b = agents.page(null, null, 100).stream().filter(a -> a.name().equals("agent-b")).findFirst().orElseThrow();
    try (McpSyncClient client = client(KEY_B, "/mcp")) {
      agents.update(b.id(), b.name(), b.subject(),
          new Permissions(AccessList.ALL, AccessList.ALL, AccessList.ALL, new ApprovalRules(List.of("t.echo"), true)));
      int writes = notes.writes.get();
      // Once the cached credential (caches.credentials, 300 ms here) has lapsed, the rules apply.
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      McpError refused = null;
      while (refused == null && System.nanoTime() < deadline) {
        try {
          client.callTool(new McpSchema.CallToolRequest("t.echo", Map.of("x", 1)));
          Thread.sleep(100);
        } catch (McpError e) {
          refused = e;
        }
      }
      assertThat(refused).as("t.echo refused once the rules apply").isNotNull();
      assertThat(refused.getJsonRpcError().data().toString()).contains("approval_required");
      assertThat(refused.getJsonRpcError().message()).contains("t.echo", "the agent's approval rules");
      // destructive: an MCP tool that does not declare itself harmless (write_note gives no hints)
      assertThatThrownBy(() -> client.callTool(new McpSchema.CallToolRequest("notes.write_note", Map.of("name", "held", "text", "x"))))
          .isInstanceOfSatisfying(McpError.class, e -> assertThat(e.getJsonRpcError().data().toString()).contains("approval_required"));
      assertThat(notes.writes.get()).as("nothing was written").isEqualTo(writes);
      assertThat(notes.notes).doesNotContainKey("held");
      assertThat(denials("notes.write_note", b.id())).containsExactly("approval_required by access");
      // What the rules do not hold still runs: a read-only MCP tool, an HTTP tool no pattern names.
      assertThat(client.callTool(new McpSchema.CallToolRequest("notes.read_note", Map.of("name", "nobody"))).isError()).isNotNull();
      assertThat(client.callTool(new McpSchema.CallToolRequest("t.weather", Map.of("city", "Oslo"))).isError()).isNotEqualTo(Boolean.TRUE);
    } finally {
      agents.update(b.id(), b.name(), b.subject(), Permissions.ALL);
    }
  }

  // ------------------------------------------------------------------ bad input, on the wire

  private static HttpResponse<String> post(String key, String session, String body, String... headers) {
    return McpWire.post(g.api() + "/mcp", key, session, body, headers);
  }

  private static String initialize(String key) {
    return McpWire.initialize(g.api() + "/mcp", key);
  }

  private static JsonNode rpcError(HttpResponse<String> r) throws Exception {
    return rpcAnswer(r).path("error");
  }

  /** The JSON-RPC answer in {@code r}'s body (plain JSON, or the first event of a stream). */
  private static JsonNode rpcAnswer(HttpResponse<String> r) throws Exception {
    String body = r.body();
    if (body.startsWith("event:") || body.startsWith("id:") || body.startsWith("data:")) {
      body = body.lines().filter(l -> l.startsWith("data:")).map(l -> l.substring(5).trim()).findFirst().orElse(body);
    }
    assertThat(body).doesNotContain("\tat ").doesNotContain("Exception");
    return McpJson.OBJECT_MAPPER.readTree(body);
  }

  @Test
  void unauthenticatedRequestsGet401WithProtectedResourceMetadata() throws Exception {
    HttpResponse<String> r = post(null, null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate").orElseThrow())
        .startsWith("Bearer resource_metadata=\"http://127.0.0.1:")
        .contains("/.well-known/oauth-protected-resource/mcp\"");
    assertThat(rpcError(r).path("data").path("code").asText()).isEqualTo("unauthorized");
    JsonNode metadata = g.json(g.get("/.well-known/oauth-protected-resource/mcp", null));
    assertThat(metadata.path("resource").asText()).endsWith("/mcp");
    assertThat(metadata.path("authorization_servers").isArray()).isTrue();
    assertThat(g.json(g.get("/.well-known/oauth-protected-resource/mcp/readers", null)).path("resource").asText()).endsWith("/mcp/readers");
    HttpResponse<String> notAName = g.get("/.well-known/oauth-protected-resource/mcp/" + "%7B".repeat(500), null);
    assertThat(notAName.statusCode()).isEqualTo(404);
    assertThat(notAName.body()).contains("\"not_found\"").doesNotContain("{{{{");
    assertThat(post("gk_live_nope_0000", null, "{}").statusCode()).isEqualTo(401);
    assertThat(post(TestGatehouse.ADMIN_KEY, null, "{}").statusCode()).isEqualTo(403);
  }

  @Test
  void dnsRebindingIsRefused() throws Exception {
    // A foreign Host is refused too (403 forbidden_host): the conformance suite's
    // dns-rebinding-protection scenario sends one through BearerProxy, which java.net.http cannot.
    HttpResponse<String> evilOrigin =
        post(KEY_A, null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", "Origin", "http://evil.example.com");
    assertThat(evilOrigin.statusCode()).isEqualTo(403);
    assertThat(rpcError(evilOrigin).path("data").path("code").asText()).isEqualTo("forbidden_origin");
  }

  @Test
  void badMessagesGetTheJsonRpcErrorsTheSpecCallsFor() throws Exception {
    String session = initialize(KEY_A);
    HttpResponse<String> malformed = post(KEY_A, session, "{not json");
    assertThat(malformed.statusCode()).isEqualTo(400);
    assertThat(rpcError(malformed).path("code").asInt()).isEqualTo(-32700);

    HttpResponse<String> batch = post(KEY_A, session, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]");
    assertThat(batch.statusCode()).isEqualTo(400);
    assertThat(rpcError(batch).path("data").path("code").asText()).isEqualTo("batch_not_supported");

    HttpResponse<String> unknownMethod = post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope/nope\"}");
    assertThat(rpcError(unknownMethod).path("code").asInt()).isEqualTo(-32601);

    HttpResponse<String> unknownTool =
        post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"nope.nope\",\"arguments\":{}}}");
    assertThat(rpcError(unknownTool).path("code").asInt()).isEqualTo(-32602);
    assertThat(rpcError(unknownTool).path("data").path("code").asText()).isEqualTo("unknown_tool");

    HttpResponse<String> numberName =
        post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":5,\"arguments\":{}}}");
    assertThat(rpcError(numberName).path("code").asInt()).isEqualTo(-32602);
    assertThat(rpcError(numberName).path("message").asText()).contains("'name' must be a string");

    int writes = notes.writes.get();
    HttpResponse<String> badArgs =
        post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"notes.write_note\",\"arguments\":{\"name\":\"\"}}}");
    assertThat(rpcError(badArgs).path("data").path("code").asText()).isEqualTo("invalid_arguments");
    assertThat(notes.writes.get()).as("nothing ran").isEqualTo(writes);

    // A protocol version Gatehouse does not speak is 400, as the transport spec asks; one it speaks, or none, is served.
    for (String version : List.of("garbage", "1999-01-01", "2024-11-05")) {
      HttpResponse<String> unsupported = post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}", "MCP-Protocol-Version", version);
      assertThat(unsupported.statusCode()).as(version).isEqualTo(400);
      assertThat(rpcError(unsupported).path("message").asText()).contains("unsupported MCP-Protocol-Version");
      assertThat(rpcAnswer(unsupported).path("id").asInt()).as("the answer names the request it refuses").isEqualTo(5);
    }
    assertThat(post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\"}", "MCP-Protocol-Version", "2025-06-18").statusCode())
        .isEqualTo(200);
    assertThat(post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}").statusCode()).isEqualTo(200);

    HttpResponse<String> nullId = post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}");
    assertThat(nullId.statusCode()).isEqualTo(400);
    assertThat(rpcError(nullId).path("message").asText()).contains("'id'").contains("not null");

    // Params the SDK's request types would fill in ("" for a missing uri, info for a level) or
    // fail on inside Gatehouse (none at all) are the agent's invalid_params.
    for (String[] c :
        new String[][] {
          {"resources/read", null, "resources/read needs a string 'uri'"},
          {"resources/read", "{}", "resources/read needs a string 'uri'"},
          {"resources/read", "{\"uri\":5}", "resources/read: 'uri' must be a string, not an integer"},
          {"resources/subscribe", "{\"uri\":[]}", "resources/subscribe: 'uri' must be a string, not an array"},
          {"prompts/get", null, "prompts/get needs a string 'name'"},
          {"prompts/get", "{\"name\":1}", "prompts/get: 'name' must be a string, not an integer"},
          {"logging/setLevel", null, "logging/setLevel needs a string 'level'"},
          {"logging/setLevel", "{}", "logging/setLevel needs a string 'level'"},
          {"logging/setLevel", "{\"level\":\"bogus\"}", "logging/setLevel's 'level' must be one of"},
          {"logging/setLevel", "{\"level\":\"INFO\"}", "logging/setLevel's 'level' must be one of"},
        }) {
      String message = "{\"jsonrpc\":\"2.0\",\"id\":40,\"method\":\"" + c[0] + "\"" + (c[1] == null ? "" : ",\"params\":" + c[1]) + "}";
      JsonNode error = rpcError(post(KEY_A, session, message));
      assertThat(error.path("code").asInt()).as(message).isEqualTo(-32602);
      assertThat(error.path("data").path("code").asText()).as(message).isEqualTo("invalid_params");
      assertThat(error.path("message").asText()).as(message).startsWith(c[2]);
    }
    assertThat(result(post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":41,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"warning\"}}")).isObject())
        .as("a level the schema names is taken")
        .isTrue();

    HttpResponse<String> unknownSession = post(KEY_A, "no-such-session", "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}");
    assertThat(unknownSession.statusCode()).isEqualTo(404);
    assertThat(rpcError(unknownSession).path("data").path("code").asText()).isEqualTo("unknown_session");
    // No session at all: the documented missing_session, on every method (the SDK's own answer
    // to a GET or DELETE without one was invalid_request).
    HttpResponse<String> noSession = post(KEY_A, null, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\"}");
    assertThat(noSession.statusCode()).isEqualTo(400);
    assertThat(rpcError(noSession).path("data").path("code").asText()).isEqualTo("missing_session");
    for (String method : List.of("GET", "DELETE")) {
      HttpResponse<String> r =
          g.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(g.api() + "/mcp")).method(method, java.net.http.HttpRequest.BodyPublishers.noBody())
              .header("Accept", "text/event-stream"), KEY_A);
      assertThat(r.statusCode()).as(method).isEqualTo(400);
      assertThat(rpcError(r).path("data").path("code").asText()).as(method).isEqualTo("missing_session");
    }
    HttpResponse<String> initializeAsNotification =
        post(KEY_A, null, "{\"jsonrpc\":\"2.0\",\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
            + "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
    assertThat(initializeAsNotification.statusCode()).isEqualTo(400);
    assertThat(rpcError(initializeAsNotification).path("data").path("code").asText()).isEqualTo("invalid_request");

    HttpResponse<String> othersSession = post(KEY_B, session, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\"}");
    assertThat(othersSession.statusCode()).as("a session belongs to the agent that opened it").isEqualTo(404);

    HttpResponse<String> huge =
        post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\",\"params\":{\"x\":\"" + "a".repeat(600 * 1024) + "\"}}");
    assertThat(huge.statusCode()).isEqualTo(413);
    assertThat(rpcError(huge).path("data").path("code").asText()).isEqualTo("request_too_large");

    HttpResponse<String> noAccept =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(g.api() + "/mcp"))
                .header("Authorization", "Bearer " + KEY_A)
                .header("Mcp-Session-Id", session)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"ping\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(noAccept.statusCode()).isBetween(400, 499);
    rpcError(noAccept); // a JSON-RPC error, no stack trace

    HttpResponse<String> deleted =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(g.api() + "/mcp"))
                .header("Authorization", "Bearer " + KEY_A)
                .header("Mcp-Session-Id", session)
                .DELETE()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(deleted.statusCode()).isLessThan(300);
    assertThat(post(KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\"}").statusCode()).isEqualTo(404);
  }
}
