package dev.gatehouse.activities.task;

import dev.gatehouse.workflows.limits.RateLimitWaits;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Each tenant's share of this worker's activity slots ({@code worker.maxActivitiesPerTenant}):
 * how many tool and model calls of one tenant's tasks may run on this replica at once.
 *
 * <p>Temporal hands a worker the next activity whoever's it is, so without a share one tenant's
 * steps could take every slot (a pipeline of 200 parallel steps against an upstream that hangs
 * held all 200 until their timeouts), and every other tenant's steps waited behind them. A call
 * over its tenant's share is refused before anything is sent, as a rate limit's refusal is: the
 * workflow waits on a durable timer and makes the call again, without the slot and without
 * counting an attempt ({@code RateLimitWaits}).
 *
 * <p>Counted per replica, as the slots are.
 */
public final class TenantSlots {
  /** The wait a refusal asks for when the tenant has no backlog (the workflow adds a jitter). */
  public static final Duration RETRY_AFTER = Duration.ofSeconds(2);
  /** The longest wait a refusal asks for, however long the tenant's backlog. */
  public static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(30);

  private static final Slot NONE = new Slot(null, null);

  private final int perTenant;
  private final Runnable onRefused;
  private final ConcurrentHashMap<String, Integer> running = new ConcurrentHashMap<>();
  /** Per tenant, refusals since its calls last got slots (halved at each slot taken). */
  private final ConcurrentHashMap<String, Long> refused = new ConcurrentHashMap<>();

  /**
   * @param perTenant the calls one tenant may run at once
   * @param onRefused told of each refusal (a metric)
   */
  public TenantSlots(int perTenant, Runnable onRefused) {
    if (perTenant < 1) {
      throw new IllegalArgumentException("perTenant must be at least 1");
    }
    this.perTenant = perTenant;
    this.onRefused = onRefused == null ? () -> {} : onRefused;
  }

  /** No share: every call runs (tests that build one activity implementation on its own). */
  public static TenantSlots unlimited() {
    return new TenantSlots(Integer.MAX_VALUE, null);
  }

  /**
   * One of {@code tenant}'s slots, to be closed when the call ends; null when the tenant has its
   * whole share in use. A call with no tenant (none recorded) takes no slot.
   */
  public Slot take(String tenant) {
    if (tenant == null) {
      return NONE;
    }
    boolean[] taken = {false};
    running.compute(
        tenant,
        (t, n) -> {
          int now = n == null ? 0 : n;
          if (now >= perTenant) {
            return n;
          }
          taken[0] = true;
          return now + 1;
        });
    if (!taken[0]) {
      refused.merge(tenant, 1L, Long::sum);
      onRefused.run();
      return null;
    }
    refused.computeIfPresent(tenant, (t, n) -> n <= 1 ? null : n / 2);
    return new Slot(this, tenant);
  }

  /** One of {@code tenant}'s slots, as {@link #take}; the {@link #refusal} when it has none free. */
  public Slot takeOrRefuse(String tenant) {
    Slot slot = take(tenant);
    if (slot == null) {
      throw refusal(tenant);
    }
    return slot;
  }

  /**
   * The activity's failure for a call of {@code tenant} that {@link #take} refused: the workflow
   * waits (and a jitter) and makes the call again. The wait grows with the tenant's backlog:
   * {@link #RETRY_AFTER} more for each share's worth of refusals since its calls last got slots,
   * up to {@link #MAX_RETRY_AFTER}. A tenant with many waiting steps is then refused less often,
   * which bounds the refused tries in its tasks' histories, while one with a few comes back soon.
   */
  public ApplicationFailure refusal(String tenant) {
    return RateLimitWaits.overloaded(
        "the tenant's tasks are running " + perTenant + " calls on this replica, their whole share of its worker"
            + " (worker.maxActivitiesPerTenant); nothing was sent (a task's call waits and is made again, at most "
            + RateLimitWaits.MAX_WAITS + " times)",
        retryAfter(tenant));
  }

  /** The wait a refusal of {@code tenant} asks for now. */
  Duration retryAfter(String tenant) {
    Long n = tenant == null ? null : refused.get(tenant);
    long steps = 1 + (n == null ? 0 : n / perTenant);
    long max = MAX_RETRY_AFTER.toMillis() / RETRY_AFTER.toMillis();
    return RETRY_AFTER.multipliedBy(Math.min(steps, max));
  }

  /** The calls {@code tenant} is running on this replica. */
  public int running(String tenant) {
    Integer n = running.get(tenant);
    return n == null ? 0 : n;
  }

  private void give(String tenant) {
    // A tenant with nothing running leaves no entry behind.
    running.computeIfPresent(tenant, (t, n) -> n <= 1 ? null : n - 1);
  }

  /** A taken slot; closing it (once, or more: only the first counts) gives it back. */
  public static final class Slot implements AutoCloseable {
    private final TenantSlots slots;
    private final String tenant;
    private final AtomicBoolean given = new AtomicBoolean();

    private Slot(TenantSlots slots, String tenant) {
      this.slots = slots;
      this.tenant = tenant;
    }

    @Override
    public void close() {
      if (slots != null && given.compareAndSet(false, true)) {
        slots.give(tenant);
      }
    }
  }
}
