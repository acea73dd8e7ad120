package dev.gatehouse.frontend.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.frontend.app.GatehouseApplication;
import dev.gatehouse.registry.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code gatehouse db migrate config.yml} creates the schema in an empty database, then changes nothing. */
class DbCommandTest {

  @Test
  void migrateCreatesTheSchemaAndIsIdempotent() throws Exception {
    try (TestDatabase db = TestDatabase.createEmpty()) {
      Path config = Files.createTempFile("gatehouse-migrate", ".yml");
      Files.writeString(
          config,
          """
          database:
            driverClass: org.postgresql.Driver
            url: %s
            user: %s
            password: "%s"
          logging:
            level: WARN
          """
              .formatted(db.url(), TestDatabase.USER, TestDatabase.PASSWORD));
      assertThat(tables(db)).doesNotContain("tools", "tasks", "api_keys");

      new GatehouseApplication().run("db", "migrate", config.toString());
      assertThat(tables(db)).contains("tools", "tasks", "api_keys", "gatehouse_schema_history");
      int applied = migrations(db);
      assertThat(applied).isPositive();

      new GatehouseApplication().run("db", "migrate", config.toString());
      assertThat(migrations(db)).isEqualTo(applied);
    }
  }

  private static List<String> tables(TestDatabase db) {
    return db.jdbi().withHandle(h ->
        h.createQuery("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
            .mapTo(String.class)
            .list());
  }

  private static int migrations(TestDatabase db) {
    return db.jdbi().withHandle(h ->
        h.createQuery("SELECT count(*) FROM gatehouse_schema_history").mapTo(Integer.class).one());
  }
}
