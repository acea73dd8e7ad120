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
 * A fresh, migrated database on the real PostgreSQL the tests run against, dropped again by
 * {@link #close()}. The server is the one at 127.0.0.1:5432 (user postgres), or the one named by
 * GATEHOUSE_TEST_PG_URL, GATEHOUSE_TEST_PG_USER and GATEHOUSE_TEST_PG_PASSWORD; when neither is
 * set and nothing answers at 127.0.0.1:5432, an embedded PostgreSQL is started once per JVM.
 */
public final class TestDatabase implements AutoCloseable {
  private static final String DEFAULT_SERVER = "jdbc:postgresql://127.0.0.1:5432/";
  public static final String USER = env("GATEHOUSE_TEST_PG_USER", "postgres");
  public static final String PASSWORD = env("GATEHOUSE_TEST_PG_PASSWORD", "");
  private static final String SERVER = server();

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
    TestDatabase db = createEmpty();
    RegistryDatabase.migrate(db.dataSource);
    return db;
  }

  /** Creates a new, empty database with a random name (no schema). */
  public static TestDatabase createEmpty() {
    String name = "gatehouse_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    admin("CREATE DATABASE " + name);
    return new TestDatabase(name);
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

  private static String server() {
    String configured = System.getenv("GATEHOUSE_TEST_PG_URL");
    if (configured != null && !configured.isBlank()) {
      return configured.endsWith("/") ? configured : configured + "/";
    }
    try (Connection c = DriverManager.getConnection(DEFAULT_SERVER + "postgres", USER, PASSWORD)) {
      return DEFAULT_SERVER;
    } catch (SQLException notThere) {
      return EmbeddedServer.start();
    }
  }

  /** The fallback server: real PostgreSQL binaries from Maven, stopped when the JVM exits. */
  private static final class EmbeddedServer {
    static String start() {
      try {
        io.zonky.test.db.postgres.embedded.EmbeddedPostgres pg =
            io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder().start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          try {
            pg.close();
          } catch (java.io.IOException ignored) {
            // exiting anyway
          }
        }));
        return "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/";
      } catch (java.io.IOException e) {
        throw new IllegalStateException("no PostgreSQL at 127.0.0.1:5432 and the embedded one did not start", e);
      }
    }
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }
}
