package dev.gatehouse.registry.db;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
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

  /** Flyway as {@link #migrate} runs it, to configure further (a test migrates to an earlier version first). */
  public static FluentConfiguration flyway(DataSource dataSource) {
    return Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").table("gatehouse_schema_history");
  }

  /** Installs the plugins the registry's DAOs need on a Jdbi made elsewhere. */
  public static Jdbi configure(Jdbi jdbi) {
    return jdbi.installPlugin(new SqlObjectPlugin()).installPlugin(new PostgresPlugin());
  }
}
