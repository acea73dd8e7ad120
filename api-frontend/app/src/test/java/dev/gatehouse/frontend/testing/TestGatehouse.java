package dev.gatehouse.frontend.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.frontend.app.GatehouseApplication;
import dev.gatehouse.frontend.app.GatehouseConfiguration;
import dev.gatehouse.frontend.app.config.AuthConfig;
import dev.gatehouse.registry.testing.TestDatabase;
import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import io.dropwizard.testing.DropwizardTestSupport;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * The whole application for a test: a fresh database on the real PostgreSQL, the Temporal test
 * server in process on a free loopback port, the worker, and a real tool upstream on loopback.
 */
public final class TestGatehouse implements AutoCloseable {
  public static final String KEY_A = "gk_test_agent_a_0123456789abcdef";
  public static final String KEY_B = "gk_test_agent_b_0123456789abcdef";
  public static final String ADMIN_KEY = "gka_test_platform_admin_0123456789";
  public static final String MASTER_KEY = dev.gatehouse.registry.secrets.SecretBox.newMasterKey();
  public static final ObjectMapper JSON = new ObjectMapper();
  /** System property: when true, the servers these tests start serve requests on virtual threads. */
  public static final String VIRTUAL_THREADS = "gatehouse.test.virtualThreads";

  public final TestDatabase db;
  public final ToolServer tools;
  public final GatehouseConfiguration config;
  private final DropwizardTestSupport<GatehouseConfiguration> app;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private final boolean ownsDatabase;

  private TestGatehouse(TestDatabase db, ToolServer tools, GatehouseConfiguration config) {
    this(db, tools, config, true);
  }

  private TestGatehouse(TestDatabase db, ToolServer tools, GatehouseConfiguration config, boolean ownsDatabase) {
    this.ownsDatabase = ownsDatabase;
    this.db = db;
    this.tools = tools;
    this.config = config;
    this.app = new DropwizardTestSupport<>(GatehouseApplication.class, config);
  }

  public static TestGatehouse start() throws Exception {
    return start(c -> {});
  }

  public static TestGatehouse start(Consumer<GatehouseConfiguration> customize) throws Exception {
    return start(customize, env -> {});
  }

  /**
   * As {@link #start(Consumer)}, and {@code environment} sees the Dropwizard environment before the
   * application runs (to put a test's own filter in front of what it serves).
   */
  public static TestGatehouse start(Consumer<GatehouseConfiguration> customize, Consumer<io.dropwizard.core.setup.Environment> environment)
      throws Exception {
    TestDatabase db = TestDatabase.create();
    ToolServer tools = new ToolServer();
    Path registry = Files.createTempFile("gatehouse-registry", ".yml");
    registry.toFile().deleteOnExit();
    Files.writeString(registry, tools.registryYaml());
    GatehouseConfiguration config = configuration(db, registry.toString());
    customize.accept(config);
    TestGatehouse g = new TestGatehouse(db, tools, config);
    g.app.addListener(
        new DropwizardTestSupport.ServiceListener<>() {
          @Override
          public void onRun(GatehouseConfiguration c, io.dropwizard.core.setup.Environment env, DropwizardTestSupport<GatehouseConfiguration> rule) {
            environment.accept(env);
          }
        });
    g.app.before();
    return g;
  }

  /**
   * A second replica on this one's database (with its own embedded engine): what replicas share
   * through PostgreSQL, and what they do not, can be tested. Closing it leaves the database.
   */
  public TestGatehouse replica(Consumer<GatehouseConfiguration> customize) throws Exception {
    ToolServer replicaTools = new ToolServer();
    GatehouseConfiguration c = configuration(db, null);
    customize.accept(c);
    TestGatehouse g = new TestGatehouse(db, replicaTools, c, false);
    g.app.before();
    return g;
  }

  public static GatehouseConfiguration configuration(TestDatabase db, String registryFile) {
    GatehouseConfiguration c = new GatehouseConfiguration();
    DefaultServerFactory server = new DefaultServerFactory();
    server.setApplicationConnectors(List.of(loopback()));
    server.setAdminConnectors(List.of(loopback()));
    // Platform threads whichever Java runs the suite, unless asked: .ci/run runs the direct paths'
    // tests once more on a newer Java with this set.
    c.setRequestThreads(
        Boolean.getBoolean(VIRTUAL_THREADS)
            ? GatehouseConfiguration.RequestThreads.VIRTUAL
            : GatehouseConfiguration.RequestThreads.PLATFORM);
    c.setServerFactory(server);
    c.getDatabase().setDriverClass("org.postgresql.Driver");
    c.getDatabase().setUrl(db.url());
    c.getDatabase().setUser(TestDatabase.USER);
    c.getDatabase().setPassword(TestDatabase.PASSWORD);
    c.getTemporal().setEmbedded(true);
    c.getTemporal().setTarget("127.0.0.1:0");
    c.setRegistryFile(registryFile);
    c.getAuth().getAgentKeys().add(new AuthConfig.AgentKey("alpha", "agent-a", KEY_A));
    c.getAuth().getAgentKeys().add(new AuthConfig.AgentKey("beta", "agent-b", KEY_B));
    c.getAuth().getAdminKeys().add(new AuthConfig.AdminKey("platform", ADMIN_KEY));
    c.getSecrets().getMasterKeys().put("test", MASTER_KEY);
    return c;
  }

