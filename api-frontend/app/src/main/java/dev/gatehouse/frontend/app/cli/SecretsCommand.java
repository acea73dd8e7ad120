package dev.gatehouse.frontend.app.cli;

import dev.gatehouse.frontend.app.GatehouseConfiguration;
import dev.gatehouse.registry.secrets.SecretBox;
import dev.gatehouse.registry.secrets.Secrets;
import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code gatehouse secrets rotate config.yml}: re-seals every secret under the active master key
 * (list the old key too while this runs; remove it afterwards).
 */
public class SecretsCommand extends ConfiguredCommand<GatehouseConfiguration> {

  public SecretsCommand() {
    super("secrets", "Secret tasks: 'secrets rotate config.yml' re-encrypts every secret under the active master key");
  }

  @Override
  public void configure(Subparser subparser) {
    subparser.addArgument("action").choices("rotate").help("what to do: rotate");
    super.configure(subparser);
  }

  @Override
  protected void run(Bootstrap<GatehouseConfiguration> bootstrap, Namespace namespace, GatehouseConfiguration config)
      throws Exception {
    SecretBox box =
        config.getSecrets().box().orElseThrow(() -> new IllegalStateException("no master key is configured (secrets.masterKeys)"));
    CommandDatabase.use(bootstrap, config, "secrets", (dataSource, jdbi) -> {
      int n = new Secrets(jdbi, box).rotate();
      System.out.printf("%d secret(s) re-encrypted under master key '%s'%n", n, box.activeKeyId());
    });
  }

  @Override
  protected Class<GatehouseConfiguration> getConfigurationClass() {
    return GatehouseConfiguration.class;
  }

  /** One line on stderr (a missing file, a bad registry or configuration), never a stack trace. */
  @Override
  public void onError(io.dropwizard.core.cli.Cli cli, Namespace namespace, Throwable e) {
    CommandExit.printOneLine(cli, "secrets", e);
  }
}
