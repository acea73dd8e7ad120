package dev.gatehouse.frontend.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.registry.db.RegistryDatabase;
import dev.gatehouse.registry.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A process told not to migrate ({@code migrateOnStart: false}) started against a database {@code db
 * migrate} has not brought up to date: it says so in one line and starts nothing. It started, and
 * failed its first query with "relation tenants does not exist" and a stack trace.
 */
class UnmigratedDatabaseTest {
  private static Path config(TestDatabase db) throws Exception {
    return Files.writeString(
        Files.createTempFile("gatehouse-unmigrated", ".yml"),
        """
        migrateOnStart: false
        database:
          driverClass: org.postgresql.Driver
          url: %s
          user: %s
          password: "%s"
        server:
          applicationConnectors: [{type: http, port: 0, bindHost: 127.0.0.1}]
          adminConnectors: [{type: http, port: 0, bindHost: 127.0.0.1}]
        logging:
          level: WARN
        """
            .formatted(db.url(), TestDatabase.USER, TestDatabase.PASSWORD));
  }

  @ParameterizedTest
  @ValueSource(strings = {"server", "worker"})
  void aStartWithoutMigratingAgainstADatabaseNotMigratedIsRefusedInOneLine(String command) throws Exception {
    try (TestDatabase db = TestDatabase.createEmpty()) {
      String[] empty = CliRuns.fails(command, config(db).toString());
      assertThat(empty[1].strip())
          .isEqualTo(command + ": the database holds no Gatehouse schema: run `gatehouse db migrate` with this configuration first,"
              + " or set migrateOnStart: true");

      RegistryDatabase.flyway(db.dataSource()).target("5").load().migrate();
      String[] behind = CliRuns.fails(command, config(db).toString());
      assertThat(behind[1]).contains("the database's schema is at version 5 and this Gatehouse needs version").doesNotContain("\tat ");
      assertThat(behind[1].strip().lines().count()).isEqualTo(1);
    }
  }
}
