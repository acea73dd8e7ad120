package dev.gatehouse.registry.testing;

import dev.gatehouse.registry.db.RegistryDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A fresh, migrated database on the real PostgreSQL the tests run against (127.0.0.1:5432 by
 * default; set GATEHOUSE_TEST_PG_URL, GATEHOUSE_TEST_PG_USER and GATEHOUSE_TEST_PG_PASSWORD to use
 * another), dropped again by {@link #close()}.
 */
public final class TestDatabase implements AutoCloseable {
  private static final String SERVER =
      env("GATEHOUSE_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/");
  public static final String USER = env("GATEHOUSE_TEST_PG_USER", "postgres");
  public static final String PASSWORD = env("GATEHOUSE_TEST_PG_PASSWORD", "");

  private final String name;
  private final PGSimpleDataSource dataSource;

  private TestDatabase(String name) {
    this.name = name;
    this.dataSource = new PGSimpleDataSource();
    dataSource.setUrl(url());
    dataSource.setUser(USER);
    dataSource.setPassword(PASSWORD);
  }

  /** Creates and migrates a new database with a random name. */
  public static TestDatabase create() {
    String name = "gatehouse_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    admin("CREATE DATABASE " + name);
    TestDatabase db = new TestDatabase(name);
    RegistryDatabase.migrate(db.dataSource);
    return db;
  }

  public String url() {
    return SERVER + name;
  }

  public DataSource dataSource() {
    return dataSource;
  }

  public Jdbi jdbi() {
    return RegistryDatabase.configure(Jdbi.create(dataSource));
  }

  @Override
  public void close() {
    admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }

  private static void admin(String sql) {
    try (Connection c = DriverManager.getConnection(SERVER + "postgres", USER, PASSWORD);
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "PostgreSQL for tests is not reachable at " + SERVER + " (" + e.getMessage() + ")", e);
    }
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }
}
