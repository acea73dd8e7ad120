package dev.gatehouse.frontend.tasks;

import dev.gatehouse.frontend.core.durable.DurableCalls;
import dev.gatehouse.frontend.core.durable.TaskEvents;
import dev.gatehouse.frontend.core.sse.SseEncoder;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one task's events as Server-Sent Events, read off the workflow history as it grows, run
 * after run across continue-as-new, until the task ends or the stream has been open for {@link
 * #MAX_OPEN} (the client then reconnects with {@code Last-Event-ID}).
 *
 * <p>It asks the engine how long the run's history is every {@link #POLL} (a description, which
 * is cheap) and reads the history only when it grew. Temporal's own long poll of a history is not
 * used: the embedded engine of dev mode does not implement it past the end of a closed run, and
 * both engines answer this way the same. A keep-alive comment goes out every {@link #KEEP_ALIVE},
 * and whenever {@code checkDue} asks for one (a write is how a server learns that an HTTP/1.1
 * client has gone).
 *
 * <p>It runs on a thread of its own and writes each event to a {@link Sink} (Jersey's chunked
 * output, which sends each one at once: a {@code StreamingOutput} would hold them in Jersey's
 * buffer).
 */
final class TaskEventStream implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(TaskEventStream.class);
  static final Duration POLL = Duration.ofMillis(200);
  static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
  /** The longest one stream stays open. */
  static final Duration MAX_OPEN = Duration.ofMinutes(10);

  private final DurableCalls durable;
  private final String taskId;
  private final String startRunId;
  private final long afterEventId;
  /** Gives back the stream's slots (once, when it ends). */
  private final Runnable release;
  /** True when a keep-alive should go out now, to find out whether the client has gone. */
  private final java.util.function.BooleanSupplier checkDue;
  /** Whether the stream's credential still authenticates its caller: asked before events go out. */
  private final java.util.function.BooleanSupplier stillValid;
  private final Sink sink;
  /** A run's events so far: the engine's, or the archive's once the engine no longer has the task. */
  private final java.util.function.Function<String, List<HistoryEvent>> history;

  /** Where the events go: one whole event (or comment) per call; throws when the client has gone. */
  interface Sink {
    void send(String text) throws IOException;

    void close();
  }

  /** Streams task {@code taskId} from run {@code runId}, after its event {@code afterEventId} (0: from the start). */
  TaskEventStream(
      DurableCalls durable,
      java.util.function.Function<String, List<HistoryEvent>> history,
      String taskId,
      String runId,
      long afterEventId,
      Runnable release,
      java.util.function.BooleanSupplier checkDue,
      java.util.function.BooleanSupplier stillValid,
      Sink sink) {
    this.checkDue = checkDue;
    this.stillValid = stillValid;
    this.history = history;
    this.sink = sink;
    this.durable = durable;
    this.taskId = taskId;
    this.startRunId = runId;
    this.afterEventId = afterEventId;
    this.release = release;
  }

  @Override
  public void run() {
    try {
      stream();
    } catch (IOException e) {
      LOG.debug("the client of task {}'s events went away: {}", taskId, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warn("the event stream of task {} failed", taskId, e);
    } finally {
      sink.close();
      release.run();
    }
  }

  private void stream() throws IOException, InterruptedException {
    SseEncoder sse = new SseEncoder();
    long openUntil = System.nanoTime() + MAX_OPEN.toNanos();
    String runId = startRunId;
    long seen = afterEventId;
    // A comment first, so the client sees the stream open before the first event.
    send(sse.reset().comment("task " + taskId));
    long nextKeepAlive = System.nanoTime() + KEEP_ALIVE.toNanos();
    while (System.nanoTime() - openUntil < 0) {
      List<HistoryEvent> events;
      try {
        events = history.apply(runId);
      } catch (RuntimeException e) {
        LOG.debug("the history of task {} could not be read: {}", taskId, e.toString());
        send(sse.reset().event(null, "error", "{\"code\":\"history_unavailable\",\"message\":\"the task's history could not be read\"}"));
        return;
      }
      if (!events.isEmpty() && events.get(events.size() - 1).getEventId() > seen && !stillValid.getAsBoolean()) {
        // Revoked (or expired, or its agent deleted) since the stream opened: nothing more goes out.
        send(sse.reset().event(null, "error", "{\"code\":\"unauthorized\",\"message\":\"" + TasksResource.STOPPED_BEING_VALID + "\"}"));
        return;
      }
      String next = null;
      boolean closed = false;
      // A fresh mapper sees the run from its first event (it learns which step each activity is).
      TaskEvents mapper = durable.events();
      for (HistoryEvent e : events) {
        Optional<TaskEvents.Event> ev = mapper.map(runId, e);
        if (e.getEventId() > seen) {
          if (ev.isPresent()) {
            send(sse.reset().event(ev.get().id(), ev.get().name(), ev.get().data().toString()));
            nextKeepAlive = System.nanoTime() + KEEP_ALIVE.toNanos();
          }
          seen = e.getEventId();
        }
        closed |= isClose(e.getEventType());
        if (e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW) {
          next = e.getWorkflowExecutionContinuedAsNewEventAttributes().getNewExecutionRunId();
        }
      }
      if (next != null) {
        runId = next;
        seen = 0;
        continue;
      }
      if (closed) {
        return;
      }
      // Wait until the run's history grows (or it is time for a keep-alive, or to close).
      while (System.nanoTime() - openUntil < 0) {
        Thread.sleep(POLL.toMillis());
        long length;
        try {
          length = durable.historyLength(taskId, runId);
        } catch (RuntimeException e) {
          length = Long.MAX_VALUE; // read the history, which reports what went wrong
        }
        if (length > seen) {
          break;
        }
        if (System.nanoTime() - nextKeepAlive >= 0 || checkDue.getAsBoolean()) {
          send(sse.reset().comment("keep-alive"));
          nextKeepAlive = System.nanoTime() + KEEP_ALIVE.toNanos();
        }
      }
    }
  }

  static boolean isClose(EventType type) {
    return switch (type) {
      case EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
          EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
          EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
          EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
          EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
          EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW -> true;
      default -> false;
    };
  }

  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(512);

  private void send(SseEncoder sse) throws IOException {
    buffer.reset();
    sse.writeTo(buffer);
    sink.send(buffer.toString(StandardCharsets.UTF_8));
  }
}
