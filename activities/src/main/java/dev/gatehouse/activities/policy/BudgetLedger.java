package dev.gatehouse.activities.policy;

import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.registry.budgets.BudgetDao;
import dev.gatehouse.registry.budgets.BudgetStatements;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The budgets of every replica, kept in PostgreSQL ({@link BudgetDao}, {@link BudgetStatements}):
 * reserves a call's worst case (one statement, exact across replicas), settles it to what the
 * call used (one statement, idempotent per reservation), and, every {@code sweepInterval} once
 * {@link #start}ed, retries settlements that could not be written and releases the reservations
 * of calls that never settled (a replica that died mid-call): a reservation expires {@code
 * reservationTtl} after it was made. A call that runs longer than that still settles what it spent, but its reservation no
 * longer holds the budget while it runs. Shared by every thread.
 */
public final class BudgetLedger implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BudgetLedger.class);
  public static final Duration DEFAULT_RESERVATION_TTL = Duration.ofMinutes(15);
  public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofSeconds(30);
  /** Settlements waiting for a retry, at most; one that finds the queue full is given up on. */
  static final int MAX_PENDING = 10_000;
  /** How long a settlement that could not be written is retried. */
  static final Duration RETRY_FOR = Duration.ofDays(1);

  /** A settlement that failed, to try again. */
  private record Pending(String id, long tokens, BigDecimal cost, long sinceNanos) {}

  private final BudgetStatements statements;
  private final BudgetDao dao;
  private final long ttlMillis;
  private final GatehouseMetrics metrics;
  private final Queue<Pending> pending = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pendingCount = new AtomicInteger();
  private ScheduledExecutorService sweeper;

  public BudgetLedger(Jdbi jdbi, Duration reservationTtl, GatehouseMetrics metrics) {
    if (reservationTtl.isNegative() || reservationTtl.isZero()) {
      throw new IllegalArgumentException("reservationTtl must be positive");
    }
    this.statements = new BudgetStatements(jdbi);
    this.dao = jdbi.onDemand(BudgetDao.class);
    this.ttlMillis = reservationTtl.toMillis();
    this.metrics = metrics;
  }

  /** What a reservation found, and the id to settle it by when it was admitted. */
  public record Reservation(String id, BudgetDao.Reserved found) {
    public boolean admitted() {
      return found.admitted();
    }
  }

  /**
   * Reserves {@code tokens} and {@code cost} of {@code policy}'s budget for {@code subject} in the
   * current {@code period} when they fit {@code limitTokens} and {@code limitCost} (null: no such
   * limit). Throws when the database cannot be used (the call then fails, closed).
   */
  public Reservation reserve(
      String policy, String subject, String period, String tenantId, Long limitTokens, BigDecimal limitCost, long tokens,
      BigDecimal cost) {
    String id = UUID.randomUUID().toString();
    BudgetDao.Reserved found = statements.reserve(id, policy, subject, period, tenantId, limitTokens, limitCost, tokens, cost, ttlMillis);
    if (!found.admitted() && metrics != null) {
      metrics.budgetRefused(policy);
    }
    return new Reservation(id, found);
  }

  /**
   * Settles reservation {@code id} to what its call used. Never throws: a settlement the
   * database refuses now is retried by the sweeps (at most {@link #MAX_PENDING} wait, for up to
   * {@link #RETRY_FOR}); settling is idempotent, so a retry of one that did go through changes
   * nothing.
   */
  public void settle(String id, long tokens, BigDecimal cost) {
    BigDecimal c = cost == null ? BigDecimal.ZERO : cost;
    try {
      statements.settle(id, tokens, c);
    } catch (RuntimeException e) {
      LOG.warn("could not settle budget reservation {} now; will retry: {}", id, e.toString());
      if (pendingCount.incrementAndGet() > MAX_PENDING) {
        pendingCount.decrementAndGet();
        giveUp(id, "too many settlements are waiting");
        return;
      }
      pending.add(new Pending(id, tokens, c, System.nanoTime()));
    }
  }

  /** Settlements waiting for a retry. */
  public int pendingSettlements() {
    return pendingCount.get();
  }

  /**
   * One sweep: retries the settlements that failed, releases expired reservations (of every
   * replica) and forgets those released a day ago. Returns how many reservations it released.
   * Never throws.
   */
  public int sweep() {
    for (int n = pendingCount.get(); n > 0; n--) {
      Pending p = pending.poll();
      if (p == null) {
        break;
      }
      pendingCount.decrementAndGet();
      try {
        statements.settle(p.id(), p.tokens(), p.cost());
      } catch (RuntimeException e) {
        if (System.nanoTime() - p.sinceNanos() > RETRY_FOR.toNanos()) {
          giveUp(p.id(), e.toString());
        } else {
          pendingCount.incrementAndGet();
          pending.add(p);
        }
      }
    }
    try {
      int released = dao.releaseExpired();
      if (released > 0) {
        LOG.info("released {} expired budget reservation(s) whose calls never settled them", released);
      }
      dao.forgetReleased();
      return released;
    } catch (RuntimeException e) {
      LOG.warn("could not release expired budget reservations: {}", e.toString());
      return 0;
    }
  }

  /** Sweeps every {@code interval} on a daemon thread of its own, until {@link #close}. */
  public synchronized void start(Duration interval) {
    if (sweeper != null) {
      return;
    }
    sweeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "budget-sweeper");
              t.setDaemon(true);
              return t;
            });
    long ms = Math.max(1, interval.toMillis());
    sweeper.scheduleWithFixedDelay(this::sweep, ms, ms, TimeUnit.MILLISECONDS);
  }

  /** Stops the sweeps and tries the waiting settlements once more. */
  @Override
  public synchronized void close() {
    if (sweeper != null) {
      sweeper.shutdownNow();
      sweeper = null;
    }
    for (Pending p; (p = pending.poll()) != null; ) {
      pendingCount.decrementAndGet();
      try {
        statements.settle(p.id(), p.tokens(), p.cost());
      } catch (RuntimeException e) {
        giveUp(p.id(), e.toString());
      }
    }
  }

  private void giveUp(String id, String why) {
    LOG.warn("gave up settling budget reservation {} ({}); it is released when it expires, and what its call spent is not counted", id, why);
    if (metrics != null) {
      metrics.budgetSettlementFailed();
    }
  }
}
