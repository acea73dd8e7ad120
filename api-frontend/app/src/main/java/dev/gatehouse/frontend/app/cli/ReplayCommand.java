package dev.gatehouse.frontend.app.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.gatehouse.activities.text.Unprintables;
import dev.gatehouse.frontend.app.GatehouseConfiguration;
import dev.gatehouse.frontend.app.config.TemporalConfig;
import dev.gatehouse.frontend.app.config.WorkerConfig;
import dev.gatehouse.frontend.app.temporal.GatehouseWorkflows;
import dev.gatehouse.frontend.app.temporal.TemporalClients;
import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.core.Configuration;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.Command;
import io.dropwizard.core.setup.Bootstrap;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.history.v1.WorkflowExecutionStartedEventAttributes;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactoryOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;
import org.slf4j.LoggerFactory;

/**
 * {@code gatehouse replay --history FILE [--history FILE ...]} and {@code gatehouse replay --task
 * ID [--target HOST:PORT] [--namespace NS] [config.yml]}: replays recorded workflow histories
 * against the workflow code of this build, registered as every Gatehouse worker registers it
 * ({@link GatehouseWorkflows}: the same implementations, options and task-index interceptor), and
 * prints one line per history on stdout, {@code OK} or {@code FAIL} with the event where the code
 * no longer does what the history says. Exit 0 when every history replays, 1 when one does not,
 * 2 when the command line, a file or a task is not usable (one line on stderr, nothing replayed).
 *
 * <p>A history is a file in the JSON of {@code WorkflowExecutionHistory.toJson} or of {@code
 * temporal workflow show --output json}, or the latest run of a task's workflow fetched from
 * Temporal (the workflow id is the task id). Payloads are never printed.
 */
public class ReplayCommand extends Command {
  public static final String NAME = "replay";

  /** A history does not replay against the current code. */
  static final int DIVERGED = 1;
  /** The command line, a history file, the configuration or a task cannot be used. */
  static final int UNUSABLE = 2;

  /** How long a reason may be before it is cut. */
  static final int MAX_REASON = 240;

  private static final Pattern TARGET = Pattern.compile("(?:\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):(\\d{1,5})");
  /** The SDK's "Failure handling event 5 of type 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED' during replay." */
  private static final Pattern FAILED_EVENT = Pattern.compile("Failure handling event (\\d+) of type '([A-Z_]+)'");
  /** What follows that sentence in a NonDeterministicException: "[TMPRL1100] Command ... doesn't match ...". */
  private static final Pattern DETAIL =
      Pattern.compile("during replay\\.\\s*(?:\\[TMPRL\\d+\\]\\s*)?(?!\\{)(.+?)\\s*(?:\\{WorkflowTaskStartedEventId=|\\n\\s*at |$)", Pattern.DOTALL);
  /** A "Caused by: class: message" line of a stack trace the SDK put into a message. */
  private static final Pattern CAUSED_BY = Pattern.compile("(?m)^Caused by: ([\\w.$]+)(?:: (.*))?$");
  /** The replayer's wrapper: "query failure for ..., error=<the failure as text>". */
  private static final Pattern WRAPPED_ERROR = Pattern.compile(", error=([\\w.$]+)(?:: ([^\\n]*))?");

  /** An error of a Dropwizard ConfigurationException's message: "  * Malformed YAML at line: ...". */
  private static final Pattern CONFIG_ERROR = Pattern.compile("(?m)^\\s*\\* (.+)$");

  private static final ObjectMapper STRICT_JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build();

  public ReplayCommand() {
    super(NAME, "Replay recorded workflow histories against this build's workflow code; OK or FAIL per history");
  }

