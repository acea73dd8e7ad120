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
 * for a reason it says in words ({@link CommandExit}: a database not yet migrated or not usable, an
 * engine not reached, a registry or TLS file not read), and a port already taken. Any other
 * failure keeps its stack trace, a database URL's password in it replaced by {@code ***}.
 */
public class GatehouseServerCommand extends ServerCommand<GatehouseConfiguration> {

  public GatehouseServerCommand(Application<GatehouseConfiguration> application) {
    super(application);
  }

  protected GatehouseServerCommand(Application<GatehouseConfiguration> application, String name, String description) {
    super(application, name, description);
  }

  /**
   * A start that fails, in the application's wiring or as the server starts, stops what the
   * application had started by then: every object it gave the lifecycle, whether the server got to
   * start it or not (the wiring starts some itself: the MCP servers' checks, the budget sweeper).
   * A process exits after; one that runs on (tests run the commands in their JVM) kept those
   * threads, and they went on querying a database that had gone.
   */
  @Override
  protected void run(io.dropwizard.core.setup.Bootstrap<GatehouseConfiguration> bootstrap, Namespace namespace, GatehouseConfiguration configuration)
      throws Exception {
    try {
      super.run(bootstrap, namespace, configuration);
    } catch (Exception | Error e) {
      stopAll(getEnvironment());
      throw e;
    }
  }

  /** Stops every object of {@code environment}'s lifecycle, last given first, each once more if it was stopped already. */
  static void stopAll(io.dropwizard.core.setup.Environment environment) {
    if (environment == null) {
      return;
    }
    java.util.List<org.eclipse.jetty.util.component.LifeCycle> managed = new java.util.ArrayList<>(environment.lifecycle().getManagedObjects());
    java.util.Collections.reverse(managed);
    for (org.eclipse.jetty.util.component.LifeCycle l : managed) {
      try {
        if (l instanceof io.dropwizard.lifecycle.JettyManaged m) {
          m.getManaged().stop(); // a lifecycle never started would not stop: its object is told directly
        } else {
          l.stop();
        }
      } catch (Exception | LinkageError ignored) {
        // stopping what a failed start left: one that cannot stop does not keep the others running
      }
    }
  }

  /**
   * Dropwizard's server command logs a start that failed, with its stack trace (a database URL's
   * password not replaced), and then a second failure stopping what had not started; {@link
   * #onError} says it once, on stderr, in one line where the reason is known. Its logger is quieted
   * for that.
   */
  @Override
  protected void run(io.dropwizard.core.setup.Environment environment, Namespace namespace, GatehouseConfiguration configuration)
      throws Exception {
    if (org.slf4j.LoggerFactory.getLogger(ServerCommand.class) instanceof ch.qos.logback.classic.Logger logger) {
      logger.setLevel(ch.qos.logback.classic.Level.OFF);
    }
    super.run(environment, namespace, configuration);
  }

  @Override
  public void onError(Cli cli, Namespace namespace, Throwable e) {
    java.net.BindException bind = cause(e, java.net.BindException.class);
    if (e instanceof ConfigurationException || e instanceof FileNotFoundException) {
      cli.getStdErr().println(String.valueOf(e.getMessage()).strip());
    } else if (e instanceof CommandExit) {
      CommandExit.printOneLine(cli, getName(), e); // a start refused for a reason it says in words
    } else if (bind != null) {
      cli.getStdErr().println(
          getName() + ": cannot listen on a port of server.applicationConnectors or server.adminConnectors: "
              + McpProbeCommand.describe(e).replaceAll("\\b[a-z]+(\\.[a-z0-9]+)*\\.[A-Z]\\w*(Exception|Error): ", "").strip());
    } else {
      // The stack trace as Dropwizard prints it, a database URL's password replaced by ***.
      java.io.StringWriter trace = new java.io.StringWriter();
      e.printStackTrace(new java.io.PrintWriter(trace));
      cli.getStdErr().print(DatabaseUrls.redact(trace.toString()));
      cli.getStdErr().flush();
    }
  }

  private static <X extends Throwable> X cause(Throwable e, Class<X> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }
}
