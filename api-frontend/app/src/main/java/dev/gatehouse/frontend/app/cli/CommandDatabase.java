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

  /**
   * The pool logs a first connection that fails at ERROR with the stack trace (on stdout, beside
   * the command's one line on stderr) and the driver's message, which may quote the URL's password:
   * a command says why in its one line instead.
   */
  static final String POOL_LOGGER = "org.apache.tomcat.jdbc.pool";

  static void use(Bootstrap<GatehouseConfiguration> bootstrap, GatehouseConfiguration config, String name, Work work)
      throws Exception {
    if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
      context.getLogger(POOL_LOGGER).setLevel(ch.qos.logback.classic.Level.OFF);
    }
    ManagedDataSource dataSource = config.getDatabase().build(bootstrap.getMetricRegistry(), name);
    try {
      work.run(dataSource, RegistryDatabase.configure(Jdbi.create(dataSource)));
    } finally {
      dataSource.stop();
    }
  }
}
