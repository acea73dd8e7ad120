package dev.gatehouse.frontend.app.temporal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

/**
 * The engine's refusal of a workflow task completion that raced a new event (UnhandledCommand) is
 * not logged; every other failure of the same loggers is. In a logging context of its own, logged
 * the way the SDK logs them.
 */
class TemporalRaceLogsTest {
  private static final StatusRuntimeException RACE = Status.INVALID_ARGUMENT.withDescription("UnhandledCommand").asRuntimeException();

  /** The lines {@code context}, with the filter installed, writes at INFO and above. */
  private static ListAppender<ILoggingEvent> filtered(LoggerContext context) {
    TemporalRaceLogs.install(context);
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.start();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(seen);
    return seen;
  }

  @Test
  void theRaceIsDroppedAndEveryOtherFailureKept() {
    LoggerContext context = new LoggerContext();
    ListAppender<ILoggingEvent> seen = filtered(context);
    Logger worker = context.getLogger(TemporalRaceLogs.WORKFLOW_WORKER);
    Logger poller = context.getLogger(TemporalRaceLogs.POLLER_OPTIONS);

    // As WorkflowWorker logs it: the throwable after three arguments.
    worker.warn(
        "Failure while reporting workflow progress to the server. If seen continuously the workflow might be stuck. WorkflowId={}, RunId={}, startedEventId={}",
        "task_1", "run-1", 24, RACE);
    poller.info("Failed workflow task due to unhandled command. This error is likely recoverable.", RACE);
    // Wrapped, as a retryer may hand it on.
    worker.warn("wrapped", new RuntimeException("retry failed", RACE));
    assertThat(seen.list).as("the race's lines").isEmpty();

    worker.warn("Failure while reporting workflow progress to the server. WorkflowId={}, RunId={}, startedEventId={}", "task_2", "run-2", 7,
        Status.NOT_FOUND.withDescription("workflow not found").asRuntimeException());
    worker.warn("Failure while reporting workflow progress to the server.", Status.INVALID_ARGUMENT.withDescription("BadScheduleActivityAttributes").asRuntimeException());
    worker.warn("no throwable at all: {}", "x");
    context.getLogger("io.temporal.somewhere.else").warn("another logger", RACE);
    assertThat(seen.list).extracting(ILoggingEvent::getLoggerName)
        .containsExactly(TemporalRaceLogs.WORKFLOW_WORKER, TemporalRaceLogs.WORKFLOW_WORKER, TemporalRaceLogs.WORKFLOW_WORKER, "io.temporal.somewhere.else");
  }

  /** A probe's cancelled fan-outs wrote one warning with a stack trace per step promise never read. */
  @Test
  void aPromiseNeverReadIsNotLoggedAndTheRunnersOtherLinesAre() {
    LoggerContext context = new LoggerContext();
    ListAppender<ILoggingEvent> seen = filtered(context);
    Logger runner = context.getLogger(TemporalRaceLogs.RUNNER);

    for (int i = 0; i < 200; i++) {
      runner.warn("Promise completed with exception and was never accessed. The ignored exception:", new IllegalStateException("step " + i));
    }
    runner.warn("kept: another warning of the runner", new IllegalStateException("x"));

    assertThat(seen.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly("kept: another warning of the runner");
  }

  @Test
  void installingTwiceAddsOneFilter() {
    LoggerContext context = new LoggerContext();
    TemporalRaceLogs.install(context);
    TemporalRaceLogs.install(context);
    assertThat(context.getTurboFilterList()).filteredOn(f -> f instanceof TemporalRaceLogs).hasSize(1);
  }
}