  private static HttpConnectorFactory loopback() {
    HttpConnectorFactory f = new HttpConnectorFactory();
    f.setBindHost("127.0.0.1");
    f.setPort(0);
    return f;
  }

  /**
   * Stops the application and starts it again on the same database, tool upstream and (after
   * {@code change}) configuration, as a restarted process would. With the embedded engine the
   * workflows are lost with it; point {@code temporal.target} at an engine of the test's own to
   * keep them.
   */
  public void restart(Consumer<GatehouseConfiguration> change) throws Exception {
    app.after();
    change.accept(config);
    app.before();
  }

  public GatehouseApplication application() {
    return app.getApplication();
  }

  /** The running Jetty server. */
  public org.eclipse.jetty.server.Server server() {
    return app.getEnvironment().getApplicationContext().getServer();
  }

  public String api() {
    return "http://127.0.0.1:" + app.getLocalPort();
  }

  public String admin() {
    return "http://127.0.0.1:" + app.getAdminPort();
  }

  public HttpResponse<String> get(String path, String key) {
    return send(HttpRequest.newBuilder(URI.create(api() + path)).GET(), key);
  }

  /** The id of the agent named {@code name}, as the admin API lists it. */
  public String agentId(String name) {
    for (JsonNode a : json(get("/admin/v1/agents?limit=200", ADMIN_KEY)).path("items")) {
      if (a.path("name").asText().equals(name)) {
        return a.path("id").asText();
      }
    }
    throw new AssertionError("no agent " + name);
  }

  /** Lets agent-a use every model but those {@code denied} matches (and every tool and workflow). */
  public void letAgentAUseModelsBut(String denied) {
    HttpResponse<String> r = put("/admin/v1/agents/" + agentId("agent-a"), ADMIN_KEY,
        "{\"name\":\"agent-a\",\"tools\":{\"allow\":[\"*\"]},\"workflows\":{\"allow\":[\"*\"]},"
            + "\"models\":{\"allow\":[\"*\"],\"deny\":[\"" + denied + "\"]}}");
    if (r.statusCode() != 200) {
      throw new AssertionError("agent-a not updated: " + r.statusCode() + " " + r.body());
    }
  }

  /** Deletes every policy (tests that add their own, between tests). */
  public void deletePolicies() {
    for (JsonNode p : json(get("/admin/v1/policies?limit=200", ADMIN_KEY)).get("items")) {
      delete("/admin/v1/policies/" + p.get("name").asText(), ADMIN_KEY);
    }
  }

  public HttpResponse<String> post(String path, String key, String body, String... headers) {
    return sendBody("POST", path, key, body, headers);
  }

  public HttpResponse<String> put(String path, String key, String body, String... headers) {
    return sendBody("PUT", path, key, body, headers);
  }

  /** {@code headers}: names and values, in turn (If-Match, say). */
  public HttpResponse<String> delete(String path, String key, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(api() + path)).DELETE();
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b, key);
  }

  public HttpResponse<String> sendBody(String method, String path, String key, String body, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(api() + path))
            .method(method, HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json");
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b, key);
  }

  public HttpResponse<String> send(HttpRequest.Builder b, String key) {
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    try {
      return http.send(b.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Registers, as the platform admin, an {@code openai} provider at {@code openaiBase} (a fake's)
   * and a model alias {@code model} on it whose calls get one attempt each.
   */
  public void fakeModel(String model, String openaiBase) {
    for (HttpResponse<String> r :
        List.of(
            post("/admin/v1/providers", ADMIN_KEY,
                "{\"name\":\"" + model + "-provider\",\"type\":\"openai\",\"baseUrl\":\"" + openaiBase + "\",\"timeout\":\"5s\"}"),
            post("/admin/v1/models", ADMIN_KEY,
                "{\"name\":\"" + model + "\",\"targets\":[{\"provider\":\"" + model + "-provider\",\"model\":\"fake-model\"}],"
                    + "\"retry\":{\"maxAttempts\":1}}"))) {
      if (r.statusCode() != 201) {
        throw new AssertionError("registering model " + model + " answered " + r.statusCode() + ": " + r.body());
      }
    }
  }

  public HttpResponse<String> adminGet(String path) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(admin() + path)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static JsonNode json(HttpResponse<String> r) {
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new AssertionError("not JSON (" + r.statusCode() + "): " + r.body(), e);
    }
  }

  /** Submits a task as agent A and returns its id (asserting 202). */
  public String submit(String body) {
    return submit(KEY_A, body);
  }

  public String submit(String key, String body) {
    HttpResponse<String> r = post("/v1/tasks", key, body);
    if (r.statusCode() != 202) {
      throw new AssertionError("submit answered " + r.statusCode() + ": " + r.body());
    }
    return json(r).get("id").asText();
  }

  /** Long-polls the task as agent A until it closes (or 30 s pass). */
  public JsonNode await(String id) {
    return await(KEY_A, id);
  }

  public JsonNode await(String key, String id) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    JsonNode task;
    do {
      task = json(get("/v1/tasks/" + id + "?wait=10s", key));
    } while (task.path("status").asText().equals("RUNNING") && System.nanoTime() < deadline);
    return task;
  }

  @Override
  public void close() {
    try {
      app.after();
    } finally {
      tools.close();
      if (ownsDatabase) {
        db.close();
      }
    }
  }
}
