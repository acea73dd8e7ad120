package dev.gatehouse.frontend.core.admission;

import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.tasks.OpenTaskDao;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import org.jdbi.v3.core.Jdbi;

/**
 * Admission control: Gatehouse refuses work it cannot start soon instead of queueing it, with 429
 * {@code overloaded}, a {@code Retry-After} and the limit that was hit. Every face that starts
 * work asks here first.
 *
 * <p>Two kinds of limit. Open tasks (per tenant and in all) are counted in the task index, which
 * every replica shares, so they hold across replicas and restarts; a face inserts the task's row
 * first and then calls {@link #checkOpenTasks}, which counts it too: of two submits racing for the
 * last slot the later one always sees the earlier, so the limit is never exceeded (both may be
 * refused). Work in flight in this process (starts not yet accepted by the engine, direct tool
 * calls) is bounded by semaphores: {@link #startPermit} and {@link #directCall} never wait.
 */
public final class Admission {

  /** What is allowed; see {@code admission:} in docs/configuration.md. */
  public record Limits(
      int maxOpenTasks,
      int maxOpenTasksPerTenant,
      Map<String, Integer> tenants,
      int maxPendingStarts,
      int maxDirectCalls,
      int maxDirectCallsPerTenant,
      Duration minRetryAfter,
      Duration maxRetryAfter) {
    public Limits {
      tenants = Map.copyOf(tenants);
    }

    /** The open-task limit of the tenant with this name: its own if configured, else the default. */
    public int openTasksOf(String tenantName) {
      return tenantName == null ? maxOpenTasksPerTenant : tenants.getOrDefault(tenantName, maxOpenTasksPerTenant);
    }
  }

  /** The limits a refusal can name, as {@code details.limit} spells them. */
  public enum Limit {
    /** The tenant's open tasks ({@code admission.maxOpenTasksPerTenant} or its own). */
    TENANT_OPEN_TASKS("tenantOpenTasks"),
    /** All tenants' open tasks ({@code admission.maxOpenTasks}). */
    OPEN_TASKS("openTasks"),
    /** Starts this replica has handed the engine and not yet seen accepted. */
    PENDING_STARTS("pendingStarts"),
    /** Direct (not durable) tool calls this replica is running. */
    DIRECT_CALLS("directCalls"),
    /** Direct calls one tenant is running on this replica ({@code admission.maxDirectCallsPerTenant}). */
    TENANT_DIRECT_CALLS("tenantDirectCalls"),
    /** Sessions (MCP) open on this replica. */
    SESSIONS("sessions"),
    /** Sessions (MCP) one agent has open on this replica ({@code mcp.maxSessionsPerAgent}). */
    AGENT_SESSIONS("agentSessions"),
    /** Sessions (MCP) one tenant's agents have open on this replica together ({@code mcp.maxSessionsPerTenant}). */
    TENANT_SESSIONS("tenantSessions");

    private final String name;

    Limit(String name) {
      this.name = name;
    }

    public String spelled() {
      return name;
    }
  }

  /** A slot of in-process work; closing it gives the slot back (once). */
  public interface Permit extends AutoCloseable {
    @Override
    void close();
  }

  private final OpenTaskDao openTasks;
  private final Limits limits;
  private final GatehouseMetrics metrics;
  private final Semaphore starts;
  private final Semaphore directCalls;
  /** Direct calls running here, by tenant id. */
  private final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.AtomicInteger> directByTenant =
      new java.util.concurrent.ConcurrentHashMap<>();

  public Admission(Jdbi jdbi, Limits limits, GatehouseMetrics metrics) {
    this.openTasks = jdbi.onDemand(OpenTaskDao.class);
    this.limits = limits;
    this.metrics = metrics;
    this.starts = new Semaphore(limits.maxPendingStarts());
    this.directCalls = new Semaphore(limits.maxDirectCalls());
  }

  public Limits limits() {
    return limits;
  }

  /** A slot for starting one task on the engine; 429 when {@code maxPendingStarts} are in flight here. */
  public Permit startPermit() {
    return acquire(starts, Limit.PENDING_STARTS, limits.maxPendingStarts(), "task starts are already in flight on this replica");
  }

