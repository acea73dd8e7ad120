package dev.gatehouse.benchmarks;

import com.codahale.metrics.MetricRegistry;
import dev.gatehouse.registry.Ids;
import dev.gatehouse.registry.db.RegistryDatabase;
import io.dropwizard.db.DataSourceFactory;
import io.dropwizard.db.ManagedDataSource;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.jdbi.v3.core.ConnectionFactory;
import org.jdbi.v3.core.Jdbi;

/**
 * A benchmark's own database on the PostgreSQL at 127.0.0.1:5432 (or {@code GATEHOUSE_BENCH_PG_URL},
 * user {@code GATEHOUSE_BENCH_PG_USER}, password {@code GATEHOUSE_BENCH_PG_PASSWORD}): created and
 * migrated, reached through the same pooled data source and Jdbi set-up the application uses, and
 * dropped on {@link #close}. One made by {@link #createTimed} counts how long each thread holds
 * the pool's connections ({@link #heldNanos}), so a benchmark can tell the database's round trips
 * from the rest of a call.
 */
final class BenchDatabase implements AutoCloseable {
  private static final String SERVER = env("GATEHOUSE_BENCH_PG_URL", "jdbc:postgresql://127.0.0.1:5432/");
  private static final String USER = env("GATEHOUSE_BENCH_PG_USER", "postgres");
  private static final String PASSWORD = env("GATEHOUSE_BENCH_PG_PASSWORD", "");

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  /** Per thread: wall and CPU time held, the open connections, and when the outermost was opened. */
  private static final ThreadLocal<long[]> HELD = ThreadLocal.withInitial(() -> new long[4]);

  private final String name;
  private final ManagedDataSource pool;
  private final Jdbi jdbi;

  private BenchDatabase(String name, ManagedDataSource pool, Jdbi jdbi) {
    this.name = name;
    this.pool = pool;
    this.jdbi = jdbi;
  }

  static BenchDatabase create() throws Exception {
    return create(false);
  }

  /** {@link #create}, and through {@link #jdbi} this thread's use of connections is timed ({@link #heldNanos}). */
  static BenchDatabase createTimed() throws Exception {
    return create(true);
  }

  private static BenchDatabase create(boolean timed) throws Exception {
    String name = "gatehouse_bench_" + Ids.random(10);
    admin("CREATE DATABASE " + name);
    DataSourceFactory factory = new DataSourceFactory();
    factory.setDriverClass("org.postgresql.Driver");
    factory.setUrl(SERVER + name);
    factory.setUser(USER);
    factory.setPassword(PASSWORD);
    ManagedDataSource pool = factory.build(new MetricRegistry(), "bench");
    pool.start();
    RegistryDatabase.migrate(pool);
    Jdbi jdbi = timed ? Jdbi.create(new TimedConnections(pool)) : Jdbi.create(pool);
    return new BenchDatabase(name, pool, RegistryDatabase.configure(jdbi));
  }

  /** Wall time this thread has held database connections through {@link #jdbi} (nanoseconds). */
  static long heldNanos() {
    return HELD.get()[0];
  }

  /** This thread's CPU time while it held them (nanoseconds). */
  static long heldCpuNanos() {
    return HELD.get()[1];
  }

  /**
   * The pool as Jdbi reaches it, timing each thread's use: from asking for a connection to giving
   * it back, which for Jdbi is one handle's life (a statement of an on-demand SQL object: the
   * round trip, with the driver's and Jdbi's work on it). What a call spends outside is the
   * gateway's own.
   */
  private record TimedConnections(DataSource pool) implements ConnectionFactory {
    @Override
    public Connection openConnection() throws SQLException {
      long[] h = HELD.get();
      if (h[2]++ == 0) {
        h[3] = System.nanoTime();
        h[1] -= THREADS.getCurrentThreadCpuTime();
      }
      try {
        return pool.getConnection();
      } catch (SQLException | RuntimeException e) {
        closed(h);
        throw e;
      }
    }

    @Override
    public void closeConnection(Connection c) throws SQLException {
      try {
        c.close();
      } finally {
        closed(HELD.get());
      }
    }

    private static void closed(long[] h) {
      if (--h[2] == 0) {
        h[0] += System.nanoTime() - h[3];
        h[1] += THREADS.getCurrentThreadCpuTime();
      }
    }
  }

  Jdbi jdbi() {
    return jdbi;
  }

  @Override
  public void close() throws Exception {
    pool.stop();
    admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }

  private static void admin(String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(SERVER + "postgres", USER, PASSWORD)) {
      c.createStatement().execute(sql);
    }
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }
}