  @Override
  public void configure(Subparser subparser) {
    subparser.addArgument("--history").action(Arguments.append()).metavar("FILE")
        .help("a workflow history as JSON (WorkflowExecutionHistory.toJson, or temporal workflow show --output json); repeatable");
    subparser.addArgument("--task").action(Arguments.append()).metavar("ID")
        .help("fetch the history of this task's workflow (its latest run) from Temporal and replay it; repeatable");
    subparser.addArgument("--target").action(Arguments.append()).metavar("HOST:PORT")
        .help("with --task: the Temporal frontend (default: temporal.target of the configuration, else 127.0.0.1:7233)");
    subparser.addArgument("--namespace").action(Arguments.append()).metavar("NS")
        .help("with --task: the Temporal namespace (default: temporal.namespace of the configuration, else default)");
    subparser.addArgument("--workflows").action(Arguments.append()).metavar("JAR")
        .help("a jar of teams' workflows (or a directory of such jars) to replay against, beside the class path's and the configuration's");
    subparser.addArgument("file").nargs("?").metavar("config.yml")
        .help("with --task: Gatehouse's configuration file, for its temporal section (target, namespace, TLS)");
    subparser.epilog(
        "One line per history on stdout: 'OK   SOURCE TYPE WORKFLOW_ID (N events)' or "
            + "'FAIL SOURCE TYPE WORKFLOW_ID: diverged at event ID (EVENT_TYPE): REASON'. "
            + "Exit status 0 when every history replays, 1 when one does not, 2 when nothing could be replayed "
            + "(bad usage, an unreadable file, an unknown task, Temporal unreachable).");
  }

  @Override
  public void run(Bootstrap<?> bootstrap, Namespace namespace) throws Exception {
    quietLogs();
    try {
      List<String> files = all(namespace, "history");
      List<String> tasks = all(namespace, "task");
      String target = atMostOne(namespace, "target");
      String temporalNamespace = atMostOne(namespace, "namespace");
      String configFile = namespace.getString("file");
      if (files.isEmpty() == tasks.isEmpty()) {
        throw unusable("give --history FILE or --task ID (either may be repeated), not both");
      }
      if (!files.isEmpty() && (target != null || temporalNamespace != null || configFile != null)) {
        throw unusable("--target, --namespace and a configuration file go with --task, not with --history");
      }
      if (target != null && !validTarget(target)) {
        throw unusable("--target wants HOST:PORT, got '" + target + "'");
      }
      if (temporalNamespace != null && temporalNamespace.isBlank()) {
        throw unusable("--namespace is empty");
      }
      for (String task : tasks) {
        if (task.isBlank()) {
          throw unusable("--task is empty");
        }
      }

      List<Recorded> histories = new ArrayList<>();
      Duration toolHeartbeatTimeout = new WorkerConfig().getToolHeartbeatTimeout().toJavaDuration();
      List<Path> workflowJars = new ArrayList<>(all(namespace, "workflows").stream().map(Path::of).toList());
      if (!files.isEmpty()) {
        // Every file is read before anything is replayed: one that cannot be read stops the run.
        for (String file : files) {
          histories.add(read(file));
        }
      } else {
        GatehouseConfiguration config = configFile == null ? null : load(bootstrap, configFile);
        TemporalConfig temporal = config == null ? new TemporalConfig() : config.getTemporal();
        if (config != null) {
          toolHeartbeatTimeout = config.getWorker().getToolHeartbeatTimeout().toJavaDuration();
          workflowJars.addAll(config.getWorkflows().paths());
        }
        if (temporalNamespace != null) {
          temporal.setNamespace(temporalNamespace);
        }
        histories.addAll(fetch(target != null ? target : temporal.getTarget(), temporal, tasks, archive(bootstrap, config)));
      }
      GatehouseWorkflows workflows;
      try {
        workflows = GatehouseWorkflows.discover(workflowJars);
      } catch (RuntimeException e) {
        throw unusable("the workflows to replay against cannot be loaded: " + e.getMessage());
      }
      if (!replay(histories, workflows, toolHeartbeatTimeout, System.out)) {
        throw new CommandExit(DIVERGED, null);
      }
    } catch (CommandExit e) {
      throw e;
    } catch (Exception e) {
      throw new CommandExit(UNUSABLE, oneLine(McpProbeCommand.describe(e)));
    }
  }

