package dev.gatehouse.frontend.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.dropwizard.configuration.EnvironmentVariableSubstitutor;
import io.dropwizard.configuration.FileConfigurationSourceProvider;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml, the Dockerfile and config/gatehouse.yml must agree (no Docker engine runs in
 * CI, so this is how they stay honest): the Gatehouse service sets only variables the config
 * reads, and the config loads and validates with the compose environment.
 */
class DeploymentFilesTest {
  private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final String MASTER_KEY = dev.gatehouse.registry.secrets.SecretBox.newMasterKey();
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Z0-9_]+)(:-[^}]*)?}");

  @Test
  void composeSetsOnlyVariablesTheConfigReads() throws Exception {
    JsonNode services = YAML.readTree(ROOT.resolve("docker-compose.yml").toFile()).path("services");
    Set<String> read = variablesIn(Files.readString(ROOT.resolve("config/gatehouse.yml")));
    for (String name : List.of("gatehouse", "worker")) {
      JsonNode service = services.path(name);
      assertThat(service.isMissingNode()).as(name).isFalse();
      Set<String> set = new TreeSet<>();
      service.path("environment").fieldNames().forEachRemaining(set::add);
      assertThat(set).as(name).isNotEmpty();
      assertThat(read).as(name).containsAll(set);
    }
    JsonNode gatehouse = services.path("gatehouse");
    assertThat(gatehouse.path("command").toString()).contains("server").contains("/app/gatehouse.yml");
    String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
    assertThat(dockerfile).contains("COPY config/gatehouse.yml /app/gatehouse.yml").contains("api-frontend/app/target/gatehouse.jar");
  }

  /**
   * The server's JVM flags are written twice, in the launcher ({@code SERVER_JVM_OPTS}, which the
   * benchmarks read too) and in the image's {@code JAVA_TOOL_OPTIONS}: the image has every one of
   * them, and a JVM starts with them (a misspelt flag stops the JVM before Gatehouse starts).
   */
  @Test
  void theImageRunsTheServerWithTheLaunchersJvmFlagsAndAJvmAcceptsThem() throws Exception {
    Matcher launcher = Pattern.compile("(?m)^SERVER_JVM_OPTS=\"([^\"]+)\"$").matcher(Files.readString(ROOT.resolve("gatehouse")));
    assertThat(launcher.find()).as("SERVER_JVM_OPTS in ./gatehouse").isTrue();
    List<String> flags = List.of(launcher.group(1).trim().split("\\s+"));
    assertThat(flags).contains("-XX:+UseTransparentHugePages");
    Matcher image = Pattern.compile("(?m)^ENV JAVA_TOOL_OPTIONS=\"([^\"]+)\"$").matcher(Files.readString(ROOT.resolve("Dockerfile")));
    assertThat(image.find()).as("JAVA_TOOL_OPTIONS in the Dockerfile").isTrue();
    assertThat(List.of(image.group(1).trim().split("\\s+"))).containsAll(flags);

    List<String> command = new java.util.ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(flags);
    command.add("-version");
    Process jvm = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(jvm.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(jvm.waitFor()).as(output).isZero();
    assertThat(output).doesNotContainIgnoringCase("unrecognized").doesNotContainIgnoringCase("error");
  }

  /** The image builds every module the application needs: each one's POM and sources are copied. */
  @Test
  void theDockerfileCopiesEveryModuleOfTheApplication() throws Exception {
    String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("<module>([^<]+)</module>").matcher(Files.readString(ROOT.resolve("api-frontend/pom.xml")));
    List<String> modules = new java.util.ArrayList<>(List.of("workflows", "registry", "policies", "activities"));
    while (m.find()) {
      modules.add("api-frontend/" + m.group(1));
    }
    assertThat(modules).contains("api-frontend/models");
    for (String module : modules) {
      assertThat(dockerfile).as(module).contains("COPY " + module + "/pom.xml " + module + "/").contains("COPY " + module + "/src " + module + "/src");
    }
  }

  @Test
  void theConfigLoadsWithTheComposeEnvironment() throws Exception {
    JsonNode compose = YAML.readTree(ROOT.resolve("docker-compose.yml").toFile());
    GatehouseConfiguration config = load(composeEnvironment(compose.path("services").path("gatehouse")));
    assertThat(config.getDatabase().getUrl()).isEqualTo("jdbc:postgresql://postgresql:5432/gatehouse");
    assertThat(config.getTemporal().getTarget()).isEqualTo("temporal:7233");
    assertThat(config.getTemporal().isEmbedded()).isFalse();
    // The front end leaves the work to the worker service.
    assertThat(config.getWorker().isEnabled()).isFalse();
    assertThat(config.getAuth().getAgentKeys()).anySatisfy(k -> assertThat(k.key()).isEqualTo("test-key"));
    assertThat(config.getRegistryFile()).isNullOrEmpty();
    assertThat(config.getAuth().getAdminKeys()).anySatisfy(k -> assertThat(k.key()).isEqualTo("gka_test-key"));
    assertThat(config.getSecrets().box()).isPresent();
    assertThat(config.getMcp().getAllowedHosts()).containsExactly("localhost", "127.0.0.1", "gatehouse");

    // Prometheus scrapes the admin port's /prometheus.
    JsonNode prometheus = YAML.readTree(ROOT.resolve("deploy/prometheus/prometheus.yml").toFile());
    JsonNode job = prometheus.path("scrape_configs").get(0);
    assertThat(job.path("metrics_path").asText()).isEqualTo("/prometheus");
    assertThat(job.path("static_configs").get(0).path("targets").get(0).asText()).isEqualTo("gatehouse:8081");
    assertThat(job.path("static_configs").get(0).path("targets").get(1).asText()).isEqualTo("worker:8081");
  }

  /** The worker service: the same image and configuration, another command, the same stores. */
  @Test
  void theWorkerRunsTheSameImageAndConfigAgainstTheSameStores() throws Exception {
    JsonNode services = YAML.readTree(ROOT.resolve("docker-compose.yml").toFile()).path("services");
    JsonNode gatehouse = services.path("gatehouse");
    JsonNode worker = services.path("worker");
    assertThat(worker.path("image").asText()).isEqualTo(gatehouse.path("image").asText()).isNotBlank();
    assertThat(worker.has("build")).as("built once, by the gatehouse service").isFalse();
    assertThat(worker.path("command").toString()).isEqualTo("[\"worker\",\"/app/gatehouse.yml\"]");
    assertThat(worker.has("ports")).as("nothing to publish: its admin port is for health and metrics").isFalse();
    // The front end's admin port has no authentication (Dropwizard's /tasks): the host's loopback only.
    java.util.List<String> published = new java.util.ArrayList<>();
    gatehouse.path("ports").forEach(p -> published.add(p.asText()));
    assertThat(published).contains("127.0.0.1:8081:8081").noneMatch(p -> p.endsWith(":8081") && !p.startsWith("127.0.0.1:"));

    GatehouseConfiguration front = load(composeEnvironment(gatehouse));
    GatehouseConfiguration config = load(composeEnvironment(worker));
    assertThat(config.getWorker().isEnabled()).isTrue();
    assertThat(config.getDatabase().getUrl()).isEqualTo(front.getDatabase().getUrl());
    assertThat(config.getDatabase().getUser()).isEqualTo(front.getDatabase().getUser());
    assertThat(config.getTemporal().getTarget()).isEqualTo(front.getTemporal().getTarget());
    assertThat(config.getTemporal().getNamespace()).isEqualTo(front.getTemporal().getNamespace());
    assertThat(config.getTemporal().getTaskQueue()).isEqualTo(front.getTemporal().getTaskQueue());
    // It decrypts tools' upstream credentials with the same master key.
    assertThat(worker.path("environment").path("GATEHOUSE_MASTER_KEY").asText())
        .isEqualTo(gatehouse.path("environment").path("GATEHOUSE_MASTER_KEY").asText());
    // The front end migrates; the worker starts once the front end is healthy.
    assertThat(config.isMigrateOnStart()).isFalse();
    assertThat(front.isMigrateOnStart()).isTrue();
    assertThat(worker.path("depends_on").path("gatehouse").path("condition").asText()).isEqualTo("service_healthy");
  }

  /**
   * Temporal from its supported images: the server, with admin-tools of the same version setting
   * up both schemas before it starts and the namespace once it is healthy; no auto-setup.
   */
  @Test
  void temporalRunsFromTheServerImageAfterAOneShotSchemaSetup() throws Exception {
    JsonNode services = YAML.readTree(ROOT.resolve("docker-compose.yml").toFile()).path("services");
    services.forEach(service -> assertThat(service.path("image").asText()).doesNotContain("auto-setup"));
    JsonNode temporal = services.path("temporal");
    String version = tagOf(temporal, "temporalio/server");

    JsonNode schema = services.path("temporal-schema");
    assertThat(tagOf(schema, "temporalio/admin-tools")).isEqualTo(version);
    assertThat(temporal.path("depends_on").path("temporal-schema").path("condition").asText())
        .isEqualTo("service_completed_successfully");
    assertThat(schema.path("depends_on").path("postgresql").path("condition").asText()).isEqualTo("service_healthy");
    String setup = Files.readString(script(schema));
    // Both databases, the ones the server is configured with, each created, set up and updated.
    assertThat(setup).contains("setup " + temporal.path("environment").path("DBNAME").asText() + " temporal")
        .contains("setup " + temporal.path("environment").path("VISIBILITY_DBNAME").asText() + " visibility")
        .contains("create-database").contains("setup-schema -v 0.0").contains("update-schema -d");
    // temporal-sql-tool reads SQL_*; the server reads POSTGRES_*: the same server and user.
    JsonNode sql = schema.path("environment");
    JsonNode server = temporal.path("environment");
    assertThat(sql.path("SQL_PLUGIN").asText()).isEqualTo(server.path("DB").asText()).isEqualTo("postgres12");
    assertThat(sql.path("SQL_HOST").asText()).isEqualTo(server.path("POSTGRES_SEEDS").asText()).isEqualTo("postgresql");
    assertThat(sql.path("SQL_PORT").asText()).isEqualTo(server.path("DB_PORT").asText());
    assertThat(sql.path("SQL_USER").asText()).isEqualTo(server.path("POSTGRES_USER").asText());
    assertThat(sql.path("SQL_PASSWORD").asText()).isEqualTo(server.path("POSTGRES_PWD").asText());
    JsonNode postgres = services.path("postgresql").path("environment");
    assertThat(server.path("POSTGRES_USER").asText()).isEqualTo(postgres.path("POSTGRES_USER").asText());
    assertThat(server.path("POSTGRES_PWD").asText()).isEqualTo(postgres.path("POSTGRES_PASSWORD").asText());
    assertThat(server.path("BIND_ON_IP").asText()).isEqualTo("0.0.0.0");

    JsonNode namespace = services.path("temporal-namespace");
    assertThat(tagOf(namespace, "temporalio/admin-tools")).isEqualTo(version);
    assertThat(namespace.path("depends_on").path("temporal").path("condition").asText()).isEqualTo("service_healthy");
    assertThat(Files.readString(script(namespace))).contains("temporal operator namespace create");
    // The namespace it registers is the one Gatehouse uses.
    assertThat(namespace.path("environment").path("TEMPORAL_NAMESPACE").asText())
        .isEqualTo(load(composeEnvironment(services.path("gatehouse"))).getTemporal().getNamespace());
    assertThat(services.path("gatehouse").path("depends_on").path("temporal-namespace").path("condition").asText())
        .isEqualTo("service_completed_successfully");
  }

  /** Health checks where something waits on health, and every start-order condition is one that can be met. */
  @Test
  void startOrderWaitsOnHealthChecksAndOneShotsThatExist() throws Exception {
    JsonNode services = YAML.readTree(ROOT.resolve("docker-compose.yml").toFile()).path("services");
    for (String name : List.of("postgresql", "temporal", "gatehouse", "worker")) {
      assertThat(services.path(name).path("healthcheck").path("test").isArray()).as(name + " health check").isTrue();
    }
    // The Gatehouse services probe their admin port's /healthcheck (the config's admin port).
    int adminPort = ((io.dropwizard.jetty.HttpConnectorFactory)
            ((io.dropwizard.core.server.DefaultServerFactory) load(Map.of()).getServerFactory()).getAdminConnectors().get(0))
        .getPort();
    for (String name : List.of("gatehouse", "worker")) {
      assertThat(services.path(name).path("healthcheck").path("test").toString())
          .contains("/dev/tcp/127.0.0.1/" + adminPort).contains("GET /healthcheck").contains(" 200 ");
    }
    Set<String> oneShots = Set.of("temporal-schema", "temporal-namespace");
    var names = services.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      var deps = services.path(name).path("depends_on").fields();
      while (deps.hasNext()) {
        var dep = deps.next();
        JsonNode target = services.path(dep.getKey());
        assertThat(target.isMissingNode()).as(name + " depends on " + dep.getKey()).isFalse();
        String condition = dep.getValue().path("condition").asText();
        switch (condition) {
          case "service_healthy" -> assertThat(target.has("healthcheck")).as(name + " waits for the health of " + dep.getKey()).isTrue();
          case "service_completed_successfully" -> assertThat(oneShots).as(name + " waits for " + dep.getKey() + " to finish").contains(dep.getKey());
          case "service_started" -> assertThat(oneShots).as(name + " waits for a one-shot to start").doesNotContain(dep.getKey());
          default -> throw new AssertionError(name + ": unknown condition " + condition);
        }
      }
    }
    for (String oneShot : oneShots) {
      // A one-shot that exits 0 must not be restarted, and must not be a long-running service.
      assertThat(services.path(oneShot).path("restart").asText()).as(oneShot).startsWith("on-failure");
      assertThat(services.path(oneShot).has("ports")).as(oneShot).isFalse();
    }
  }

  private static String tagOf(JsonNode service, String repository) {
    String image = service.path("image").asText();
    assertThat(image).startsWith(repository + ":");
    return image.substring(repository.length() + 1);
  }

  /** The script a one-shot service runs, as a file of this repository (it is mounted read-only). */
  private static Path script(JsonNode service) {
    assertThat(service.path("volumes").get(0).asText()).isEqualTo("./deploy/temporal:/scripts:ro");
    String command = service.path("command").get(0).asText();
    assertThat(command).startsWith("/scripts/");
    Path file = ROOT.resolve("deploy/temporal").resolve(command.substring("/scripts/".length()));
    assertThat(file).exists();
    return file;
  }

  /** A service's environment as the config sees it, with the values compose leaves to the user. */
  private static Map<String, String> composeEnvironment(JsonNode service) {
    Map<String, String> env = new HashMap<>();
    service.path("environment").fields()
        .forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText().startsWith("${") ? valueFor(e.getKey()) : e.getValue().asText()));
    return env;
  }

  @Test
  void theConfigLoadsWithNoEnvironmentAtAll() throws Exception {
    GatehouseConfiguration config = load(Map.of());
    assertThat(config.getTemporal().getTarget()).isEqualTo("127.0.0.1:7233");
    assertThat(config.getTemporal().getTls().getCertChain()).isNull();
    assertThat(config.getSecrets().box()).isEmpty();
    assertThat(config.getMcp().getAllowedHosts()).containsExactly("localhost", "127.0.0.1", "[::1]");
    assertThat(config.getMcp().getPublicUrl()).isNull();
  }

  @Test
  void keysOfTheWrongKindAreRefusedWhenTheConfigLoads() {
    assertThatThrownBy(() -> load(Map.of("GATEHOUSE_ADMIN_KEY", "gk_an_agent_key")))
        .isInstanceOf(io.dropwizard.configuration.ConfigurationException.class)
        .hasMessageContaining("auth.adminKeys[0].key must start with 'gka_'")
        .hasMessageNotContaining("gk_an_agent_key");
    assertThatThrownBy(() -> load(Map.of("GATEHOUSE_AGENT_KEY", "gka_an_admin_key")))
        .isInstanceOf(io.dropwizard.configuration.ConfigurationException.class)
        .hasMessageContaining("auth.agentKeys[0].key must not start with 'gka_'");
  }

  /**
   * Both shipped configurations quiet the MCP SDK's lines an agent can cause at will: one per
   * upstream session, quoting the upstream's instructions, and two warnings per listening stream
   * dropped without ending its session, and a warning with a stack trace for every failed connect to
   * an upstream (each health check of a server that is down); and the engine's and Jetty's warnings
   * for every failed call attempt, failed task and request with a bad Host header.
   */
  @Test
  void theShippedConfigsQuietTheMcpSdksPerSessionLines() throws Exception {
    EnvironmentVariableSubstitutor noEnvironment = new EnvironmentVariableSubstitutor(false);
    noEnvironment.setVariableResolver(key -> null);
    GatehouseConfiguration devMode =
        new YamlConfigurationFactory<>(GatehouseConfiguration.class, Validators.newValidator(), Jackson.newObjectMapper(), "dw")
            .build(
                new SubstitutingSourceProvider(new io.dropwizard.configuration.ResourceConfigurationSourceProvider(), noEnvironment),
                dev.gatehouse.frontend.app.cli.DevCommand.DEV_CONFIG);
    for (GatehouseConfiguration config : List.of(load(Map.of()), devMode)) {
      Map<String, JsonNode> loggers = ((io.dropwizard.logging.common.DefaultLoggingFactory) config.getLoggingFactory()).getLoggers();
      assertThat(loggers).extractingByKey("io.modelcontextprotocol.client.LifecycleInitializer").asString().isEqualTo("\"WARN\"");
      assertThat(loggers).extractingByKey("io.modelcontextprotocol.util.KeepAliveScheduler").asString().isEqualTo("\"ERROR\"");
      // an error line per keep-alive ping of each listening stream an agent dropped
      assertThat(loggers).extractingByKey("io.modelcontextprotocol.spec.McpTransport").asString().isEqualTo("\"OFF\"");
      // an upstream's tool names, written into the log as they came (a probe forged whole lines with them)
      assertThat(loggers).extractingByKey("io.modelcontextprotocol.util.ToolNameValidator").asString().isEqualTo("\"OFF\"");
      for (String perRequest : List.of(
          "io.temporal.internal.activity.ActivityTaskExecutors", "io.temporal.internal.sync.WorkflowExecutionHandler",
          "io.temporal.internal.worker.ActivityWorker", "org.eclipse.jetty.util.HostPort", "org.eclipse.jetty.http.HttpParser",
          "io.modelcontextprotocol.spec.McpClientSession")) {
        assertThat(loggers).extractingByKey(perRequest).asString().isEqualTo("\"ERROR\"");
      }
    }
  }

  /**
   * The server's request log is Jetty's own, written through logback-classic (Dropwizard's {@code
   * classic}), not Dropwizard's default logback-access one, which cost several times as much CPU per
   * request in the benchmarks: a real request through a request log built from the shipped
   * config is printed once, in the NCSA format, without the bearer key it carried or its query string.
   */
  @Test
  void theShippedServerConfigLogsEachRequestThroughJettysClassicRequestLog() throws Exception {
    var factory = ((io.dropwizard.core.server.DefaultServerFactory) load(Map.of()).getServerFactory()).getRequestLogFactory();
    assertThat(factory).isInstanceOf(io.dropwizard.request.logging.old.LogbackClassicRequestLogFactory.class);
    assertThat(factory.isEnabled()).isTrue();

    String key = "gk_request-log-probe-" + java.util.UUID.randomUUID();
    java.io.PrintStream stdout = System.out;
    java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
    org.eclipse.jetty.server.Server jetty = new org.eclipse.jetty.server.Server();
    int status;
    System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      org.eclipse.jetty.server.ServerConnector connector = new org.eclipse.jetty.server.ServerConnector(jetty);
      connector.setHost("127.0.0.1");
      jetty.addConnector(connector);
      jetty.setHandler(
          new org.eclipse.jetty.server.Handler.Abstract() {
            @Override
            public boolean handle(
                org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response, org.eclipse.jetty.util.Callback callback) {
              response.setStatus(204);
              callback.succeeded();
              return true;
            }
          });
      jetty.setRequestLog(factory.build("gatehouse"));
      jetty.start();
      status =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  java.net.http.HttpRequest.newBuilder(
                          java.net.URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/mcp?probe=1"))
                      .header("Authorization", "Bearer " + key)
                      .header("User-Agent", "request-log-probe")
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.discarding())
              .statusCode();
      // Jetty logs a request once its response has completed, which may be after the client has
      // read it, and the line is then written by the asynchronous appender's thread: wait for it
      // before stopping, or the stop can detach the appender before the line reaches it
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      while (requestLogLines(printed).isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
    } finally {
      jetty.stop(); // stops the request log's writer, which flushes its asynchronous appender
      System.setOut(stdout);
    }
    assertThat(status).isEqualTo(204);
    List<String> lines = requestLogLines(printed);
    assertThat(lines).hasSize(1);
    // the path without the query string: nothing a client puts there reaches the log
    assertThat(lines.get(0))
        .matches("127\\.0\\.0\\.1 - - \\[[^\\]]+\\] \"GET /mcp HTTP/1\\.1\" 204 0 \"[^\"]*\" \"request-log-probe\" \\d+")
        .doesNotContain(key)
        .doesNotContain("probe=1");
  }

  /**
   * The request log's lines among what was printed (the test JVM's own logging prints Jetty's debug
   * lines to the same stream: only the request log's lines start so).
   */
  private static List<String> requestLogLines(java.io.ByteArrayOutputStream printed) {
    return printed.toString(java.nio.charset.StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("127.0.0.1 - ")).toList();
  }

  /** A value the compose file leaves to the user: an admin key must look like one. */
  private static String valueFor(String variable) {
    if (variable.equals("GATEHOUSE_MASTER_KEY")) {
      return MASTER_KEY;
    }
    return variable.contains("ADMIN_KEY") ? "gka_test-key" : "test-key";
  }

  private static GatehouseConfiguration load(Map<String, String> env) throws Exception {
    EnvironmentVariableSubstitutor substitutor = new EnvironmentVariableSubstitutor(false);
    substitutor.setVariableResolver(key -> env.get(key));
    // Read as the jar reads it: a key given twice is refused.
    return new dev.gatehouse.frontend.app.config.StrictConfigurationFactoryFactory<GatehouseConfiguration>()
        .create(GatehouseConfiguration.class, Validators.newValidator(), Jackson.newObjectMapper(), "dw")
        .build(
            new SubstitutingSourceProvider(new FileConfigurationSourceProvider(), substitutor),
            ROOT.resolve("config/gatehouse.yml").toString());
  }

  private static Set<String> variablesIn(String text) {
    Set<String> names = new TreeSet<>();
    Matcher m = VARIABLE.matcher(text);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

}
