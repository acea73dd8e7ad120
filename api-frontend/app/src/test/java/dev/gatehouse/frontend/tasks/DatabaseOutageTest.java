package dev.gatehouse.frontend.tasks;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.frontend.testing.TestGatehouse;
import dev.gatehouse.registry.testing.TestDatabase;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * A probe dropped the database under a running server: every task call answered 500
 * internal_error, a stack trace logged for each. While the database cannot be reached a call is 503
 * {@code database_unavailable}, to retry, and once it is back calls are served again. Real
 * PostgreSQL: the test's database is closed to connections, its sessions ended and its name taken
 * away, then given back.
 */
class DatabaseOutageTest {

  @Test
  void aCallWhileTheDatabaseIsGoneIs503AndServedOnceItIsBack() throws Exception {
    try (TestGatehouse gh = TestGatehouse.start()) {
      assertThat(gh.get("/v1/tasks", KEY_A).statusCode()).isEqualTo(200);
      String url = gh.db.url();
      String name = url.substring(url.lastIndexOf('/') + 1);
      String server = url.substring(0, url.lastIndexOf('/') + 1) + "postgres";
      admin(server, "ALTER DATABASE " + name + " ALLOW_CONNECTIONS false");
      admin(server, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'");
      admin(server, "ALTER DATABASE " + name + " RENAME TO " + name + "_away");
      try {
        HttpResponse<String> gone = gh.get("/v1/tasks", KEY_A);
        assertThat(gone.statusCode()).as(gone.body()).isEqualTo(503);
        assertThat(TestGatehouse.json(gone).at("/error/code").asText()).isEqualTo("database_unavailable");
        assertThat(gone.headers().firstValue("Retry-After")).hasValue("5");
        assertThat(gone.body()).doesNotContain("Exception").doesNotContain(TestDatabase.USER + ":");
      } finally {
        admin(server, "ALTER DATABASE " + name + "_away RENAME TO " + name);
        admin(server, "ALTER DATABASE " + name + " ALLOW_CONNECTIONS true");
      }
      int status = 0;
      for (int i = 0; i < 50 && status != 200; i++) {
        status = gh.get("/v1/tasks", KEY_A).statusCode();
        if (status != 200) {
          Thread.sleep(200);
        }
      }
      assertThat(status).as("served again once the database is back").isEqualTo(200);
    }
  }

  private static void admin(String server, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(server, TestDatabase.USER, TestDatabase.PASSWORD);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
