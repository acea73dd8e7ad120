package dev.gatehouse.frontend.app.cli;

import dev.gatehouse.frontend.app.GatehouseConfiguration;
import dev.gatehouse.registry.db.RegistryDatabase;
import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;
import org.flywaydb.core.api.output.MigrateResult;

/** {@code gatehouse db migrate config.yml}: brings the PostgreSQL schema up to date, then exits. */
public class DbCommand extends ConfiguredCommand<GatehouseConfiguration> {

  public DbCommand() {
    super("db", "Database tasks: 'db migrate config.yml' applies the schema migrations");
  }

  @Override
  public void configure(Subparser subparser) {
    subparser.addArgument("action").choices("migrate").help("what to do: migrate");
    super.configure(subparser);
  }

  @Override
  protected void run(Bootstrap<GatehouseConfiguration> bootstrap, Namespace namespace, GatehouseConfiguration config)
      throws Exception {
    CommandDatabase.use(bootstrap, config, "migrations", (dataSource, jdbi) -> {
      MigrateResult result = RegistryDatabase.migrate(dataSource);
      // Flyway gives no target version when it applied nothing: the schema is where it was.
      String version = result.targetSchemaVersion != null ? result.targetSchemaVersion : result.initialSchemaVersion;
      System.out.printf(
          "schema at version %s (%d migration(s) applied)%n", version == null ? "none" : version, result.migrationsExecuted);
      String newer = RegistryDatabase.check(dataSource).warning();
      if (newer != null) {
        System.err.println("db: " + newer);
      }
    });
  }

  @Override
  protected Class<GatehouseConfiguration> getConfigurationClass() {
    return GatehouseConfiguration.class;
  }

  /** One line on stderr (a missing file, a bad registry or configuration), never a stack trace. */
  @Override
  public void onError(io.dropwizard.core.cli.Cli cli, Namespace namespace, Throwable e) {
    CommandExit.printOneLine(cli, "db", e);
  }
}
