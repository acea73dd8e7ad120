package dev.gatehouse.frontend.app.temporal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Marker;

/**
 * Drops the two log lines the Temporal SDK writes when a workflow task's completion raced a new
 * event: an agent's cancel, an operator's decision on an approval, a signal. The engine refuses
 * such a completion ({@code INVALID_ARGUMENT: UnhandledCommand}) so that the workflow sees the new
 * event first, and the worker runs the task again with it. That is how Temporal orders the race,
 * not a fault, and the task ends as it should; yet the SDK logs it as a {@code WARN} with a stack
 * trace ("Failure while reporting workflow progress to the server. If seen continuously the
 * workflow might be stuck") and again at {@code INFO}, a stack trace in the operator's log for
 * every cancel that lands while a task is busy. Any other failure those two loggers report is
 * logged as before.
 *
 * <p>Also drops the SDK's warning, with a stack trace, for each promise of a workflow that failed
 * and that the workflow never read ("Promise completed with exception and was never accessed"),
 * written as the workflow's run is closed: a pipeline stops waiting on its other steps once one
 * fails or it is cancelled, so a probe's fan-outs of 200 steps, cancelled under load, wrote 24,635
 * of them in four minutes. Each step's failure is in the task's history and trace.
 */
public final class TemporalRaceLogs extends TurboFilter {
  static final String WORKFLOW_WORKER = "io.temporal.internal.worker.WorkflowWorker";
  static final String POLLER_OPTIONS = "io.temporal.internal.worker.PollerOptions";
  static final String RUNNER = "io.temporal.internal.sync.DeterministicRunnerImpl";
  static final String NEVER_ACCESSED = "Promise completed with exception and was never accessed";

  /** Adds the filter to the process's logging (once). */
  public static void install() {
    dev.gatehouse.frontend.app.logging.TurboFilters.installOnce(TemporalRaceLogs.class, TemporalRaceLogs::new);
  }

  static void install(LoggerContext context) {
    dev.gatehouse.frontend.app.logging.TurboFilters.installOnce(context, TemporalRaceLogs.class, TemporalRaceLogs::new);
  }

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (logger == null) {
      return FilterReply.NEUTRAL;
    }
    String name = logger.getName();
    if (RUNNER.equals(name) && format != null && format.startsWith(NEVER_ACCESSED)) {
      return FilterReply.DENY;
    }
    if (!WORKFLOW_WORKER.equals(name) && !POLLER_OPTIONS.equals(name)) {
      return FilterReply.NEUTRAL;
    }
    // log.warn(format, a, b, c, e) hands the throwable over as the last parameter.
    Throwable thrown = t != null ? t : params != null && params.length > 0 && params[params.length - 1] instanceof Throwable last ? last : null;
    return unhandledCommand(thrown) ? FilterReply.DENY : FilterReply.NEUTRAL;
  }

  static boolean unhandledCommand(Throwable t) {
    for (int depth = 0; t != null && depth < 10; t = t.getCause(), depth++) {
      if (t instanceof StatusRuntimeException s
          && s.getStatus().getCode() == Status.Code.INVALID_ARGUMENT
          && "UnhandledCommand".equals(s.getStatus().getDescription())) {
        return true;
      }
    }
    return false;
  }
}
