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

      String[] first = printed(() -> new GatehouseApplication().run("db", "migrate", config.toString()));
      assertThat(tables(db)).contains("tools", "tasks", "api_keys", "gatehouse_schema_history");
      int applied = migrations(db);
      assertThat(applied).isPositive();
      String newest = newestVersion(db);
      assertThat(first[0]).contains("schema at version " + newest + " (" + applied + " migration(s) applied)");

      // Nothing to apply: the version it found (it said "unchanged").
      String again = printed(() -> new GatehouseApplication().run("db", "migrate", config.toString()))[0];
      assertThat(migrations(db)).isEqualTo(applied);
      assertThat(again).contains("schema at version " + newest + " (0 migration(s) applied)");

      // A schema a newer Gatehouse migrated: said on stderr (before, only Flyway's log line said it).
      db.jdbi().useHandle(h -> h.execute(
          "INSERT INTO gatehouse_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) "
              + "SELECT max(installed_rank) + 1, '999', 'from the future', 'SQL', 'V999__from_the_future.sql', 0, 'test', 0, true FROM gatehouse_schema_history"));
      String[] newer = printed(() -> new GatehouseApplication().run("db", "migrate", config.toString()));
      assertThat(newer[0]).contains("schema at version 999 (0 migration(s) applied)");
      assertThat(newer[1]).contains("db: the database's schema is at version 999, newer than this Gatehouse's newest migration (" + newest + ")");
    }
  }

  private interface Run {
    void run() throws Exception;
  }

  /** What {@code run} printed: {stdout, stderr}. */
  private static String[] printed(Run run) throws Exception {
    java.io.PrintStream out = System.out;
    java.io.PrintStream err = System.err;
    var capturedOut = new java.io.ByteArrayOutputStream();
    var capturedErr = new java.io.ByteArrayOutputStream();
    System.setOut(new java.io.PrintStream(capturedOut, true, java.nio.charset.StandardCharsets.UTF_8));
    System.setErr(new java.io.PrintStream(capturedErr, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      run.run();
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    return new String[] {capturedOut.toString(java.nio.charset.StandardCharsets.UTF_8), capturedErr.toString(java.nio.charset.StandardCharsets.UTF_8)};
  }

  private static String newestVersion(TestDatabase db) {
    return db.jdbi().withHandle(h ->
        h.createQuery("SELECT version FROM gatehouse_schema_history WHERE version IS NOT NULL ORDER BY installed_rank DESC LIMIT 1")
            .mapTo(String.class)
            .one());
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
