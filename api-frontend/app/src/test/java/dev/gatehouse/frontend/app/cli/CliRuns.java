package dev.gatehouse.frontend.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.frontend.app.GatehouseApplication;
import dev.gatehouse.frontend.app.GatehouseConfiguration;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.util.JarLocation;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Gatehouse's commands run as the jar runs them, but in the test's JVM. */
final class CliRuns {
  private CliRuns() {}

  /** The application's commands, Dropwizard's defaults included, as {@code Application.run} adds them. */
  private static final class App extends GatehouseApplication {
    Bootstrap<GatehouseConfiguration> bootstrap() {
      Bootstrap<GatehouseConfiguration> bootstrap = new Bootstrap<>(this);
      addDefaultCommands(bootstrap);
      initialize(bootstrap);
      return bootstrap;
    }
  }

  /**
   * Runs a command that must fail: {stdout, stderr}. (Not through {@code Application.run}, whose
   * failure ends the JVM.)
   */
  static String[] fails(String... args) throws Exception {
    Bootstrap<GatehouseConfiguration> bootstrap = new App().bootstrap();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    var failure = new Cli(new JarLocation(GatehouseApplication.class), bootstrap, out, err).run(args);
    assertThat(failure).as("the command failed").isPresent();
    return new String[] {out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
  }
}
