package dev.gatehouse.benchmarks;

import com.codahale.metrics.MetricRegistry;
import dev.gatehouse.registry.Ids;
import dev.gatehouse.registry.db.RegistryDatabase;
import io.dropwizard.db.DataSourceFactory;
import io.dropwizard.db.ManagedDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import org.jdbi.v3.core.Jdbi;

/**
 * A benchmark's own database on the PostgreSQL at 127.0.0.1:5432 (or {@code GATEHOUSE_BENCH_PG_URL},
 * user {@code GATEHOUSE_BENCH_PG_USER}, password {@code GATEHOUSE_BENCH_PG_PASSWORD}): created and
 * migrated, reached through the same pooled data source and Jdbi set-up the application uses, and
 * dropped on {@link #close}.
 */
final class BenchDatabase implements AutoCloseable {
  private static final String SERVER = env("GATEHOUSE_BENCH_PG_URL", "jdbc:postgresql://127.0.0.1:5432/");
  private static final String USER = env("GATEHOUSE_BENCH_PG_USER", "postgres");
  private static final String PASSWORD = env("GATEHOUSE_BENCH_PG_PASSWORD", "");

  private final String name;
  private final ManagedDataSource pool;
  private final Jdbi jdbi;

  private BenchDatabase(String name, ManagedDataSource pool, Jdbi jdbi) {
    this.name = name;
    this.pool = pool;
    this.jdbi = jdbi;
  }

  static BenchDatabase create() throws Exception {
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
    return new BenchDatabase(name, pool, RegistryDatabase.configure(Jdbi.create(pool)));
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
