package dev.gatehouse.frontend.app.cli;

import dev.gatehouse.frontend.app.GatehouseConfiguration;
import dev.gatehouse.registry.db.RegistryDatabase;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.db.ManagedDataSource;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;

/** The database of a one-shot command: opened from the configuration, closed when the work is done. */
final class CommandDatabase {

  interface Work {
    void run(DataSource dataSource, Jdbi jdbi) throws Exception;
  }

  private CommandDatabase() {}

  static void use(Bootstrap<GatehouseConfiguration> bootstrap, GatehouseConfiguration config, String name, Work work)
      throws Exception {
    ManagedDataSource dataSource = config.getDatabase().build(bootstrap.getMetricRegistry(), name);
    try {
      work.run(dataSource, RegistryDatabase.configure(Jdbi.create(dataSource)));
    } finally {
      dataSource.stop();
    }
  }
}