  /**
   * One line on stderr, never a stack trace; nothing when the lines on stdout already tell (exit 1).
   * What the command line and the files gave (a task id, a target) is quoted with its control and
   * format characters escaped: a terminal shows them, it does not act on them.
   */
  @Override
  public void onError(Cli cli, Namespace namespace, Throwable e) {
    if (e instanceof CommandExit exit) {
      if (exit.getMessage() != null) {
        cli.getStdErr().println(NAME + ": " + Unprintables.escaped(exit.getMessage()));
      }
      return;
    }
    cli.getStdErr().println(NAME + ": " + Unprintables.escaped(oneLine(McpProbeCommand.describe(e))));
  }

  /** A history to replay: where it came from and what the output line says about it. */
  record Recorded(String source, WorkflowExecutionHistory history, String workflowId, String note) {
    WorkflowExecutionStartedEventAttributes started() {
      return history.getEvents().get(0).getWorkflowExecutionStartedEventAttributes();
    }

    String workflowType() {
      String type = started().getWorkflowType().getName();
      return type.isEmpty() ? "-" : type;
    }
  }

  /**
   * Replays each history, printing its line as soon as it is known; true when all replayed. A line
   * quotes what the history says (its workflow type and id, the SDK's reason) with control and
   * format characters escaped ({@link Unprintables}): one line each, nothing a terminal acts on. One
   * worker per task queue the histories name, each registered as a Gatehouse worker is.
   */
  static boolean replay(List<Recorded> histories, GatehouseWorkflows workflows, Duration toolHeartbeatTimeout, PrintStream out) {
    boolean allReplayed = true;
    TestEnvironmentOptions options =
        TestEnvironmentOptions.newBuilder()
            .setWorkerFactoryOptions(
                WorkerFactoryOptions.newBuilder().setWorkerInterceptors(workflows.interceptors()).build())
            .build();
    TestWorkflowEnvironment plainEnv = null;
    try (TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance(options)) {
      Map<String, Worker> workers = new HashMap<>();
      Map<String, Worker> plainWorkers = new HashMap<>();
      for (Recorded recorded : histories) {
        String queue = recorded.started().getTaskQueue().getName();
        boolean plain = recordedWithoutTaskIndex(recorded.history());
        if (plain && plainEnv == null) {
          plainEnv = TestWorkflowEnvironment.newInstance();
        }
        TestWorkflowEnvironment in = plain ? plainEnv : env;
        Worker worker =
            (plain ? plainWorkers : workers).computeIfAbsent(
                queue.isEmpty() ? "gatehouse-replay" : queue,
                q -> {
                  Worker w = in.newWorker(q);
                  workflows.register(w, toolHeartbeatTimeout);
                  return w;
                });
        String head = recorded.source() + " " + recorded.workflowType() + " " + recorded.workflowId();
        String note = recorded.note() == null ? "" : recorded.note();
        if (plain) {
          note = (note.isEmpty() ? "" : note + ", ") + "recorded without Gatehouse's task index";
        }
        try {
          WorkflowReplayer.replayWorkflowExecution(recorded.history(), worker);
          out.println(Unprintables.escaped("OK   " + head + " (" + recorded.history().getEvents().size() + " events" + (note.isEmpty() ? "" : ", " + note) + ")"));
        } catch (Exception e) {
          allReplayed = false;
          out.println(Unprintables.escaped("FAIL " + head + ": " + Divergence.of(e, recorded.history()) + (note.isEmpty() ? "" : " (" + note + ")")));
        }
        out.flush();
      }
    } finally {
      if (plainEnv != null) {
        plainEnv.close();
      }
    }
    return allReplayed;
  }

  /**
   * Whether {@code history} ended without the marker a Gatehouse worker's task index interceptor
   * writes when a workflow ends (the local activity {@code TaskIndex.RecordClosed}): a history a
   * team recorded with Temporal's {@code TestWorkflowEnvironment}, as the example's is. Such a
   * history is replayed without the interceptor, which would otherwise ask for the marker and fail
   * it on code that has not changed.
   */
  static boolean recordedWithoutTaskIndex(WorkflowExecutionHistory history) {
    boolean ended = false;
    for (io.temporal.api.history.v1.HistoryEvent e : history.getEvents()) {
      switch (e.getEventType()) {
        case EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED -> ended = true;
        case EVENT_TYPE_MARKER_RECORDED -> {
          var type = e.getMarkerRecordedEventAttributes().getDetailsMap().get("type");
          if (type != null && type.getPayloadsList().stream().anyMatch(p -> p.getData().toStringUtf8().contains("\"TaskIndex."))) {
            return false;
          }
        }
        default -> {}
      }
    }
    return ended;
  }

