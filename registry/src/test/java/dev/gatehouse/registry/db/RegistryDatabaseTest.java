package dev.gatehouse.registry.db;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.gatehouse.registry.testing.TestDatabase;
import org.flywaydb.core.api.output.MigrateResult;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RegistryDatabaseTest {
  @Test
  void aNewDatabaseIsMigratedWithoutAWarning() {
    Logger flyway = (Logger) LoggerFactory.getLogger("org.flywaydb");
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    flyway.addAppender(logged);
    try (TestDatabase db = TestDatabase.createEmpty()) {
      MigrateResult result = RegistryDatabase.migrate(db.dataSource());
      assertThat(result.success).isTrue();
      assertThat(result.migrationsExecuted).isGreaterThan(5);
      assertThat(logged.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).map(ILoggingEvent::getFormattedMessage))
          .isEmpty();
      // A second run finds nothing to do.
      assertThat(RegistryDatabase.migrate(db.dataSource()).migrationsExecuted).isZero();
    } finally {
      flyway.detachAppender(logged);
    }
  }

  @Test
  void aDatabaseNotYetMigratedSaysWhyAProcessThatDoesNotMigrateCannotUseIt() {
    try (TestDatabase db = TestDatabase.createEmpty()) {
      assertThat(RegistryDatabase.check(db.dataSource()).refusal()).isEqualTo("the database holds no Gatehouse schema");
      RegistryDatabase.flyway(db.dataSource()).target("5").load().migrate();
      assertThat(RegistryDatabase.check(db.dataSource()).refusal())
          .startsWith("the database's schema is at version 5 and this Gatehouse needs version ");
      RegistryDatabase.migrate(db.dataSource());
      assertThat(RegistryDatabase.check(db.dataSource()).refusal()).isNull();
      assertThat(RegistryDatabase.check(db.dataSource()).warning()).isNull();

      // A newer Gatehouse migrated it: usable, with a warning to log (Flyway says so only when it migrates).
      db.jdbi().useHandle(h -> h.execute(
          "INSERT INTO gatehouse_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) "
              + "SELECT max(installed_rank) + 1, '999', 'from the future', 'SQL', 'V999__from_the_future.sql', 0, 'test', 0, true FROM gatehouse_schema_history"));
      RegistryDatabase.Check newer = RegistryDatabase.check(db.dataSource());
      assertThat(newer.refusal()).isNull();
      assertThat(newer.warning()).startsWith("the database's schema is at version 999, newer than this Gatehouse's newest migration (");
    }
  }
}
