package dev.gatehouse.frontend.app.cli;

import dev.gatehouse.frontend.app.GatehouseConfiguration;
import io.dropwizard.core.Application;
import io.dropwizard.core.setup.Bootstrap;
import net.sourceforge.argparse4j.inf.Namespace;

/** {@code gatehouse worker config.yml}: only the Temporal worker, plus the admin port (health, metrics). */
public class WorkerCommand extends GatehouseServerCommand {

  public WorkerCommand(Application<GatehouseConfiguration> application) {
    super(application, "worker", "Runs only the Temporal worker (and the admin port)");
  }

  @Override
  protected void run(Bootstrap<GatehouseConfiguration> bootstrap, Namespace namespace, GatehouseConfiguration config)
      throws Exception {
    config.role(GatehouseConfiguration.Role.WORKER);
    super.run(bootstrap, namespace, config);
  }
}