  /** Where and why a replay failed, from the SDK's exception (whose messages carry the details as text). */
  record Divergence(Long eventId, String eventType, String reason) {

    static Divergence of(Throwable failure, WorkflowExecutionHistory history) {
      StringBuilder text = new StringBuilder();
      int depth = 0;
      for (Throwable t = failure; t != null && depth < 10; t = t.getCause(), depth++) {
        if (t.getMessage() != null) {
          text.append(t.getMessage()).append('\n');
        }
      }
      return parse(text.toString(), history);
    }

    /** Parsed defensively: any part not found is left out, and the reason falls back to the first line. */
    static Divergence parse(String text, WorkflowExecutionHistory history) {
      Long eventId = null;
      String eventType = null;
      Matcher event = FAILED_EVENT.matcher(text);
      if (event.find()) {
        eventId = Long.parseLong(event.group(1));
        eventType = event.group(2);
        if (history != null) {
          for (HistoryEvent e : history.getEvents()) {
            if (e.getEventId() == eventId && e.getEventType() != EventType.UNRECOGNIZED) {
              eventType = e.getEventType().name();
              break;
            }
          }
        }
      }
      return new Divergence(eventId, eventType, reason(text, eventId != null));
    }

    private static String reason(String text, boolean atEvent) {
      if (atEvent) {
        Matcher detail = DETAIL.matcher(text);
        if (detail.find() && !detail.group(1).isBlank()) {
          return cut(detail.group(1));
        }
      }
      // The deepest cause the SDK wrote out, e.g. the workflow's input no longer deserializing.
      Matcher causedBy = CAUSED_BY.matcher(text);
      String deepest = null;
      while (causedBy.find()) {
        deepest = simpleName(causedBy.group(1)) + (causedBy.group(2) == null ? "" : ": " + withoutValues(causedBy.group(2)));
      }
      if (deepest != null) {
        return cut(deepest);
      }
      Matcher wrapped = WRAPPED_ERROR.matcher(text);
      if (wrapped.find()) {
        String message = wrapped.group(2);
        if (message != null && !message.isBlank() && !FAILED_EVENT.matcher(message).find()) {
          return cut(withoutValues(message));
        }
        if (!atEvent) {
          return cut(simpleName(wrapped.group(1)));
        }
      }
      if (atEvent) {
        return "the workflow code does not replay this event";
      }
      String first = text.strip().lines().findFirst().orElse("");
      return first.isBlank() ? "the replay failed without a message" : cut(withoutValues(first));
    }

    /**
     * An exception's message without the values it quotes: a deserializer's ("Cannot deserialize
     * value of type `int` from String \"...\"", "from String value ('...')") and a payload's
     * encoding quote what the history holds, the task's input or a step's result.
     */
    static String withoutValues(String message) {
      String m = QUOTED.matcher(message).replaceAll("\"...\"");
      m = QUOTED_IN_PARENTHESES.matcher(m).replaceAll("(...)");
      return ENCODING.matcher(m).replaceAll("$1 ...");
    }

    /** A deserializer's quote of the String value it could not read ({@code from String "..."}). */
    private static final Pattern QUOTED = Pattern.compile("(?<=from String )\"[^\"\\n]*\"");
    private static final Pattern QUOTED_IN_PARENTHESES = Pattern.compile("\\('[^'\\n]*'\\)");
    private static final Pattern ENCODING = Pattern.compile("(encoding(?:\\(s\\))?:?)\\s*\\S+");

    private static String simpleName(String className) {
      return className.substring(className.lastIndexOf('.') + 1);
    }

    private static String cut(String s) {
      // The SDK quotes values as protobuf text, which ends in a newline: 'name: "Tool.Call"\n'.
      String line = s.replace("\n'", "'").replaceAll("\\s+", " ").strip();
      // An event it quotes whole holds the task's data (a result, a call's input): not printed.
      Matcher payload = PAYLOAD.matcher(line);
      if (payload.find()) {
        line = line.substring(0, payload.start()).strip() + " ...";
      }
      return line.length() <= MAX_REASON ? line : line.substring(0, MAX_REASON - 3) + "...";
    }