  /**
   * A slot for one direct tool or model call of tenant {@code tenantId}; 429 when {@code
   * maxDirectCallsPerTenant} of the tenant's, or {@code maxDirectCalls} of all, are running here.
   * Without the tenant's share, one tenant's slow calls (a provider that answers in 30 s) took every
   * slot of the replica and every other tenant's calls were refused.
   */
  public Permit directCall(String tenantId) {
    java.util.concurrent.atomic.AtomicInteger mine =
        directByTenant.computeIfAbsent(tenantId == null ? "" : tenantId, t -> new java.util.concurrent.atomic.AtomicInteger());
    if (mine.incrementAndGet() > limits.maxDirectCallsPerTenant()) {
      mine.decrementAndGet();
      throw refusal(
          Limit.TENANT_DIRECT_CALLS, limits.maxDirectCallsPerTenant(), "direct calls of this tenant are already running on this replica");
    }
    if (!directCalls.tryAcquire()) {
      mine.decrementAndGet();
      throw refusal(
          Limit.DIRECT_CALLS, limits.maxDirectCalls(), "direct calls (tool and model calls outside tasks) are already running on this replica");
    }
    return once(() -> {
      directCalls.release();
      mine.decrementAndGet();
    });
  }

  /**
   * Refuses (429) when the tenant, or all tenants together, have more open tasks than allowed.
   * Call it after the new task's row is in the index (it counts it), and delete the row when this
   * throws, so the refusal leaves nothing behind.
   */
  public void checkOpenTasks(String tenantId) {
    OpenTaskDao.OpenTasks open = openTasks.count(tenantId);
    int tenantMax = limits.openTasksOf(open.tenantName());
    if (open.tenant() > tenantMax) {
      throw refused(
          Limit.TENANT_OPEN_TASKS,
          tenantMax,
          retryAfter(open.tenant(), tenantMax, open.tenantMeanAgeMillis()),
          "the tenant has " + tenantMax + " open tasks, its limit; retry when some have ended");
    }
    if (open.all() > limits.maxOpenTasks()) {
      throw refused(
          Limit.OPEN_TASKS,
          limits.maxOpenTasks(),
          retryAfter(open.all(), limits.maxOpenTasks(), open.allMeanAgeMillis()),
          "Gatehouse has " + limits.maxOpenTasks() + " open tasks, its limit; retry when some have ended");
    }
  }

  /**
   * Seconds until enough open tasks should have ended for one more to fit, at the pace they end
   * now: with {@code open} tasks of mean age A open in a steady state, about open / 2A end per
   * second (Little's law, ages spread evenly over the time a task runs), and {@code open - max}
   * must end. Clamped to [{@code minRetryAfter}, {@code maxRetryAfter}].
   */
  long retryAfter(int open, int max, long meanAgeMillis) {
    long min = Math.max(1, limits.minRetryAfter().toSeconds());
    long most = Math.max(min, limits.maxRetryAfter().toSeconds());
    if (open <= 0) {
      return min;
    }
    double seconds = 2.0 * (meanAgeMillis / 1000.0) * Math.max(1, open - max) / open;
    return Math.min(most, Math.max(min, (long) Math.ceil(seconds)));
  }

  /**
   * The refusal of work a face bounds with a count of its own ({@code max} reached, {@code what}
   * says of what), with the shortest {@code Retry-After}.
   */
  public ApiException refusal(Limit limit, int max, String what) {
    return refused(limit, max, Math.max(1, limits.minRetryAfter().toSeconds()), max + " " + what);
  }

  private Permit acquire(Semaphore slots, Limit limit, int max, String what) {
    if (!slots.tryAcquire()) {
      throw refusal(limit, max, what);
    }
    return once(slots::release);
  }

  /** A permit that runs {@code release} on its first close only. */
  private static Permit once(Runnable release) {
    return new Permit() {
      private boolean closed;

      @Override
      public synchronized void close() {
        if (!closed) {
          closed = true;
          release.run();
        }
      }
    };
  }

  private ApiException refused(Limit limit, int max, long retryAfterSeconds, String message) {
    metrics.admissionRefused(limit.spelled());
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("limit", limit.spelled());
    details.put("max", max);
    details.put("retryAfter", retryAfterSeconds);
    return new ApiException(
        ErrorCode.OVERLOADED,
        "overloaded: " + message,
        Map.of("Retry-After", Long.toString(retryAfterSeconds)),
        details);
  }
}
