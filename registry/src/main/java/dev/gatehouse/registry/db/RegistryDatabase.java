package dev.gatehouse.registry.db;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.sql.Statement;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.api.output.MigrateResult;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;

/** The registry's schema (Flyway owns it) and the Jdbi set-up its DAOs expect. */
public final class RegistryDatabase {
  private RegistryDatabase() {}

  /** Brings the schema up to date; safe to run on every start and from several replicas. */
  public static MigrateResult migrate(DataSource dataSource) {
    return flyway(dataSource).load().migrate();
  }

  /**
   * How the database's schema stands for this Gatehouse: {@code refusal}, why a process that does
   * not migrate cannot use it (it has none, or it is older than this Gatehouse's migrations: a
   * process started with {@code migrateOnStart: false} before {@code db migrate} ran, which without
   * this check started and failed its first query with "relation ... does not exist" and a stack
   * trace); {@code warning}, when it can but the schema is newer than this Gatehouse's newest
   * migration (a newer release migrated it: this one may not know what the newer one relies on),
   * which Flyway says only when it migrates; both null when it is up to date.
   */
  public static Check check(DataSource dataSource) {
    var info = flyway(dataSource).load().info();
    if (info.current() == null) {
      return new Check("the database holds no Gatehouse schema", null);
    }
    var pending = info.pending();
    if (pending.length > 0) {
      return new Check(
          "the database's schema is at version " + info.current().getVersion() + " and this Gatehouse needs version "
              + pending[pending.length - 1].getVersion(),
          null);
    }
    return new Check(null, newer(info));
  }

  /** See {@link #check}. */
  public record Check(String refusal, String warning) {}

  /** The warning of {@link #check} for a schema newer than the newest migration this Gatehouse has; null when it is not. */
  private static String newer(org.flywaydb.core.api.MigrationInfoService info) {
    var current = info.current();
    if (current == null || !current.getState().name().startsWith("FUTURE")) {
      return null;
    }
    String known = null;
    for (var m : info.all()) {
      if (!m.getState().name().startsWith("FUTURE") && m.getVersion() != null) {
        known = m.getVersion().getVersion();
      }
    }
    return "the database's schema is at version " + current.getVersion() + ", newer than this Gatehouse's newest migration ("
        + (known == null ? "none" : known) + "): a newer Gatehouse migrated it, and this one may not work with it (see deployment.md, Upgrades)";
  }

  /** Flyway as {@link #migrate} runs it, to configure further (a test migrates to an earlier version first). */
  public static FluentConfiguration flyway(DataSource dataSource) {
    return Flyway.configure()
        .dataSource(dataSource)
        .locations("classpath:db/migration")
        .table("gatehouse_schema_history")
        .callbacks(new QuietNotices());
  }

  /**
   * PostgreSQL's notices are not passed on while a migration runs ({@code SET LOCAL
   * client_min_messages = warning}, in the migration's own transaction): Flyway logs each as a
   * warning, and the only one the migrations raise is V5's {@code ADD COLUMN IF NOT EXISTS}
   * finding the column V4 added, on every new database. The database's warnings and errors still
   * come through. (A migration run outside a transaction would get PostgreSQL's warning that {@code
   * SET LOCAL} does nothing there; none is.)
   */
  static final class QuietNotices implements Callback {
    @Override
    public boolean supports(Event event, Context context) {
      return event == Event.BEFORE_EACH_MIGRATE;
    }

    @Override
    public boolean canHandleInTransaction(Event event, Context context) {
      return true;
    }

    @Override
    public void handle(Event event, Context context) {
      try (Statement s = context.getConnection().createStatement()) {
        s.execute("SET LOCAL client_min_messages = warning");
      } catch (SQLException e) {
        throw new IllegalStateException("could not quiet PostgreSQL's notices for a migration", e);
      }
    }

    @Override
    public String getCallbackName() {
      return "gatehouse-quiet-notices";
    }
  }

  /** Installs the plugins the registry's DAOs need on a Jdbi made elsewhere. */
  public static Jdbi configure(Jdbi jdbi) {
    return jdbi.installPlugin(new SqlObjectPlugin()).installPlugin(new PostgresPlugin());
  }
}
