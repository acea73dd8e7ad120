package dev.gatehouse.frontend.app.cli;

import dev.gatehouse.frontend.app.GatehouseConfiguration;
import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.core.Application;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.ServerCommand;
import java.io.FileNotFoundException;
import net.sourceforge.argparse4j.inf.Namespace;

/**
 * Dropwizard's {@code server} command as Gatehouse's {@code server}, {@code worker} and {@code dev}
 * run it: a configuration file that is not there, does not parse or does not validate is said in
 * Dropwizard's words (the file, the setting, what was expected), as its {@code check} command says
 * it, without the stack trace under them, which says nothing about the file; so is a start refused
 * for a reason it says in words ({@link CommandExit}: a database not yet migrated). Any other
 * failure keeps its stack trace, a database URL's password in it replaced by {@code ***}.
 */
public class GatehouseServerCommand extends ServerCommand<GatehouseConfiguration> {

  public GatehouseServerCommand(Application<GatehouseConfiguration> application) {
    super(application);
  }

  protected GatehouseServerCommand(Application<GatehouseConfiguration> application, String name, String description) {
    super(application, name, description);
  }

  @Override
  public void onError(Cli cli, Namespace namespace, Throwable e) {
    if (e instanceof ConfigurationException || e instanceof FileNotFoundException) {
      cli.getStdErr().println(String.valueOf(e.getMessage()).strip());
    } else if (e instanceof CommandExit) {
      CommandExit.printOneLine(cli, getName(), e); // a start refused for a reason it says in words
    } else {
      // The stack trace as Dropwizard prints it, a database URL's password replaced by ***.
      java.io.StringWriter trace = new java.io.StringWriter();
      e.printStackTrace(new java.io.PrintWriter(trace));
      cli.getStdErr().print(DatabaseUrls.redact(trace.toString()));
      cli.getStdErr().flush();
    }
  }
}
