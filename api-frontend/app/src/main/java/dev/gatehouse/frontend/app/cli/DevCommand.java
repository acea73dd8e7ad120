package dev.gatehouse.frontend.app.cli;

import dev.gatehouse.frontend.app.GatehouseConfiguration;
import dev.gatehouse.frontend.app.StartTimes;
import dev.gatehouse.frontend.app.config.AuthConfig;
import dev.gatehouse.registry.keys.ApiKeys;
import io.dropwizard.configuration.ResourceConfigurationSourceProvider;
import io.dropwizard.core.Application;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;
import org.eclipse.jetty.util.component.LifeCycle;

/**
 * {@code gatehouse dev [--registry FILE] [--workflows JAR]}: everything in one process with nothing to install —
 * an embedded PostgreSQL (data under {@code ./data}), Temporal's test server on 127.0.0.1:7233,
 * the worker, the API on 127.0.0.1:8080 and the admin port on 127.0.0.1:8081.
 */
public class DevCommand extends GatehouseServerCommand {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DevCommand.class);
  public static final String DEV_CONFIG = "gatehouse-dev.yml";
  public static final String DEMO_REGISTRY = "/demo-registry.yml";

  private DevPostgres postgres;
  private CompletableFuture<DevPostgres> startingPostgres;
  private Path dataDir;
  private String agentKey;
  private boolean generatedKey;
  private String adminKey;
  private boolean generatedAdminKey;

  public DevCommand(Application<GatehouseConfiguration> application) {
    super(application, "dev", "Runs Gatehouse with embedded PostgreSQL and Temporal and a demo registry");
  }

  @Override
  public void configure(Subparser subparser) {
    super.configure(subparser);
    subparser.addArgument("--registry").dest("registry").help("a registry YAML file to load instead of the demo registry");
    subparser.addArgument("--data").dest("data").setDefault("data").help("where the embedded PostgreSQL keeps its data (default ./data)");
    subparser.addArgument("--workflows").dest("workflows").action(Arguments.append()).metavar("JAR")
        .help("a jar of teams' workflows written against the SPI (or a directory of such jars) to offer and run; may be repeated");
  }

  @Override
  public void run(Bootstrap<?> bootstrap, Namespace namespace) throws Exception {
    if (namespace.getString("file") == null) {
      namespace.getAttrs().put("file", DEV_CONFIG);
      bootstrap.setConfigurationSourceProvider(
          new dev.gatehouse.frontend.app.config.EnvironmentSubstitution(new ResourceConfigurationSourceProvider()));
    }
    // The keys first: a key that cannot work stops dev mode before anything starts.
    checkKeys();
    // PostgreSQL starts (its own processes, mostly waited for) while Dropwizard reads and checks
    // the configuration; the start waits for it once the configuration is read.
    Path data = Path.of(namespace.getString("data"), "postgres").toAbsolutePath();
    dataDir = data.getParent();
    startingPostgres = new CompletableFuture<>();
    Thread starter = new Thread(() -> {
      try {
        startingPostgres.complete(DevPostgres.start(data));
      } catch (Throwable e) {
        startingPostgres.completeExceptionally(e);
      }
    }, "dev-postgres-start");
    starter.setDaemon(true);
    starter.start();
    try {
      super.run(bootstrap, namespace);
    } catch (Throwable e) {
      // A configuration that did not read, or anything else that stopped the start before the
      // server ran: the PostgreSQL started for it goes too.
      try {
        awaitPostgres();
      } catch (Exception ignored) {
        // it did not start either; the first failure is the one to report
      }
      closePostgres();
      throw e;
    }
  }

  /** The PostgreSQL started beside the configuration's reading; its own failure to start as it was thrown. */
  private DevPostgres awaitPostgres() throws Exception {
    synchronized (this) {
      if (postgres != null) {
        return postgres;
      }
    }
    try {
      DevPostgres started = startingPostgres.get();
      synchronized (this) {
        postgres = started;
      }
      return started;
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }

  private void checkKeys() {
    agentKey = System.getenv("GATEHOUSE_DEV_KEY");
    generatedKey = agentKey == null || agentKey.isBlank();
    if (!generatedKey && ApiKeys.isAdminKey(agentKey)) {
      throw new RefusedToStart("GATEHOUSE_DEV_KEY starts with 'gka_', which makes it an admin key; an agent key must not");
    }
    if (generatedKey) {
      agentKey = ApiKeys.issue(ApiKeys.AGENT_KIND).key();
    }
    adminKey = System.getenv("GATEHOUSE_DEV_ADMIN_KEY");
    generatedAdminKey = adminKey == null || adminKey.isBlank();
    if (!generatedAdminKey && !ApiKeys.isAdminKey(adminKey)) {
      // Printing it as the admin key would hand out a key that /admin refuses.
      throw new RefusedToStart(
          "GATEHOUSE_DEV_ADMIN_KEY must start with 'gka_' (that is how Gatehouse tells an admin key from an agent key)");
    }
    if (generatedAdminKey) {
      adminKey = ApiKeys.issue(ApiKeys.ADMIN_KIND).key();
    }
  }

  @Override
  protected void run(Bootstrap<GatehouseConfiguration> bootstrap, Namespace namespace, GatehouseConfiguration config)
      throws Exception {
    StartTimes.mark("jvm+cli");
    DevPostgres database = awaitPostgres();
    StartTimes.mark("postgres");
    config.getDatabase().setUrl(database.jdbcUrl());
    config.getDatabase().setUser("postgres");
    config.getDatabase().setPassword("");
    config.getTemporal().setEmbedded(true);
    if (config.getSecrets().box().isEmpty()) {
      config.getSecrets().getMasterKeys().put("dev", devMasterKey(dataDir));
      config.getSecrets().setActiveKey("dev");
    }
    config.setDemoTools(true);
    List<String> workflowJars = namespace.getList("workflows");
    for (String jar : workflowJars == null ? List.<String>of() : workflowJars) {
      Path p = Path.of(jar).toAbsolutePath();
      if (!Files.exists(p)) {
        throw new RefusedToStart("--workflows " + jar + ": no such file or directory (build it first, e.g. mvn -q -DskipTests package)");
      }
      config.getWorkflows().getJars().add(p.toString());
    }
    String registry = namespace.getString("registry");
    config.setRegistryFile(
        registry != null ? Path.of(registry).toAbsolutePath().toString() : demoRegistry(config, dataDir));
    config.getAuth().getAgentKeys().add(new AuthConfig.AgentKey("demo", "demo", agentKey));
    config.getAuth().getAdminKeys().add(new AuthConfig.AdminKey("dev", adminKey));
    config.role(GatehouseConfiguration.Role.DEV);
    super.run(bootstrap, namespace, config);
  }

  @Override
  protected void run(Environment environment, Namespace namespace, GatehouseConfiguration config) throws Exception {
    environment.lifecycle()
        .addServerLifecycleListener(
            new io.dropwizard.lifecycle.ServerLifecycleListener() {
              @Override
              public void serverStarted(org.eclipse.jetty.server.Server server) {
                StartTimes.mark("jetty+jersey");
                LOG.info("{}", StartTimes.summary());
                banner(config, getLocalPort(server), getAdminPort(server));
              }
            });
    environment.lifecycle().addEventListener(new LifeCycle.Listener() {
      @Override
      public void lifeCycleStopped(LifeCycle event) {
        closePostgres();
      }
    });
    try {
      super.run(environment, namespace, config);
    } catch (Exception e) {
      closePostgres();
      throw e;
    }
  }

  /** Dev mode's master key for secrets, kept beside the data so stored secrets survive restarts. */
  private static String devMasterKey(Path dataDir) throws java.io.IOException {
    Path file = dataDir.resolve("master.key");
    if (Files.exists(file)) {
      return Files.readString(file).trim();
    }
    String key = dev.gatehouse.registry.secrets.SecretBox.newMasterKey();
    Files.writeString(file, key);
    try {
      Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException notPosix) {
      // best effort on other file systems
    }
    return key;
  }

  /** The demo registry, pointed at this process's own API port (its upstream is /demo). */
  private static String demoRegistry(GatehouseConfiguration config, Path dataDir) throws java.io.IOException {
    String yaml;
    try (var in = DevCommand.class.getResourceAsStream(DEMO_REGISTRY)) {
      yaml = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    Path file = dataDir.resolve("demo-registry.yml");
    Files.writeString(file, yaml.replace("http://127.0.0.1:8080", "http://127.0.0.1:" + apiPort(config)));
    return file.toString();
  }

  private static int apiPort(GatehouseConfiguration config) {
    var server = (io.dropwizard.core.server.DefaultServerFactory) config.getServerFactory();
    return ((io.dropwizard.jetty.HttpConnectorFactory) server.getApplicationConnectors().get(0)).getPort();
  }

  private synchronized void closePostgres() {
    if (postgres != null) {
      try {
        postgres.close();
      } catch (Exception ignored) {
        // shutting down anyway
      }
      postgres = null;
    }
  }

  private void banner(GatehouseConfiguration config, int apiPort, int adminPort) {
    String api = "http://127.0.0.1:" + apiPort;
    System.out.println();
    System.out.println("  Gatehouse is running in dev mode.");
    System.out.println("    API          " + api + "/v1/tasks");
    System.out.println("    Admin        http://127.0.0.1:" + adminPort + "  (/healthcheck, /prometheus)");
    System.out.println("    Temporal     " + config.getTemporal().getTarget() + "  (gRPC, loopback only; e.g. temporal workflow show -w <task id> --address " + config.getTemporal().getTarget() + ")");
    System.out.println("    Registry     " + config.getRegistryFile());
    System.out.println("    Data         " + dataDir + "  (PostgreSQL; kept across restarts. Workflows live in memory: running tasks end as FAILED/engine_reset on restart)");
    System.out.println("    Agent key    " + agentKey + (generatedKey ? "   (generated; set GATEHOUSE_DEV_KEY to fix it)" : "   (from GATEHOUSE_DEV_KEY)"));
    System.out.println("    Admin key    " + adminKey + (generatedAdminKey ? "   (generated; set GATEHOUSE_DEV_ADMIN_KEY to fix it)" : "   (from GATEHOUSE_DEV_ADMIN_KEY)"));
    System.out.println();
    System.out.println("  Try: curl -s -H \"Authorization: Bearer " + agentKey + "\" " + api + "/v1/tasks");
    System.out.println();
  }

  /** A setting dev mode cannot start with; its message says what to change. */
  static final class RefusedToStart extends RuntimeException {
    RefusedToStart(String message) {
      super(message, null, false, false);
    }
  }

  @Override
  public void onError(io.dropwizard.core.cli.Cli cli, Namespace namespace, Throwable e) {
    if (e instanceof RefusedToStart) {
      cli.getStdErr().println("gatehouse dev: " + e.getMessage());
    } else {
      super.onError(cli, namespace, e);
    }
  }
}
