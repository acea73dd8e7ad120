package dev.gatehouse.activities.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.registry.budgets.BudgetDao;
import dev.gatehouse.registry.db.RegistryDatabase;
import dev.gatehouse.registry.testing.TestDatabase;
import io.prometheus.client.CollectorRegistry;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ledger on the real PostgreSQL: a settlement the database refuses is kept and written by a
 * later sweep (once); a reservation whose call never settles it is released by a sweep after it
 * expired, and a late settlement still counts what was spent, once.
 */
class BudgetLedgerTest {
  static TestDatabase db;

  @BeforeAll
  static void start() {
    db = TestDatabase.create();
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  /** The test database, or no database at all while {@code down}. */
  static final class Switchable implements DataSource {
    volatile boolean down;

    @Override
    public Connection getConnection() throws SQLException {
      if (down) {
        throw new SQLException("the database is away (test)", "08001");
      }
      return db.dataSource().getConnection();
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }
  }

  /** A budget row as stored (the test's policies are not in the registry, so BudgetDao.current would not list them). */
  record Row(long reservedTokens, long spentTokens, BigDecimal spentCost) {}

  static Row budget(String policy) {
    return db.jdbi().withHandle(h -> h.createQuery("SELECT reserved_tokens, spent_tokens, spent_cost FROM budgets WHERE policy = :policy")
        .bind("policy", policy)
        .map((rs, ctx) -> new Row(rs.getLong(1), rs.getLong(2), rs.getBigDecimal(3)))
        .one());
  }

  @Test
  void aSettlementTheDatabaseRefusedIsWrittenByALaterSweepOnce() {
    Switchable source = new Switchable();
    CollectorRegistry registry = new CollectorRegistry();
    BudgetLedger ledger = new BudgetLedger(RegistryDatabase.configure(Jdbi.create(source)), Duration.ofMinutes(15), new GatehouseMetrics(registry));
    BudgetLedger.Reservation r = ledger.reserve("retried", "agent:a", BudgetDao.DAY, "ten_a", 100L, null, 60, BigDecimal.ZERO);
    assertThat(r.admitted()).isTrue();

    source.down = true;
    ledger.settle(r.id(), 25, new BigDecimal("0.01"));
    assertThat(ledger.pendingSettlements()).isEqualTo(1);
    ledger.sweep();
    assertThat(ledger.pendingSettlements()).as("still away: kept for the next sweep").isEqualTo(1);

    source.down = false;
    ledger.sweep();
    assertThat(ledger.pendingSettlements()).isZero();
    Row b = budget("retried");
    assertThat(b.reservedTokens()).isZero();
    assertThat(b.spentTokens()).isEqualTo(25);
    assertThat(b.spentCost()).isEqualByComparingTo("0.01");
    // Settling again (a retry of one that went through) changes nothing.
    ledger.settle(r.id(), 25, new BigDecimal("0.01"));
    assertThat(budget("retried").spentTokens()).isEqualTo(25);
    assertThat(registry.getSampleValue("gatehouse_budget_settlements_failed_total")).isZero();
    ledger.close();
  }

  @Test
  void aReservationNeverSettledIsReleasedOnceItExpiredAndALateSettlementCountsOnce() throws Exception {
    BudgetLedger ledger = new BudgetLedger(db.jdbi(), Duration.ofSeconds(1), null);
    BudgetLedger.Reservation crashed = ledger.reserve("expiring", "tenant:t", BudgetDao.MONTH, "t", 100L, null, 100, BigDecimal.ZERO);
    assertThat(crashed.admitted()).isTrue();
    assertThat(ledger.reserve("expiring", "tenant:t", BudgetDao.MONTH, "t", 100L, null, 1, BigDecimal.ZERO).admitted())
        .as("held by the reservation")
        .isFalse();

    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (ledger.sweep() == 0) {
      assertThat(System.nanoTime()).as("released within 20 s").isLessThan(deadline);
      Thread.sleep(100);
    }
    assertThat(budget("expiring").reservedTokens()).isZero();
    BudgetLedger.Reservation next = ledger.reserve("expiring", "tenant:t", BudgetDao.MONTH, "t", 100L, null, 50, BigDecimal.ZERO);
    assertThat(next.admitted()).as("the budget is free again").isTrue();

    // The first call was not dead after all: it settles late; what it spent counts, its reservation is not taken off twice.
    ledger.settle(crashed.id(), 30, BigDecimal.ZERO);
    Row b = budget("expiring");
    assertThat(b.spentTokens()).isEqualTo(30);
    assertThat(b.reservedTokens()).isEqualTo(50);
    ledger.settle(next.id(), 50, BigDecimal.ZERO);
    assertThat(budget("expiring").reservedTokens()).isZero();
    assertThat(budget("expiring").spentTokens()).isEqualTo(80);
    ledger.close();
  }
}
