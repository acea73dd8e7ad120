package dev.gatehouse.frontend.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.frontend.app.GatehouseApplication;
import dev.gatehouse.frontend.app.GatehouseConfiguration;
import dev.gatehouse.frontend.app.temporal.EmbeddedTemporal;
import dev.gatehouse.frontend.app.temporal.GatehouseWorkflows;
import dev.gatehouse.workflows.agent.AgentInput;
import dev.gatehouse.workflows.agent.AgentLimits;
import dev.gatehouse.workflows.agent.AgentResult;
import dev.gatehouse.workflows.agent.AgentTool;
import dev.gatehouse.workflows.agent.AgentWorkflow;
import dev.gatehouse.workflows.model.ModelActivities;
import dev.gatehouse.workflows.model.ModelCallPolicy;
import dev.gatehouse.workflows.model.ModelCallRequest;
import dev.gatehouse.workflows.model.ModelCallResult;
import dev.gatehouse.workflows.model.ModelCallUsage;
import dev.gatehouse.workflows.pipeline.PipelineDefinition;
import dev.gatehouse.workflows.pipeline.PipelineInput;
import dev.gatehouse.workflows.pipeline.PipelineStep;
import dev.gatehouse.workflows.pipeline.PipelineWorkflow;
import dev.gatehouse.workflows.task.TaskIndexActivities;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolActivities;
import dev.gatehouse.workflows.tool.ToolCallPolicy;
import dev.gatehouse.workflows.tool.ToolCallRequest;
import dev.gatehouse.workflows.tool.ToolCallResult;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.util.JarLocation;
import io.temporal.api.enums.v1.EventType;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code gatehouse replay}, run in process through Dropwizard's command line as the jar runs it:
 * committed histories replay, an edited one fails at the edited event, unusable input exits 2
 * with one line on stderr, and {@code --task} fetches a finished workflow from a real Temporal
 * engine over loopback TCP.
 */
