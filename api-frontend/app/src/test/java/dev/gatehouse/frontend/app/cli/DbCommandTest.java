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

  /**
   * A database that cannot be reached, with a password in its URL: one line on stderr, no password
   * in it (the driver and the pool quote the URL), and no pool ERROR with a stack trace in the log.
   */
  @Test
  void aDatabaseThatCannotBeReachedIsOneLineWithoutThePassword() throws Exception {
    // Dropwizard routes java.util.logging (the pool's) to the log as the jar starts; so does the test.
    org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
    org.slf4j.bridge.SLF4JBridgeHandler.install();
    var root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    var logged = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
    logged.start();
    root.addAppender(logged);
    try {
      for (String url :
          List.of(
              "jdbc:postgresql://bob:HUNTER3@127.0.0.1:18399/db",
              "postgres://u:HUNTER4@127.0.0.1/x",
              "jdbc:nosuchdriver://127.0.0.1/x?user=u&password=HUNTER5")) {
        Path config = Files.writeString(
            Files.createTempFile("gatehouse-unreachable", ".yml"),
            "database: {driverClass: org.postgresql.Driver, url: '" + url + "'}\n");
        String err = CliRuns.fails("db", "migrate", config.toString())[1];
        assertThat(err).as(url).startsWith("db: ").doesNotContain("HUNTER").doesNotContain("\tat ");
        assertThat(err.strip().lines()).as(err).hasSize(1);
      }
      assertThat(logged.list)
          .as("pool log events")
          .noneMatch(e -> e.getLoggerName().startsWith("org.apache.tomcat.jdbc") && e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN));
      assertThat(logged.list).noneMatch(e -> e.getFormattedMessage().contains("HUNTER"));
    } finally {
      root.detachAppender(logged);
    }
  }

  @Test
  void passwordsInUrlsAreRedacted() {
    assertThat(DatabaseUrls.redact("returned null for URL:postgres://u:HUNTER4@127.0.0.1/x"))
        .isEqualTo("returned null for URL:postgres://u:***@127.0.0.1/x");
    assertThat(DatabaseUrls.redact("UnknownHostException: bob:HUN@TER3@127.0.0.1"))
        .isEqualTo("UnknownHostException: bob:***@127.0.0.1");
    assertThat(DatabaseUrls.redact("jdbc:postgresql://h/db?user=u&password=HUNTER5&ssl=true"))
        .isEqualTo("jdbc:postgresql://h/db?user=u&password=***&ssl=true");
    assertThat(DatabaseUrls.redact("jdbc:postgresql://h:5432/db at line: 2, column: 11"))
        .isEqualTo("jdbc:postgresql://h:5432/db at line: 2, column: 11");
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