    /** Where the protobuf text of an event the SDK quotes comes to a payload. */
    private static final Pattern PAYLOAD = Pattern.compile("\\b(?:payloads?|header|memo|search_attributes) \\{");

    @Override
    public String toString() {
      return eventId == null
          ? "diverged: " + reason
          : "diverged at event " + eventId + " (" + eventType + "): " + reason;
    }
  }

  /** A history file, checked: JSON, an object with a non-empty "events" array, a workflow history. */
  static Recorded read(String file) {
    String json;
    try {
      byte[] bytes = BoundedFiles.read(Path.of(file), BoundedFiles.MAX_HISTORY_BYTES);
      json = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (BoundedFiles.TooLarge e) {
      throw unusable(file + ": larger than " + BoundedFiles.MAX_HISTORY_BYTES / (1024 * 1024) + " MiB, the most a history file may be");
    } catch (InvalidPathException e) {
      throw unusable(file + ": not a file name");
    } catch (NoSuchFileException e) {
      throw unusable(file + ": no such file");
    } catch (AccessDeniedException e) {
      throw unusable(file + ": permission denied");
    } catch (CharacterCodingException e) {
      throw unusable(file + ": not a workflow history (not UTF-8 text)");
    } catch (IOException e) {
      throw unusable(file + ": cannot read it (" + oneLine(McpProbeCommand.describe(e)) + ")");
    }
    JsonNode tree;
    try {
      tree = STRICT_JSON.readTree(json);
    } catch (JsonProcessingException e) {
      // Where, not what: the parser's words quote the token it read, and a file given by mistake
      // (a key file, an env file) is a secret's first characters.
      var at = e.getLocation();
      throw unusable(file + ": not JSON" + (at == null || at.getLineNr() < 1 ? "" : " (at line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
    }
    if (tree == null || tree.isMissingNode() || !tree.isObject()) {
      throw unusable(file + ": not a workflow history (not a JSON object)");
    }
    if (!tree.path("events").isArray()) {
      throw unusable(file + ": not a workflow history (no \"events\" array)");
    }
    if (tree.path("events").isEmpty()) {
      throw unusable(file + ": not a workflow history (no events)");
    }
    WorkflowExecutionHistory history;
    try {
      history = WorkflowExecutionHistory.fromJson(json);
    } catch (RuntimeException e) {
      throw unusable(file + ": not a workflow history (" + withoutEvent(McpProbeCommand.describe(e)) + ")");
    }
    String workflowId = history.getEvents().get(0).getWorkflowExecutionStartedEventAttributes().getWorkflowId();
    if (workflowId.isEmpty()) {
      // A test server's history does not name its workflow: replay under the SDK's placeholder id.
      return new Recorded(file, history, "-", null);
    }
    return new Recorded(file, new WorkflowExecutionHistory(history.getHistory(), workflowId), workflowId, null);
  }

  /**
   * The SDK's reason a history does not read, without the event it quotes after it ("First event is
   * not WorkflowExecutionStarted but event_id: 1 ... data: ..."): that is the task's input.
   */
  static String withoutEvent(String message) {
    String line = String.valueOf(message).strip().lines().findFirst().orElse("");
    int but = line.indexOf(" but ");
    if (line.startsWith("First event is") && but > 0) {
      line = line.substring(0, but);
    }
    int data = line.indexOf("data:");
    return oneLine(data < 0 ? line : line.substring(0, data) + "...");
  }

  /** Where a task's archived runs are read when the engine does not know the task. */
  interface Archive {
    /**
     * The task's archived runs (empty: not archived); throws {@link NoHistory} when Gatehouse
     * knows the task but has no history of it, and anything else when the archive cannot be read.
     */
    List<Recorded> runs(String task) throws Exception;
  }

  /** A task Gatehouse's index has, with no archived history: why there is none to replay. */
  static final class NoHistory extends Exception {
    NoHistory(String why) {
      super(why, null, false, false);
    }
  }

  /** Why the index row of a task with no archived history has none. */
  static String whyNoHistory(dev.gatehouse.registry.tasks.TaskRecord row) {
    String ended = "it ended " + row.status() + (row.errorCode() == null ? "" : " (" + row.errorCode() + ")");
    if (row.status() == dev.gatehouse.registry.tasks.TaskStatus.RUNNING) {
      return "Gatehouse's index has it RUNNING, on an engine or namespace other than this one";
    }
    if (dev.gatehouse.frontend.core.errors.ErrorCode.ENGINE_RESET.code().equals(row.errorCode())) {
      return ended + " when dev mode restarted and its in-memory engine lost it, history and all";
    }
    return ended + ", and its history is not archived (yet: the archiver looks for ended tasks every tasks.sweepInterval)";
  }

  /**
   * Gatehouse's archive of ended tasks' histories, in the database of {@code config}; with no
   * configuration file there is none to read.
   */
  @SuppressWarnings("unchecked")
  private static Archive archive(Bootstrap<?> bootstrap, GatehouseConfiguration config) {
    if (config == null) {
      return null;
    }
    return task -> {
      List<Recorded> out = new ArrayList<>();
      CommandDatabase.use(
          (Bootstrap<GatehouseConfiguration>) bootstrap,
          config,
          "replay-archive",
          (dataSource, jdbi) -> {
            var archived = jdbi.onDemand(dev.gatehouse.registry.tasks.TaskHistoryDao.class).find(task);
            if (archived.isEmpty() || archived.get().history() == null) {
              var row = jdbi.onDemand(dev.gatehouse.registry.tasks.TaskIndexDao.class).find(task);
              if (row.isPresent()) {
                throw new NoHistory(whyNoHistory(row.get()));
              }
              return;
            }
            List<dev.gatehouse.frontend.core.durable.HistoryArchive.Run> runs =
                dev.gatehouse.frontend.core.durable.HistoryArchive.decode(archived.get().history());
            for (int i = 0; i < runs.size(); i++) {
              var history =
                  new WorkflowExecutionHistory(
                      io.temporal.api.history.v1.History.newBuilder().addAllEvents(runs.get(i).events()).build(), task);
              out.add(new Recorded("archive:" + task, history, task, runs.size() == 1 ? null : "run " + (i + 1) + " of " + runs.size()));
            }
          });
      return out;
    };
  }

  /**
   * The latest run of each task's workflow, fetched before anything is replayed; a task the engine
   * no longer knows is read from Gatehouse's archive (every run) when a configuration names its database.
   */
  private static List<Recorded> fetch(String target, TemporalConfig temporal, List<String> tasks, Archive archive) {
    List<Recorded> histories = new ArrayList<>();
    TemporalClients clients = TemporalClients.connect(target, temporal);
    try {
      for (String task : tasks) {
        WorkflowExecutionHistory history;
        try {
          history = clients.client().fetchHistory(task);
        } catch (WorkflowNotFoundException e) {
          histories.addAll(archived(task, temporal.getNamespace(), target, archive));
          continue;
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
            histories.addAll(archived(task, temporal.getNamespace(), target, archive));
            continue;
          }
          throw unusable("cannot fetch task '" + task + "' from Temporal at " + target + ": " + oneLine(McpProbeCommand.describe(e)));
        }
        List<HistoryEvent> events = history.getEvents();
        if (events.isEmpty() || !events.get(0).hasWorkflowExecutionStartedEventAttributes()) {
          throw unusable("task '" + task + "': Temporal returned no workflow history");
        }
        // The latest run; one that continued an earlier run says so (the earlier runs are not replayed).
        boolean continued = !events.get(0).getWorkflowExecutionStartedEventAttributes().getContinuedExecutionRunId().isEmpty();
        histories.add(new Recorded("task:" + task, history, task, continued ? "latest run after continue-as-new" : null));
      }
    } finally {
      clients.stop();
    }
    return histories;
  }

  /** The archived runs of a task the engine does not know; exit 2 when there are none. */
  private static List<Recorded> archived(String task, String namespace, String target, Archive archive) {
    String notInTemporal = "no task '" + task + "' in Temporal namespace '" + namespace + "' at " + target;
    if (archive == null) {
      throw unusable(notInTemporal);
    }
    List<Recorded> runs;
    try {
      runs = archive.runs(task);
    } catch (NoHistory e) {
      throw unusable(notInTemporal + ", and Gatehouse has no history of it: " + e.getMessage());
    } catch (Exception e) {
      throw unusable(notInTemporal + ", and Gatehouse's archive could not be read (" + oneLine(McpProbeCommand.describe(e)) + ")");
    }
    if (runs.isEmpty()) {
      throw unusable(notInTemporal + ", nor in Gatehouse's archive");
    }
    return runs;
  }

  /** The configuration file, read as the server reads it (environment variables substituted) and validated. */
  private static GatehouseConfiguration load(Bootstrap<?> bootstrap, String file) {
    Configuration config;
    try {
      config = build(bootstrap, file);
    } catch (ConfigurationException e) {
      throw unusable(file + ": " + configurationErrors(e));
    } catch (Exception e) {
      throw unusable(file + ": " + oneLine(McpProbeCommand.describe(e)));
    }
    if (!(config instanceof GatehouseConfiguration gatehouse)) {
      throw new IllegalStateException("not a Gatehouse configuration: " + config.getClass().getName());
    }
    return gatehouse;
  }

  /**
   * Each error's headline ("Malformed YAML at line: 2, column: 11", "database.url must not be
   * empty"), without the YAML snippet Dropwizard quotes after it: that may be a secret's line.
   */
  static String configurationErrors(ConfigurationException e) {
    List<String> headlines = new ArrayList<>();
    // Gatehouse's configuration reader lists its errors without values; Dropwizard's as bullets.
    List<String> errors = new ArrayList<>(e.getErrors());
    Matcher bullet = CONFIG_ERROR.matcher(String.valueOf(e.getMessage()));
    while (errors.isEmpty() && bullet.find()) {
      errors.add(bullet.group(1));
    }
    for (String error : errors) {
      String headline = error.strip().lines().findFirst().orElse("");
      int semicolon = headline.indexOf(';');
      headlines.add((semicolon < 0 ? headline : headline.substring(0, semicolon)).strip());
    }
    return headlines.isEmpty() ? "not a usable configuration" : oneLine(String.join("; ", headlines));
  }

  private static <T extends Configuration> T build(Bootstrap<T> bootstrap, String file) throws Exception {
    return bootstrap
        .getConfigurationFactoryFactory()
        .create(
            bootstrap.getApplication().getConfigurationClass(),
            bootstrap.getValidatorFactory().getValidator(),
            bootstrap.getObjectMapper(),
            "dw")
        .build(bootstrap.getConfigurationSourceProvider(), file);
  }

  static boolean validTarget(String target) {
    Matcher m = TARGET.matcher(target);
    if (!m.matches()) {
      return false;
    }
    int port = Integer.parseInt(m.group(1));
    return port >= 1 && port <= 65_535;
  }

  private static List<String> all(Namespace namespace, String dest) {
    List<String> values = namespace.getList(dest);
    return values == null ? List.of() : values;
  }

  private static String atMostOne(Namespace namespace, String dest) {
    List<String> values = all(namespace, dest);
    if (values.size() > 1) {
      throw unusable("--" + dest + " given " + values.size() + " times");
    }
    return values.isEmpty() ? null : values.get(0);
  }

  private static CommandExit unusable(String message) {
    return new CommandExit(UNUSABLE, message);
  }

  private static String oneLine(String s) {
    String line = s == null ? "" : DatabaseUrls.redact(s).replaceAll("\\s+", " ").strip();
    return line.length() <= 400 ? line : line.substring(0, 397) + "...";
  }

  /**
   * stdout is the lines and stderr the one error line: the SDK's and gRPC's logging (and
   * Dropwizard's bootstrap appender) are switched off.
   */
  private static void quietLogs() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
      root.setLevel(Level.OFF);
      List<Appender<ILoggingEvent>> appenders = new ArrayList<>();
      root.iteratorForAppenders().forEachRemaining(appenders::add);
      appenders.forEach(root::detachAppender);
    }
  }
}