public class ReplayCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  /** What a run printed and the exit status the process would have had. */
  public record Run(int status, String out, String err) {
    List<String> lines() {
      return out.lines().toList();
    }

    List<String> errLines() {
      return err.lines().toList();
    }
  }

  /**
   * Runs {@code gatehouse replay ARGS} as {@link GatehouseApplication#main} does, short of
   * System.exit: the status is what its onFatalError would exit with.
   */
  public static Run replay(String... args) {
    GatehouseApplication app = new GatehouseApplication();
    Bootstrap<GatehouseConfiguration> bootstrap = new Bootstrap<>(app);
    app.initialize(bootstrap);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> argv = new ArrayList<>(List.of("replay"));
    argv.addAll(List.of(args));
    PrintStream systemOut = System.out;
    LoggingState logging = LoggingState.save();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    Optional<Throwable> failure;
    try {
      failure = new Cli(new JarLocation(GatehouseApplication.class), bootstrap, out, err).run(argv.toArray(String[]::new));
    } finally {
      System.setOut(systemOut);
      logging.restore();
    }
    return new Run(failure.map(CommandExit::statusOf).orElse(0), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** The command switches logging off (detaching, not stopping, the appenders); other tests in this JVM keep theirs. */
  record LoggingState(Level level, List<Appender<ILoggingEvent>> appenders) {
    static LoggingState save() {
      ch.qos.logback.classic.Logger root = root();
      List<Appender<ILoggingEvent>> appenders = new ArrayList<>();
      root.iteratorForAppenders().forEachRemaining(appenders::add);
      return new LoggingState(root.getLevel(), appenders);
    }

    void restore() {
      ch.qos.logback.classic.Logger root = root();
      root.setLevel(level);
      for (Appender<ILoggingEvent> appender : appenders) {
        if (!root.isAttached(appender)) {
          root.addAppender(appender);
        }
      }
    }

    private static ch.qos.logback.classic.Logger root() {
      return ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
  }

  /** A fixture under src/test/resources/replay/ (copies of workflows/src/test/resources/histories/). */
  static Path fixture(String name) {
    try {
      return Path.of(ReplayCommandTest.class.getClassLoader().getResource("replay/" + name).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new AssertionError("no test resource replay/" + name, e);
    }
  }

  /** A copy of pipeline.json whose event 17, the join step's ACTIVITY_TASK_SCHEDULED, names another activity type. */
  private Path pipelineWithEvent17Renamed() throws Exception {
    JsonNode history = JSON.readTree(Files.readString(fixture("pipeline.json")));
    int edited = 0;
    for (JsonNode event : history.get("events")) {
      if (event.get("eventId").asText().equals("17")) {
        assertThat(event.get("eventType").asText()).isEqualTo("EVENT_TYPE_ACTIVITY_TASK_SCHEDULED");
        ObjectNode type = (ObjectNode) event.get("activityTaskScheduledEventAttributes").get("activityType");
        assertThat(type.get("name").asText()).isEqualTo("Tool.Call");
        type.put("name", "Tool.Other");
        edited++;
      }
    }
    assertThat(edited).isEqualTo(1);
    Path file = dir.resolve("pipeline-event-17-renamed.json");
    Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(history));
    return file;
  }

  @Test
  void theCommittedHistoriesReplay() {
    String pipeline = fixture("pipeline.json").toString();
    String agent = fixture("agent.json").toString();

    Run run = replay("--history", pipeline, "--history", agent);

    assertThat(run.lines()).containsExactly("OK   " + pipeline + " pipeline - (30 events)", "OK   " + agent + " agent - (30 events)");
    assertThat(run.err()).isEmpty();
    assertThat(run.status()).isZero();
  }

  /**
   * A history a team recorded in Temporal's TestWorkflowEnvironment (the example's, as
   * workflows.md tells teams to) has no task index marker, which a Gatehouse worker writes when a
   * workflow ends: it is replayed without the interceptor that writes it, and replays. It failed at
   * its last event ("No command scheduled") on code that had not changed.
   */
  @Test
  void aHistoryATeamRecordedWithoutTheTaskIndexReplays() throws Exception {
    Path example = Path.of("../../examples/support-triage/src/test/resources/histories/support-triage.json");
    assertThat(example).exists();

    Run run = replay("--history", example.toString(), "--history", fixture("pipeline.json").toString());

    assertThat(run.lines().get(0)).startsWith("OK   " + example + " support-triage ").endsWith(", recorded without Gatehouse's task index)");
    assertThat(run.lines().get(1)).doesNotContain("task index");
    assertThat(run.status()).isZero();
    assertThat(ReplayCommand.recordedWithoutTaskIndex(WorkflowExecutionHistory.fromJson(Files.readString(example)))).isTrue();
    assertThat(ReplayCommand.recordedWithoutTaskIndex(WorkflowExecutionHistory.fromJson(Files.readString(fixture("pipeline.json")))))
        .isFalse();
  }

  @Test
  void aHistoryTheCodeNoLongerMatchesFailsAtTheEventThatDiffers() throws Exception {
    String pipeline = fixture("pipeline.json").toString();
    Path edited = pipelineWithEvent17Renamed();

    Run run = replay("--history", pipeline, "--history", edited.toString());

    assertThat(run.lines()).hasSize(2);
    assertThat(run.lines().get(0)).isEqualTo("OK   " + pipeline + " pipeline - (30 events)");
    assertThat(run.lines().get(1))
        .startsWith("FAIL " + edited + " pipeline -: diverged at event 17 (EVENT_TYPE_ACTIVITY_TASK_SCHEDULED): ")
        .contains("activityType")
        .contains("Tool.Call")
        .contains("Tool.Other")
        .doesNotContain("\n");
    assertThat(run.err()).isEmpty();
    assertThat(run.status()).isEqualTo(1);
  }

  @Test
  void aWorkflowTypeNoWorkerRegistersFailsWithTheSdksReason() throws Exception {
    JsonNode history = JSON.readTree(Files.readString(fixture("agent.json")));
    ((ObjectNode) history.get("events").get(0).get("workflowExecutionStartedEventAttributes").get("workflowType"))
        .put("name", "retired-workflow");
    Path file = dir.resolve("retired.json");
    Files.writeString(file, history.toString());

    Run run = replay("--history", file.toString());

    // No event id in the SDK's message: the reason alone.
    // The SDK lists the registered types in its own order; the class path's team workflow (the example) is among them.
    assertThat(run.lines())
        .singleElement()
        .satisfies(
            line ->
                assertThat(line)
                    .startsWith("FAIL " + file + " retired-workflow -: diverged: Unknown workflow type \"retired-workflow\". Known types are [")
                    .contains("pipeline", "agent", "tool-call", "support-triage"));
    assertThat(run.status()).isEqualTo(1);
  }

  @Test
  void whatAHistoryOrTheCommandLineHoldsIsPrintedWithItsControlCharactersEscaped() throws Exception {
    String type = "rm -rf /; $(id)\n" + (char) 0x202E + "evil";
    JsonNode history = JSON.readTree(Files.readString(fixture("agent.json")));
    ((ObjectNode) history.get("events").get(0).get("workflowExecutionStartedEventAttributes").get("workflowType"))
        .put("name", type);
    Path file = dir.resolve("evil.json");
    Files.writeString(file, history.toString());

    Run run = replay("--history", file.toString());

    assertThat(run.lines()).singleElement().satisfies(line -> assertThat(line)
        .startsWith("FAIL " + file + " rm -rf /; $(id)\\u000A\\u202Eevil")
        .doesNotContain(String.valueOf((char) 0x202E)));
    assertThat(run.status()).isEqualTo(1);

    String escape = String.valueOf((char) 0x1B);
    Run task = replay("--task", "x\n" + escape + "[31m", "--target", "h" + escape + "[31m");
    assertThat(task.status()).isEqualTo(2);
    assertThat(task.errLines()).singleElement().satisfies(line -> assertThat(line)
        .doesNotContain(escape).contains("\\u001B[31m"));
  }

  @Test
  void aHistoryWhoseFirstEventIsNotAStartIsRefusedWithoutItsPayloads() throws Exception {
    JsonNode history = JSON.readTree(Files.readString(fixture("pipeline.json")));
    ((ObjectNode) history.get("events").get(0)).put("eventType", "EVENT_TYPE_TIMER_FIRED");
    String data = history.get("events").get(0).get("workflowExecutionStartedEventAttributes").get("input").findValue("data").asText();
    Path file = dir.resolve("first.json");
    Files.writeString(file, history.toString());

    Run run = replay("--history", file.toString());

    assertThat(run.status()).isEqualTo(2);
    assertThat(run.errLines()).singleElement().satisfies(line -> assertThat(line)
        .startsWith("replay: " + file + ": not a workflow history (First event is not WorkflowExecutionStarted")
        .doesNotContain(data).doesNotContain("data:"));
  }

  @Test
  void aHistoryFileLargerThanTheCapIsRefusedUnread() throws Exception {
    Path big = dir.resolve("big.json");
    try (var f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(BoundedFiles.MAX_HISTORY_BYTES + 1L); // sparse: no disk, no time
    }
    Run run = replay("--history", big.toString());
    assertThat(run.status()).isEqualTo(2);
    assertThat(run.err().strip()).isEqualTo("replay: " + big + ": larger than 64 MiB, the most a history file may be");

    Path zero = Files.createSymbolicLink(dir.resolve("zero.json"), Path.of("/dev/zero"));
    assertThat(replay("--history", zero.toString()).err()).contains("larger than 64 MiB");
  }

  @Test
  void theReasonIsParsedDefensively() {
    ReplayCommand.Divergence none = ReplayCommand.Divergence.parse("something broke\nsecond line\n\tat x.y(Z.java:1)", null);
    assertThat(none.eventId()).isNull();
    assertThat(none).hasToString("diverged: something broke");

    ReplayCommand.Divergence bare =
        ReplayCommand.Divergence.parse("Failure handling event 9 of type 'EVENT_TYPE_TIMER_FIRED' during replay. {WorkflowTaskStartedEventId=1}", null);
    assertThat(bare).hasToString("diverged at event 9 (EVENT_TYPE_TIMER_FIRED): the workflow code does not replay this event");

    ReplayCommand.Divergence cause =
        ReplayCommand.Divergence.parse(
            "query failure, error=io.temporal.internal.statemachines.InternalWorkflowTaskException: Failure handling event 4 of type "
                + "'EVENT_TYPE_WORKFLOW_TASK_COMPLETED' during replay. {WorkflowTaskStartedEventId=9, CurrentStartedEventId=3}\n"
                + "\tat a.b(C.java:1)\nCaused by: java.lang.RuntimeException: outer\n\tat d.e(F.java:2)\n"
                + "Caused by: com.example.BadInput: Unrecognized field \"x\"\n\tat g.h(I.java:3)\n",
            null);
    assertThat(cause).hasToString("diverged at event 4 (EVENT_TYPE_WORKFLOW_TASK_COMPLETED): BadInput: Unrecognized field \"x\"");

    // What a deserializer's message quotes of the history (a step's result, the task's input, a
    // payload's encoding) is not printed.
    for (String quoted :
        List.of(
            "Cannot deserialize value of type `int` from String \"PAYLOAD_SECRET_RESULT sk_live_leak3\": not a valid `int` value",
            "Cannot construct instance of `Caller` (although at least one Creator exists): no String-argument constructor/factory method"
                + " to deserialize from String value ('PAYLOAD_SECRET_INPUT sk_live_leak2')",
            "No PayloadConverter is registered for an encoding(s): binary/PAYLOAD_SECRET_ENC")) {
      ReplayCommand.Divergence d =
          ReplayCommand.Divergence.parse(
              "Failure handling event 13 of type 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED' during replay. {WorkflowTaskStartedEventId=9}\n"
                  + "Caused by: com.fasterxml.jackson.databind.exc.InvalidFormatException: " + quoted + "\n\tat g.h(I.java:3)\n",
              null);
      assertThat(d.reason()).as(quoted).doesNotContain("PAYLOAD_SECRET").doesNotContain("sk_live");
    }

    assertThat(ReplayCommand.Divergence.parse("x".repeat(1_000), null).reason()).hasSize(ReplayCommand.MAX_REASON).endsWith("...");

    // An event the SDK quotes whole: its payloads (the task's result, here) are not printed.
    ReplayCommand.Divergence quoted =
        ReplayCommand.Divergence.parse(
            "Failure handling event 44 of type 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED' during replay. No command scheduled that"
                + " corresponds to event_id: 44 event_time { seconds: 1795992382 } event_type: EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"
                + " workflow_execution_completed_event_attributes { result { payloads { metadata { key: \"encoding\" } data:"
                + " \"{\\\"ticket\\\":\\\"T-9001\\\"}\" } } }",
            null);
    assertThat(quoted.reason()).contains("No command scheduled").doesNotContain("T-9001").doesNotContain("payloads").endsWith("...");
  }

  @Test
  void aFileThatIsNotJsonExits2WithOneLineAndReplaysNothing() throws Exception {
    Path notJson = dir.resolve("notes.txt");
    Files.writeString(notJson, "this is not a history\n");

    Run run = replay("--history", fixture("pipeline.json").toString(), "--history", notJson.toString());

    assertThat(run.out()).isEmpty();
    assertThat(run.errLines()).hasSize(1);
    assertThat(run.err()).startsWith("replay: " + notJson + ": not JSON (at line 1, column ").doesNotContain("\tat ");
    assertThat(run.status()).isEqualTo(2);
  }

  /**
   * A probe gave dev mode's master key file as a history: the line quoted the parser's words,
   * which quote the token read, 43 of the key's 44 characters. A file that is not JSON is said to
   * be so, and where; never what it holds.
   */
  @Test
  void aKeyFileGivenAsAHistoryIsNotQuoted() throws Exception {
    Path key = dir.resolve("master.key");
    Files.writeString(key, "w4ML2GqSecretMasterKeyValue0123456789abcdef=\n");
    Path env = dir.resolve("provider.env");
    Files.writeString(env, "OPENAI_API_KEY=sk-LEAKME123\n");
    for (Path file : List.of(key, env)) {
      Run run = replay("--history", file.toString());
      assertThat(run.status()).isEqualTo(2);
      assertThat(run.err()).contains(file + ": not JSON").doesNotContain("w4ML2G").doesNotContain("OPENAI_API_KEY").doesNotContain("LEAKME");
    }
  }

  @Test
  void filesThatAreNoHistoryExit2() throws Exception {
    Map<String, String> cases =
        Map.of(
            "[]", "not a workflow history (not a JSON object)",
            "{\"events\": []}", "not a workflow history (no events)",
            "{\"history\": {}}", "not a workflow history (no \"events\" array)",
            "{\"events\": [{\"eventId\": \"1\", \"eventType\": \"EVENT_TYPE_TIMER_FIRED\"}]}",
                "not a workflow history (First event is not WorkflowExecutionStarted",
            "{\"events\": []} {}", "not JSON (");
    int i = 0;
    for (Map.Entry<String, String> c : cases.entrySet()) {
      Path file = dir.resolve("case" + i++ + ".json");
      Files.writeString(file, c.getKey());
      Run run = replay("--history", file.toString());
      assertThat(run.status()).as(c.getKey()).isEqualTo(2);
      assertThat(run.out()).as(c.getKey()).isEmpty();
      assertThat(run.errLines()).as(c.getKey()).hasSize(1);
      assertThat(run.err()).as(c.getKey()).startsWith("replay: " + file + ": " + c.getValue());
    }
    Files.write(dir.resolve("latin1.json"), new byte[] {'{', '"', (byte) 0xe9, '"', ':', '1', '}'});
    assertThat(replay("--history", dir.resolve("latin1.json").toString()).err()).contains("not UTF-8 text");
    Run missing = replay("--history", dir.resolve("missing.json").toString());
    assertThat(missing.status()).isEqualTo(2);
    assertThat(missing.err()).isEqualTo("replay: " + dir.resolve("missing.json") + ": no such file" + System.lineSeparator());
  }

  @Test
  void badUsageExits2() {
    assertThat(replay().status()).isEqualTo(2);
    assertThat(replay().err()).startsWith("replay: give --history FILE or --task ID");
    assertThat(replay("--history", "a.json", "--task", "t").status()).isEqualTo(2);
    Run targetWithFiles = replay("--history", "a.json", "--target", "127.0.0.1:7233");
    assertThat(targetWithFiles.status()).isEqualTo(2);
    assertThat(targetWithFiles.err()).contains("go with --task");
    assertThat(replay("--task", "t", "--target", "nohostport").err()).contains("--target wants HOST:PORT");
    assertThat(replay("--task", "t", "--target", "h:0").status()).isEqualTo(2);
    assertThat(replay("--task", "t", "--target", "h:1", "--target", "h:2").err()).contains("--target given 2 times");
    // argparse's own rejections exit 2 too (Dropwizard's Cli prints the message and the help).
    Run unknownFlag = replay("--bogus");
    assertThat(unknownFlag.status()).isEqualTo(2);
    assertThat(unknownFlag.errLines().get(0)).contains("--bogus");
    assertThat(ReplayCommand.validTarget("[::1]:7233")).isTrue();
    assertThat(ReplayCommand.validTarget("temporal.example.com:65535")).isTrue();
    assertThat(ReplayCommand.validTarget("temporal.example.com:65536")).isFalse();
  }

  @Test
  void otherCommandsKeepDropwizardsStatusForUsageErrors() {
    GatehouseApplication app = new GatehouseApplication();
    Bootstrap<GatehouseConfiguration> bootstrap = new Bootstrap<>(app);
    app.initialize(bootstrap);
    Optional<Throwable> failure =
        new Cli(new JarLocation(GatehouseApplication.class), bootstrap, new ByteArrayOutputStream(), new ByteArrayOutputStream())
            .run("mcp-probe", "--bogus", "http://127.0.0.1:1/mcp");
    assertThat(failure).isPresent();
    assertThat(CommandExit.statusOf(failure.get())).isEqualTo(1);
  }

  /** {@code --task} against Temporal's test server, served on a loopback port as dev mode serves it. */
  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class FromTemporal {
    static final String QUEUE = "gatehouse";
    private EmbeddedTemporal engine;
    private WorkerFactory workers;
    private WorkflowClient client;
    private String target;

    @BeforeAll
    void start() {
      engine = EmbeddedTemporal.start("127.0.0.1", 0);
      target = "127.0.0.1:" + engine.port();
      client =
          WorkflowClient.newInstance(
              WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setChannel(engine.channel()).build()));
      workers =
          WorkerFactory.newInstance(
              client, WorkerFactoryOptions.newBuilder().setWorkerInterceptors(GatehouseWorkflows.discover().interceptors()).build());
      Worker worker = workers.newWorker(QUEUE);
      GatehouseWorkflows.discover().register(worker, Duration.ofSeconds(30));
      TaskIndexActivities index = closed -> {};
      worker.registerActivitiesImplementations(new EchoTools(), new GreedyModel(), index);
      workers.start();
    }

    @AfterAll
    void stop() {
      workers.shutdownNow();
      workers.awaitTermination(5, TimeUnit.SECONDS);
      engine.close();
    }

    @Test
    void aFinishedPipelineReplays() throws Exception {
      String id = "task_replay_pipeline";
      PipelineWorkflow pipeline =
          client.newWorkflowStub(PipelineWorkflow.class, WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(QUEUE).build());
      JsonNode result = pipeline.run(twoSteps());
      assertThat(result.path("second").path("echo").asText()).isEqualTo("hello");
      int events = client.fetchHistory(id).getEvents().size();

      Run run = replay("--task", id, "--target", target);

      assertThat(run.lines()).containsExactly("OK   task:" + id + " pipeline " + id + " (" + events + " events)");
      assertThat(run.err()).isEmpty();
      assertThat(run.status()).isZero();
    }

    @Test
    void aTaskTheEngineNoLongerKnowsIsReplayedFromGatehousesArchive(@TempDir Path tmp) throws Exception {
      String ran = "task_replay_archived_source";
      client.newWorkflowStub(PipelineWorkflow.class, WorkflowOptions.newBuilder().setWorkflowId(ran).setTaskQueue(QUEUE).build())
          .run(twoSteps());
      var events = client.fetchHistory(ran).getEvents();
      try (dev.gatehouse.registry.testing.TestDatabase db = dev.gatehouse.registry.testing.TestDatabase.create()) {
        // The engine never heard of this task: only the archive has it.
        String archived = "task_replay_only_archived";
        byte[] bytes = dev.gatehouse.frontend.core.durable.HistoryArchive.encode(
            List.of(new dev.gatehouse.frontend.core.durable.HistoryArchive.Run("run-1", events)));
        assertThat(db.jdbi().onDemand(dev.gatehouse.registry.tasks.TaskHistoryDao.class)
            .insert(archived, "ten_x", 1, events.size(), bytes.length, bytes)).isTrue();
        Path config = tmp.resolve("gatehouse.yml");
        Files.writeString(
            config,
            """
            database:
              driverClass: org.postgresql.Driver
              url: "%s"
              user: "%s"
              password: "%s"
            temporal:
              target: "%s"
            """
                .formatted(db.url(), dev.gatehouse.registry.testing.TestDatabase.USER, dev.gatehouse.registry.testing.TestDatabase.PASSWORD, target));

        Run fromArchive = replay("--task", archived, config.toString());
        assertThat(fromArchive.status()).as(fromArchive.err()).isZero();
        assertThat(fromArchive.lines()).singleElement().asString().startsWith("OK   archive:" + archived + " pipeline " + archived + " (");

        Run nowhere = replay("--task", "task_replay_nowhere", config.toString());
        assertThat(nowhere.status()).isEqualTo(2);
        assertThat(nowhere.err()).contains("nor in Gatehouse's archive");

        // A task the index has and the archive does not (a probe's dev restart lost it) was said
        // to be in no archive, as if Gatehouse had never heard of it: the line says why there is none.
        var index = db.jdbi().onDemand(dev.gatehouse.registry.tasks.TaskIndexDao.class);
        index.insert("task_replay_lost", "ten_x", "agt_x", "pipeline", null, "h");
        index.close("task_replay_lost", "FAILED", "engine_reset", "dev mode keeps workflows in memory");
        Run lost = replay("--task", "task_replay_lost", config.toString());
        assertThat(lost.status()).isEqualTo(2);
        assertThat(lost.err()).contains("Gatehouse has no history of it: it ended FAILED (engine_reset) when dev mode restarted");
        index.insert("task_replay_unarchived", "ten_x", "agt_x", "pipeline", null, "h");
        index.close("task_replay_unarchived", "COMPLETED", null, null);
        assertThat(replay("--task", "task_replay_unarchived", config.toString()).err())
            .contains("it ended COMPLETED, and its history is not archived (yet");
      }
    }

    @Test
    void theConfigurationFileNamesTheEngineAndAFlagOverridesItsNamespace(@TempDir Path tmp) throws Exception {
      String id = "task_replay_config";
      PipelineWorkflow pipeline =
          client.newWorkflowStub(PipelineWorkflow.class, WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(QUEUE).build());
      pipeline.run(twoSteps());
      Path config = tmp.resolve("gatehouse.yml");
      Files.writeString(
          config,
          """
          database:
            driverClass: org.postgresql.Driver
            url: jdbc:postgresql://127.0.0.1:1/never-dialled
            user: nobody
          temporal:
            target: "%s"
            namespace: default
          """
              .formatted(target));

      assertThat(replay("--task", id, config.toString()).lines()).singleElement().asString().startsWith("OK   task:" + id + " pipeline ");

      Run otherNamespace = replay("--task", id, "--namespace", "elsewhere", config.toString());
      assertThat(otherNamespace.status()).isEqualTo(2);
      // Not in that namespace, and the configuration's database (where the archive is) cannot be reached.
      assertThat(otherNamespace.errLines()).singleElement().asString()
          .startsWith("replay: no task '" + id + "' in Temporal namespace 'elsewhere' at " + target + ", and Gatehouse's archive could not be read");

      Path broken = tmp.resolve("broken.yml");
      Files.writeString(broken, "temporal: {target: 127.0.0.1:7233, unknownSetting: 1}\n");
      Run badConfig = replay("--task", id, broken.toString());
      assertThat(badConfig.status()).isEqualTo(2);
      assertThat(badConfig.err())
          .startsWith("replay: " + broken + ": Unrecognized field at: temporal.unknownSetting (did you mean: ")
          .contains("namespace")
          .endsWith("?)" + System.lineSeparator());
      assertThat(badConfig.errLines()).hasSize(1);

      // Dropwizard quotes the YAML around a syntax error; the line may hold a secret, so only the headline is printed.
      Path leaky = tmp.resolve("leaky.yml");
      Files.writeString(leaky, "database:\n  password: \"hunter2-not-shown\n  url: x\n");
      Run syntax = replay("--task", id, leaky.toString());
      assertThat(syntax.status()).isEqualTo(2);
      assertThat(syntax.errLines()).singleElement().asString().startsWith("replay: " + leaky + ": Malformed YAML at line: 2");
      assertThat(syntax.err()).doesNotContain("hunter2");
    }

    @Test
    void anAgentThatContinuedAsNewReplaysItsLatestRunAndSaysSo() throws Exception {
      String id = "task_replay_agent";
      AgentWorkflow agent =
          client.newWorkflowStub(AgentWorkflow.class, WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(QUEUE).build());
      WorkflowClient.start(agent::run, greedyAgent());
      WorkflowStub.fromTyped(agent).getResult(60, TimeUnit.SECONDS, AgentResult.class);
      WorkflowExecutionHistory latest = client.fetchHistory(id);
      assertThat(latest.getEvents().get(0).getWorkflowExecutionStartedEventAttributes().getContinuedExecutionRunId())
          .as("the loop continued as new at least once")
          .isNotEmpty();
      assertThat(latest.getLastEvent().getEventType()).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);

      Run run = replay("--task", id, "--target", target);

      assertThat(run.lines())
          .containsExactly(
              "OK   task:" + id + " agent " + id + " (" + latest.getEvents().size() + " events, latest run after continue-as-new)");
      assertThat(run.status()).isZero();
    }

    @Test
    void anUnknownTaskExits2() {
      Run run = replay("--task", "unknown", "--target", target);

      assertThat(run.out()).isEmpty();
      assertThat(run.err()).isEqualTo("replay: no task 'unknown' in Temporal namespace 'default' at " + target + System.lineSeparator());
      assertThat(run.status()).isEqualTo(2);
    }
  }

  private static PipelineInput twoSteps() throws Exception {
    PipelineStep first = new PipelineStep("first", "echo", JSON.readTree("{\"echo\":\"${input.word}\"}"), List.of());
    PipelineStep second = new PipelineStep("second", "echo", JSON.readTree("{\"echo\":\"${steps.first.output.echo}\"}"), List.of("first"));
    return new PipelineInput(
        JSON.readTree("{\"word\":\"hello\"}"),
        new PipelineDefinition(List.of(first, second)),
        Map.of("echo", new ToolCallPolicy(5_000, 3, 10, 1.0, 10)),
        new Caller("ten_test", "agt_test", List.of()));
  }

  /** An agent whose model always asks for one more lookup: it continues as new every few steps until its step limit. */
  private static AgentInput greedyAgent() throws Exception {
    ToolCallPolicy policy = new ToolCallPolicy(5_000, 2, 10, 1.0, 10);
    AgentTool lookup =
        new AgentTool("lookup", "lookup", "Looks things up.", JSON.readTree("{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\"}}}"), policy);
    ObjectNode user = JsonNodeFactory.instance.objectNode().put("role", "user").put("content", "look it up");
    return new AgentInput(
        "fake-greedy", List.of(user), List.of(lookup), new AgentLimits(6, null, null, null, 50),
        new Caller("ten_test", "agt_test", List.of()), new ModelCallPolicy(5_000, 2, 10, 1.0, 10), null, 20);
  }

  /** A FAKE tool: answers with its arguments. */
  static final class EchoTools implements ToolActivities {
    @Override
    public ToolCallResult call(ToolCallRequest request) {
      return new ToolCallResult(200, request.args());
    }
  }

  /** A FAKE model that always asks for one more {@code lookup}. */
  static final class GreedyModel implements ModelActivities {
    private final AtomicInteger calls = new AtomicInteger();

    @Override
    public ModelCallResult call(ModelCallRequest request) {
      ObjectNode message = JsonNodeFactory.instance.objectNode().put("role", "assistant").putNull("content");
      ObjectNode call = message.putArray("tool_calls").addObject().put("id", "c" + calls.incrementAndGet()).put("type", "function");
      call.putObject("function").put("name", "lookup").put("arguments", "{\"q\":\"more\"}");
      return new ModelCallResult(null, message, "tool_calls", new ModelCallUsage(100, 0, 20, 0, false), null, "fake", "fake-1", 1);
    }
  }
}
