package dev.gatehouse.frontend.app;

import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.activities.credentials.UpstreamCredentials;
import dev.gatehouse.activities.http.HttpToolConnector;
import dev.gatehouse.activities.mcp.McpConnector;
import dev.gatehouse.activities.mcp.McpJson;
import dev.gatehouse.activities.mcp.McpToolCalls;
import dev.gatehouse.activities.mcp.McpToolResolver;
import dev.gatehouse.activities.mcp.McpUpstreams;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.activities.model.ModelActivitiesImpl;
import dev.gatehouse.activities.model.ModelInvoker;
import dev.gatehouse.activities.policy.ApplyRateLimits;
import dev.gatehouse.activities.policy.BudgetLedger;
import dev.gatehouse.activities.policy.PolicyCatalog;
import dev.gatehouse.activities.task.ApprovalAuditImpl;
import dev.gatehouse.activities.task.TaskIndexActivitiesImpl;
import dev.gatehouse.activities.task.TaskResults;
import dev.gatehouse.activities.task.TenantSlots;
import dev.gatehouse.activities.tool.Heartbeats;
import dev.gatehouse.activities.tool.ToolActivitiesImpl;
import dev.gatehouse.activities.tool.ToolCatalog;
import dev.gatehouse.activities.tool.ToolInvoker;
import dev.gatehouse.activities.usage.UsageLog;
import dev.gatehouse.frontend.app.GatehouseConfiguration.Role;
import dev.gatehouse.frontend.app.admin.AdminContext;
import dev.gatehouse.frontend.app.admin.AdminTasksResource;
import dev.gatehouse.frontend.app.admin.AgentsResource;
import dev.gatehouse.frontend.app.admin.ApprovalsResource;
import dev.gatehouse.frontend.app.admin.AuditResource;
import dev.gatehouse.frontend.app.admin.BudgetsResource;
import dev.gatehouse.frontend.app.admin.IdentityProvidersResource;
import dev.gatehouse.frontend.app.admin.KeysResource;
import dev.gatehouse.frontend.app.admin.McpServersResource;
import dev.gatehouse.frontend.app.admin.ModelsResource;
import dev.gatehouse.frontend.app.admin.PoliciesResource;
import dev.gatehouse.frontend.app.admin.ProvidersResource;
import dev.gatehouse.frontend.app.admin.RegistryResource;
import dev.gatehouse.frontend.app.admin.SecretsResource;
import dev.gatehouse.frontend.app.admin.TenantsResource;
import dev.gatehouse.frontend.app.admin.ToolsResource;
import dev.gatehouse.frontend.app.admin.UsageResource;
import dev.gatehouse.frontend.app.admin.VirtualServersResource;
import dev.gatehouse.frontend.app.cli.CommandExit;
import dev.gatehouse.frontend.app.cli.DbCommand;
import dev.gatehouse.frontend.app.cli.DevCommand;
import dev.gatehouse.frontend.app.cli.GatehouseServerCommand;
import dev.gatehouse.frontend.app.cli.McpProbeCommand;
import dev.gatehouse.frontend.app.cli.RegistryCommand;
import dev.gatehouse.frontend.app.cli.ReplayCommand;
import dev.gatehouse.frontend.app.cli.SecretsCommand;
import dev.gatehouse.frontend.app.cli.WorkerCommand;
import dev.gatehouse.frontend.app.dev.DemoModelResource;
import dev.gatehouse.frontend.app.dev.DemoToolsResource;
import dev.gatehouse.frontend.app.health.McpServersHealthCheck;
import dev.gatehouse.frontend.app.health.TemporalHealthCheck;
import dev.gatehouse.frontend.app.identity.KeyBootstrap;
import dev.gatehouse.frontend.app.temporal.EmbeddedTemporal;
import dev.gatehouse.frontend.app.temporal.GatehouseWorker;
import dev.gatehouse.frontend.app.temporal.GatehouseWorkflows;
import dev.gatehouse.frontend.app.temporal.TemporalClients;
import dev.gatehouse.frontend.core.admission.Admission;
import dev.gatehouse.frontend.core.auth.AuthFilter;
import dev.gatehouse.frontend.core.auth.Authenticator;
import dev.gatehouse.frontend.core.auth.BearerAuth;
import dev.gatehouse.frontend.core.durable.DurableCalls;
import dev.gatehouse.frontend.core.durable.TaskSweeper;
import dev.gatehouse.frontend.core.errors.ApiExceptionMapper;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.frontend.core.errors.JsonErrorHandler;
import dev.gatehouse.frontend.core.face.FaceContext;
import dev.gatehouse.frontend.core.http.ContentEncodingFilter;
import dev.gatehouse.frontend.core.http.DrainRequestBodyFilter;
import dev.gatehouse.frontend.core.http.HttpMetricsFilter;
import dev.gatehouse.frontend.core.http.JsonBodies;
import dev.gatehouse.frontend.core.http.QueryParameters;
import dev.gatehouse.frontend.core.http.RequestIdFilter;
import dev.gatehouse.frontend.core.http.SlowBodyFilter;
import dev.gatehouse.frontend.core.http.SlowReaders;
import dev.gatehouse.frontend.core.http.TextParametersFilter;
import dev.gatehouse.frontend.core.workflows.AgentTaskWorkflow;
import dev.gatehouse.frontend.core.workflows.CodeTaskWorkflow;
import dev.gatehouse.frontend.core.workflows.PipelineTaskWorkflow;
import dev.gatehouse.frontend.core.workflows.WorkflowCatalog;
import dev.gatehouse.frontend.mcp.McpConfig;
import dev.gatehouse.frontend.mcp.McpFace;
import dev.gatehouse.frontend.models.ModelsFace;
import dev.gatehouse.frontend.tasks.TasksFace;
import dev.gatehouse.policies.data.PolicyCompiler;
import dev.gatehouse.policies.limits.FailureThrottle;
import dev.gatehouse.policies.tools.ToolArgumentsPolicy;
import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.budgets.BudgetDao;
import dev.gatehouse.registry.db.RegistryDatabase;
import dev.gatehouse.registry.secrets.Secrets;
import dev.gatehouse.registry.tasks.TaskIndexDao;
import dev.gatehouse.registry.yaml.RegistryApplier;
import dev.gatehouse.registry.yaml.RegistryChecker;
import dev.gatehouse.registry.yaml.RegistryParser;
import dev.gatehouse.workflows.agent.AgentWorkflow;
import dev.gatehouse.workflows.pipeline.PipelineWorkflow;
import dev.gatehouse.workflows.spi.GatehouseWorkflow;
import io.dropwizard.core.Application;
import io.dropwizard.core.cli.CheckCommand;
import io.dropwizard.core.server.AbstractServerFactory;
import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.db.ManagedDataSource;
import io.dropwizard.jdbi3.JdbiFactory;
import io.dropwizard.lifecycle.Managed;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.hotspot.GarbageCollectorExports;
import io.prometheus.client.hotspot.MemoryPoolsExports;
import io.prometheus.client.hotspot.StandardExports;
import io.prometheus.client.hotspot.ThreadExports;
import io.prometheus.client.servlet.jakarta.exporter.MetricsServlet;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Gatehouse: all wiring happens here, and only here. */
public class GatehouseApplication extends Application<GatehouseConfiguration> {
  private static final Logger LOG = LoggerFactory.getLogger(GatehouseApplication.class);

  private TemporalClients temporal;
  private EmbeddedTemporal embedded;
  private AuditLog audit;
  private UsageLog usage;
  private Jdbi jdbi;

  public static void main(String[] args) throws Exception {
    commonPoolOfAtLeastTwo();
    new GatehouseApplication().run(args);
  }

  /**
   * On a machine (or container) with 2 CPUs the JDK sizes the common ForkJoinPool to 1, and
   * CompletableFuture then runs every async step on a new thread. java.net.http's sendAsync ends
   * each exchange with such a step, so every upstream MCP call started a thread: measured on 2
   * cores, a third of the gateway's CPU and +0.2 ms per direct call. A pool of 2 avoids it. Set
   * before anything touches the pool; an explicit {@code -Djava.util.concurrent.ForkJoinPool.
   * common.parallelism} wins.
   */
  static void commonPoolOfAtLeastTwo() {
    String key = "java.util.concurrent.ForkJoinPool.common.parallelism";
    if (System.getProperty(key) == null && Runtime.getRuntime().availableProcessors() - 1 < 2) {
      System.setProperty(key, "2");
    }
  }

  @Override
  public String getName() {
    return "gatehouse";
  }

  @Override
  public void initialize(Bootstrap<GatehouseConfiguration> bootstrap) {
    bootstrap.setMetricRegistry(new LockFreeMetricRegistry());
    // Duplicate keys refused; an error names the file and the place, never the values read there.
    bootstrap.setConfigurationFactoryFactory(new dev.gatehouse.frontend.app.config.StrictConfigurationFactoryFactory<>());
    bootstrap.setConfigurationSourceProvider(
        new dev.gatehouse.frontend.app.config.EnvironmentSubstitution(bootstrap.getConfigurationSourceProvider()));
    // Times as ISO-8601 text in every answer, not epoch numbers.
    bootstrap.getObjectMapper().disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    bootstrap.addCommand(new DevCommand(this));
    bootstrap.addCommand(new WorkerCommand(this));
    bootstrap.addCommand(new DbCommand());
    bootstrap.addCommand(new SecretsCommand());
    bootstrap.addCommand(new RegistryCommand());
    bootstrap.addCommand(new McpProbeCommand());
    bootstrap.addCommand(new ReplayCommand());
  }

  /** Dropwizard's {@code server} and {@code check}; {@code server} says what is wrong with a configuration file without a stack trace. */
  @Override
  protected void addDefaultCommands(Bootstrap<GatehouseConfiguration> bootstrap) {
    bootstrap.addCommand(new GatehouseServerCommand(this));
    bootstrap.addCommand(new CheckCommand<>(this));
  }

  /** A command that failed ends the process with its exit status (1 unless it says otherwise). */
  @Override
  protected void onFatalError(Throwable t) {
    System.exit(CommandExit.statusOf(t));
  }

  @Override
  public void run(GatehouseConfiguration config, Environment env) {
    dev.gatehouse.frontend.app.temporal.TemporalRaceLogs.install();
    dev.gatehouse.frontend.app.logging.UpstreamNoiseLogs.install();
    // An error Reactor could hand no one (its subscriber had gone: an upstream's stream that failed
    // after its call ended) is Reactor's ERROR with a stack trace by default, which an upstream
    // causes at will; it is a debug line here.
    reactor.core.publisher.Hooks.onErrorDropped(e -> LOG.debug("an error after its subscriber had gone: {}", e.toString()));
    Role role = config.role();
    AbstractServerFactory server = (AbstractServerFactory) config.getServerFactory();
    server.setRegisterDefaultExceptionMappers(false);
    uncompressedResponses(server);
    try {
      RequestThreadsSetup.apply(server, config.getRequestThreads(), Runtime.version().feature());
    } catch (IllegalStateException e) {
      throw new dev.gatehouse.frontend.app.cli.CommandExit(1, e.getMessage()); // a setting this Java cannot honour, said
    }
    if (role == Role.WORKER && server instanceof DefaultServerFactory d) {
      d.setApplicationConnectors(List.of());
    }
    // Teams' workflows are checked before anything starts: a wrong one stops the start here.
    GatehouseWorkflows workflowTypes = GatehouseWorkflows.discover(config.getWorkflows().paths());
    // The embedded engine starts (about a second) while the schema is checked and the registry
    // applied; joined below, before anything needs it.
    java.util.concurrent.CompletableFuture<EmbeddedTemporal> engine = startEmbeddedEngine(config);
    GatehouseMetrics metrics = metrics(env);
    Jdbi jdbi;
    try {
      jdbi = database(config, env);
      this.jdbi = jdbi;
      StartTimes.mark("schema");
      if (role != Role.WORKER) {
        KeyBootstrap.apply(jdbi, config.getAuth());
        applyRegistryFile(jdbi, config.getRegistryFile());
        StartTimes.mark("registry");
      }
    } catch (RuntimeException e) {
      if (engine != null) {
        engine.thenAccept(EmbeddedTemporal::close);
      }
      throw e;
    }
    audit =
        new AuditLog(
            jdbi,
            config.getAudit().getQueueSize(),
            config.getAudit().getFlushInterval().toJavaDuration(),
            config.getAudit().getLinger().toJavaDuration());
    env.lifecycle().manage(closing(audit));
    temporal = temporal(config, env, engine);
    embedded = engine == null ? null : engine.join();
    StartTimes.mark("temporal-wait");
    dev.gatehouse.registry.secrets.SecretBox box = config.getSecrets().box().orElse(null);
    Secrets secrets = box == null ? null : new Secrets(jdbi, box);
    env.healthChecks().register("secrets", new dev.gatehouse.frontend.app.health.SecretsHealthCheck(jdbi, box));
    Tools tools = tools(config, env, jdbi, metrics, secrets);
    if (role == Role.WORKER || config.getWorker().isEnabled()) {
      TaskResults results = new TaskResults(jdbi);
      Heartbeats heartbeats = heartbeats(env);
      TenantSlots slots =
          new TenantSlots(config.getWorker().activitiesPerTenant(), () -> metrics.admissionRefused("tenantWorkerSlots"));
      env.lifecycle()
          .manage(
              new GatehouseWorker(
                  temporal.client(),
                  workflowTypes,
                  config.getTemporal().getTaskQueue(),
                  config.getWorker(),
                  new ToolActivitiesImpl(tools.invoker(), heartbeats, results, slots),
                  new ModelActivitiesImpl(tools.models(), results::resolve, slots, heartbeats),
                  new TaskIndexActivitiesImpl(jdbi, metrics),
                  new ApprovalAuditImpl(audit)));
    }
    // The MCP face's refusals are JSON-RPC errors, Jetty's own among them.
    JsonErrorHandler errors =
        new JsonErrorHandler(server.getAllowedMethods(), path -> path.equals("/mcp") || path.startsWith("/mcp/"));
    env.getApplicationContext().setErrorHandler(errors);
    env.getAdminContext().setErrorHandler(errors);
    slowReadersCutOff(env, config.getLimits().getMinResponseRate(), metrics);
    ConnectionLimits.install(
        env.lifecycle(),
        config.getLimits().getMaxConnections(),
        config.getLimits().getIdleTimeoutAtConnectionLimit().toMilliseconds(),
        config.getLimits().getMaxConnectionsPerAddress(),
        () -> metrics.admissionRefused("connectionsPerAddress"));
    env.lifecycle().addServerLifecycleListener(jetty -> jetty.setErrorHandler(errors));
    if (role != Role.WORKER) {
      frontEnd(config, env, jdbi, metrics, secrets, tools, workflowTypes);
    }
    StartTimes.mark("wiring");
  }

  /**
   * Request bodies sent as gzip are inflated, but answers are not compressed unless the operator
   * names paths to compress ({@code server.gzip.includedPaths}): Gatehouse's answers are mostly
   * small JSON to clients nearby, and the usual MCP and OpenAI SDK clients ask for gzip, so every
   * answer would be deflated on the request path; without compression the gzip handler also stays
   * out of the way of requests that are not gzip.
   */
  static void uncompressedResponses(AbstractServerFactory server) {
    var gzip = server.getGzipFilterFactory();
    if (gzip.getIncludedPaths() == null || gzip.getIncludedPaths().isEmpty()) {
      gzip.setExcludedPaths(java.util.Set.of("/*"));
    }
  }

  /**
   * {@code limits.minRequestBodyRate} on every request of the application port, ahead of every
   * other filter (so a refusal's drain is cut off too); 0 leaves bodies to the idle timeout alone.
   */
  static void slowBodiesCutOff(Environment env, io.dropwizard.util.DataSize rate) {
    if (rate.toBytes() <= 0) {
      return;
    }
    var filter = env.servlets().addFilter("slow-bodies", new SlowBodyFilter(rate.toBytes()));
    filter.addMappingForUrlPatterns(java.util.EnumSet.of(jakarta.servlet.DispatcherType.REQUEST), false, "/*");
    filter.setAsyncSupported(true);
  }

  /**
   * {@code limits.minResponseRate} on every write of both ports: the server's whole handler chain
   * is wrapped as the server starts (Dropwizard builds the chain after {@code run}); 0 leaves
   * answers to the idle timeout alone.
   */
  static void slowReadersCutOff(Environment env, io.dropwizard.util.DataSize rate, GatehouseMetrics metrics) {
    if (rate.toBytes() <= 0) {
      return;
    }
    env.lifecycle()
        .addEventListener(
            new org.eclipse.jetty.util.component.LifeCycle.Listener() {
              @Override
              public void lifeCycleStarting(org.eclipse.jetty.util.component.LifeCycle event) {
                if (event instanceof org.eclipse.jetty.server.Server server) {
                  server.setHandler(new SlowReaders(server.getHandler(), rate.toBytes(), metrics::slowReaderCutOff));
                }
              }
            });
  }

  private static Heartbeats heartbeats(Environment env) {
    Heartbeats heartbeats = new Heartbeats(GatehouseWorker.HEARTBEAT_EVERY);
    env.lifecycle().manage(closing(heartbeats));
    return heartbeats;
  }

  /** What runs the governed tool calls, on the worker and on the direct path alike. */
  private record Tools(
      ToolCatalog catalog,
      McpConnector mcpConnector,
      McpUpstreams mcpUpstreams,
      McpToolResolver mcpCatalog,
      ToolInvoker invoker,
      ModelInvoker models,
      PolicyCatalog policies) {}

  private static GatehouseMetrics metrics(Environment env) {
    CollectorRegistry prometheus = new CollectorRegistry(true);
    new StandardExports().register(prometheus);
    new MemoryPoolsExports().register(prometheus);
    new GarbageCollectorExports().register(prometheus);
    new ThreadExports().register(prometheus);
    env.admin().addServlet("prometheus", new MetricsServlet(prometheus)).addMapping("/prometheus");
    return new GatehouseMetrics(prometheus);
  }

  private static Jdbi database(GatehouseConfiguration config, Environment env) {
    ManagedDataSource dataSource = config.getDatabase().build(env.metrics(), "postgres");
    // The first connection: a database that cannot be used stops the start with one line saying
    // why (the pool would log its failure with a stack trace, the driver's words, which may quote
    // the URL's password, among them).
    var pool = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.apache.tomcat.jdbc.pool");
    ch.qos.logback.classic.Level poolLevel = pool.getLevel();
    pool.setLevel(ch.qos.logback.classic.Level.OFF);
    try (java.sql.Connection first = dataSource.getConnection()) {
      first.isValid(5);
    } catch (java.sql.SQLException | RuntimeException e) {
      throw new dev.gatehouse.frontend.app.cli.CommandExit(
          1,
          "cannot use the database at " + dev.gatehouse.frontend.app.cli.DatabaseUrls.redact(config.getDatabase().getUrl())
              + " (database.url, user, password): " + dev.gatehouse.frontend.app.cli.McpProbeCommand.describe(e));
    } finally {
      pool.setLevel(poolLevel);
    }
    if (config.isMigrateOnStart()) {
      RegistryDatabase.migrate(dataSource);
    } else {
      RegistryDatabase.Check schema = RegistryDatabase.check(dataSource);
      if (schema.refusal() != null) {
        throw new dev.gatehouse.frontend.app.cli.CommandExit(
            1, schema.refusal() + ": run `gatehouse db migrate` with this configuration first, or set migrateOnStart: true");
      }
      if (schema.warning() != null) {
        LOG.warn("{}", schema.warning()); // Flyway says so only when it migrates
      }
    }
    Jdbi jdbi = RegistryDatabase.configure(new JdbiFactory().build(env, config.getDatabase(), dataSource, "postgres"));
    jdbi.setTemplateEngine(SqlNames.defaultEngine());
    if (config.role() == Role.DEV) {
      // The dev engine keeps workflows in memory: whatever was running before this start is gone.
      // The calls they left waiting for approval are audited as cancelled first, as their workflows would have.
      java.time.OffsetDateTime before = java.time.OffsetDateTime.now();
      int[] counts =
          jdbi.inTransaction(
              h -> {
                TaskIndexDao tasks = h.attach(TaskIndexDao.class);
                int approvals = tasks.auditApprovalsLeftBefore(before);
                int closed =
                    tasks.closeRunningBefore(
                        before,
                        ErrorCode.ENGINE_RESET.code(),
                        "dev mode keeps workflows in memory and Gatehouse was restarted while this task ran",
                        ErrorCode.CANCELED.code(),
                        "the task was canceled");
                return new int[] {closed, approvals};
              });
      if (counts[0] > 0) {
        LOG.info(
            "closed {} task(s) left running by the previous dev run: FAILED (engine_reset), or CANCELED where a cancel was"
                + " accepted; {} call(s) they left waiting for approval audited as cancelled",
            counts[0], counts[1]);
      }
    }
    return jdbi;
  }

  /** Starts the embedded engine on its own thread when the configuration asks for one; else null. */
  private static java.util.concurrent.CompletableFuture<EmbeddedTemporal> startEmbeddedEngine(GatehouseConfiguration config) {
    if (!config.getTemporal().isEmbedded()) {
      return null;
    }
    String target = config.getTemporal().getTarget();
    EmbeddedTemporal.Retention retention =
        new EmbeddedTemporal.Retention(
            config.getTemporal().getEmbeddedClosedWorkflows(),
            config.getTemporal().getEmbeddedClosedRetention().toJavaDuration(),
            EmbeddedTemporal.Retention.DEFAULT.sweepEvery(),
            config.getTemporal().getEmbeddedHeldForArchive());
    java.util.concurrent.CompletableFuture<EmbeddedTemporal> engine = new java.util.concurrent.CompletableFuture<>();
    Thread starter =
        new Thread(
            () -> {
              try {
                engine.complete(EmbeddedTemporal.start(host(target), port(target), retention));
              } catch (Throwable e) {
                engine.completeExceptionally(e);
              }
            },
            "embedded-temporal-start");
    starter.setDaemon(true);
    starter.start();
    return engine;
  }

  private static TemporalClients temporal(
      GatehouseConfiguration config, Environment env, java.util.concurrent.CompletableFuture<EmbeddedTemporal> starting) {
    String target = config.getTemporal().getTarget();
    TemporalClients clients;
    if (starting != null) {
      EmbeddedTemporal engine;
      try {
        engine = starting.join();
      } catch (java.util.concurrent.CompletionException e) {
        throw e.getCause() instanceof RuntimeException re ? re : e;
      }
      target = host(target) + ":" + engine.port();
      // Registered before the clients, so stopped after them (Dropwizard stops in reverse order).
      env.lifecycle().manage(closing(engine));
      LOG.info("embedded Temporal engine listening on {} (this process's own client uses an in-process channel)", target);
      clients = TemporalClients.inProcess(engine.channel(), config.getTemporal());
    } else {
      clients = TemporalClients.connect(target, config.getTemporal());
    }
    env.lifecycle().manage(clients);
    env.healthChecks().register("temporal", new TemporalHealthCheck(clients.stubs(), config.getTemporal().getNamespace()));
    return clients;
  }

  private Tools tools(GatehouseConfiguration config, Environment env, Jdbi jdbi, GatehouseMetrics metrics, Secrets secrets) {
    ToolCatalog catalog = new ToolCatalog(jdbi, config.getCaches().getTools().toJavaDuration());
    UpstreamCredentials credentials = new UpstreamCredentials(secrets, java.time.Clock.systemUTC());
    McpConfig mcp = config.getMcp();
    McpConnector connector = new McpConnector(credentials);
    McpUpstreams upstreams =
        new McpUpstreams(
            jdbi, connector, metrics, mcp.getRefreshInterval().toJavaDuration(), mcp.getHealthInterval().toJavaDuration());
    env.lifecycle().manage(closing(upstreams));
    env.healthChecks().register("mcp-servers", new McpServersHealthCheck(jdbi));
    McpToolResolver mcpCatalog = new McpToolResolver(jdbi, config.getCaches().getMcpCatalog().toJavaDuration());
    upstreams.onCatalogChanged(changed -> mcpCatalog.invalidate());
    PolicyCatalog policies = new PolicyCatalog(jdbi, config.getCaches().getPolicies().toJavaDuration());
    // Budget policies' reservations: one ledger per process, which releases expired ones (of any replica).
    BudgetLedger budgets = new BudgetLedger(jdbi, config.getBudgets().getReservationTtl().toJavaDuration(), metrics);
    budgets.start(config.getBudgets().getSweepInterval().toJavaDuration());
    env.lifecycle().manage(closing(budgets));
    metrics.budgetGauges(jdbi.onDemand(BudgetDao.class)::totals);
    // Rate-limit buckets no call took from lately are forgotten (any replica's; idle buckets are full).
    env.lifecycle().scheduledExecutorService("rate-bucket-sweeper").build()
        .scheduleWithFixedDelay(
            ApplyRateLimits.idleSweep(jdbi), ApplyRateLimits.IDLE.toSeconds(), ApplyRateLimits.IDLE.toSeconds(), TimeUnit.SECONDS);
    ToolInvoker invoker =
        new ToolInvoker(
            jdbi,
            catalog,
            new ToolArgumentsPolicy((int) config.getLimits().getMaxRequestBody().toBytes()),
            new HttpToolConnector((int) config.getLimits().getMaxToolResponse().toBytes()),
            credentials,
            metrics,
            audit,
            mcpCatalog,
            new McpToolCalls(upstreams, connector, (int) config.getLimits().getMaxToolResponse().toBytes()),
            policies,
            budgets);
    // Usage rows are written like audit rows: the audit section's queue and timing apply to both.
    usage =
        new UsageLog(
            jdbi,
            config.getAudit().getQueueSize(),
            config.getAudit().getFlushInterval().toJavaDuration(),
            config.getAudit().getLinger().toJavaDuration());
    env.lifecycle().manage(closing(usage));
    ModelInvoker models =
        new ModelInvoker(jdbi, credentials, metrics, audit, usage, config.getModels().settings(), policies, budgets);
    env.lifecycle().manage(closing(models));
    return new Tools(catalog, connector, upstreams, mcpCatalog, invoker, models, policies);
  }

  /** The API port: request filters, authentication, the admin API, and each face. */
  private void frontEnd(
      GatehouseConfiguration config,
      Environment env,
      Jdbi jdbi,
      GatehouseMetrics metrics,
      Secrets secrets,
      Tools tools,
      GatehouseWorkflows workflowTypes) {
    JsonBodies bodies = new JsonBodies(env.getObjectMapper(), (int) config.getLimits().getMaxRequestBody().toBytes());
    Admission admission = new Admission(jdbi, config.getAdmission().limits(), metrics);
    DurableCalls durable =
        new DurableCalls(jdbi, temporal.client(), config.getTemporal().getTaskQueue(), metrics, audit, admission);
    // Every type the workflows found; the built-in ones check their own input, teams' ones the SPI's.
    WorkflowCatalog workflows = new WorkflowCatalog();
    for (GatehouseWorkflow type : workflowTypes.tasks()) {
      workflows.register(
          switch (type.name()) {
            case PipelineWorkflow.TYPE -> new PipelineTaskWorkflow(tools.catalog(), jdbi, durable);
            case AgentWorkflow.TYPE -> new AgentTaskWorkflow(tools.mcpCatalog(), jdbi, durable, bodies);
            default -> new CodeTaskWorkflow(type, tools.catalog(), tools.mcpCatalog(), jdbi, durable);
          });
    }
    if (embedded != null) {
      // The engine keeps what this process's sweeper has not archived yet (a dropped workflow's trace would be lost).
      embedded.hold(durable.archive()::heldAmong);
    }
    env.lifecycle()
        .manage(
            new TaskSweeper(
                    jdbi,
                    durable,
                    config.getTasks().getCancelGrace().toJavaDuration(),
                    config.getTasks().getSweepInterval().toJavaDuration())
                .keepingTasksFor(config.getTasks().getRetention() == null ? null : config.getTasks().getRetention().toJavaDuration()));
    slowBodiesCutOff(env, config.getLimits().getMinRequestBodyRate());
    env.jersey().register(new RequestIdFilter());
    env.jersey().register(new HttpMetricsFilter(metrics));
    env.jersey().register(new DrainRequestBodyFilter(config.getLimits().getMaxRequestBody().toBytes()));
    env.jersey().register(new ContentEncodingFilter());
    Authenticator authenticator =
        new Authenticator(
            jdbi, config.getCaches().getCredentials().toJavaDuration(), config.getCaches().getJwks().toJavaDuration());
    FailureThrottle throttle =
        new FailureThrottle(
            config.getAuth().getMaxFailures(),
            java.time.Duration.ofSeconds(config.getAuth().getFailureWindowSeconds()),
            java.time.Clock.systemUTC());
    BearerAuth auth = new BearerAuth(authenticator, throttle, audit);
    env.jersey().register(new AuthFilter(auth));
    env.jersey().register(new TextParametersFilter());
    env.jersey().register(new QueryParameters());
    env.jersey().register(new dev.gatehouse.frontend.core.http.ConditionalHeaders());
    env.jersey().register(new ApiExceptionMapper());
    adminApi(
        env,
        new AdminContext(
            jdbi, bodies, audit, authenticator, config.getLimits().getMaxEntriesPerTenant(),
            config.getLimits().getMaxIdentityProvidersPerTenant()),
        secrets, tools, durable, workflowTypes);

    FaceContext core =
        new FaceContext(
            jdbi, auth, bodies, audit, metrics, durable, workflows, tools.catalog(), tools.invoker(), tools.policies(), admission);
    new TasksFace(
            config.getLimits().getDefaultTaskTimeout().toJavaDuration(),
            config.getLimits().getMaxWait().toJavaDuration(),
            config.getLimits().getMaxTaskTimeout().toJavaDuration(),
            config.getAdmission().getMaxTaskWaits(),
            config.getAdmission().getMaxTaskWaitsPerAgent(),
            config.getAdmission().getMaxTaskWaitsPerTenant())
        .install(core, env);
    tools.mcpUpstreams().start();
    new McpFace(config.getMcp(), tools.mcpUpstreams(), tools.mcpConnector(), tools.mcpCatalog()).install(core, env);
    new ModelsFace(
            tools.models(),
            java.util.Set.copyOf(config.getModels().getAnthropicBetas()),
            java.util.Set.copyOf(config.getModels().getAnthropicServerTools()),
            (int) config.getModels().getMaxRequestBody().toBytes(),
            config.getModels().largeBodyBytes())
        .install(core, env);
    if (config.isDemoTools()) {
      env.jersey().register(new DemoToolsResource());
      env.jersey().register(new DemoModelResource((int) config.getModels().getMaxRequestBody().toBytes()));
    }
  }

  private static void adminApi(
      Environment env,
      AdminContext admin,
      Secrets secrets,
      Tools tools,
      DurableCalls durable,
      GatehouseWorkflows workflowTypes) {
    env.jersey().register(new SecretsResource(admin, secrets));
    env.jersey().register(new TenantsResource(admin));
    env.jersey().register(new AgentsResource(admin, durable));
    env.jersey().register(new AdminTasksResource(admin, durable));
    env.jersey().register(new KeysResource(admin));
    env.jersey().register(new ToolsResource(admin));
    // A created, changed or deleted server is reconnected and rediscovered (off the request thread).
    env.jersey().register(new McpServersResource(admin, tools.mcpUpstreams()::refreshSoon));
    env.jersey().register(new VirtualServersResource(admin));
    // A changed policy governs this replica's next call; other replicas see it within caches.policies.
    env.jersey().register(new PoliciesResource(admin, name -> tools.policies().invalidate()));
    env.jersey().register(new ProvidersResource(admin));
    env.jersey().register(new ModelsResource(admin));
    env.jersey().register(new AuditResource(admin));
    env.jersey().register(new UsageResource(admin));
    env.jersey().register(new BudgetsResource(admin));
    env.jersey().register(new IdentityProvidersResource(admin));
    env.jersey().register(new RegistryResource(admin, tools.policies()::invalidate));
    // Every task type but the pipeline (whose steps never wait for approval) may hold calls.
    Set<String> approving =
        workflowTypes.tasks().stream().map(GatehouseWorkflow::name).filter(n -> !PipelineWorkflow.TYPE.equals(n)).collect(Collectors.toSet());
    env.jersey().register(
        new ApprovalsResource(admin, durable, approving, new dev.gatehouse.activities.tool.ResolveTool(tools.catalog(), tools.mcpCatalog())));
  }

  public TemporalClients temporal() {
    return temporal;
  }

  /** The embedded engine, or null when this process uses an outside Temporal. */
  public EmbeddedTemporal embeddedEngine() {
    return embedded;
  }

  public AuditLog audit() {
    return audit;
  }

  /** Where model calls' usage rows are written (tests flush it). */
  public UsageLog usage() {
    return usage;
  }

  /** The database access every part of this process shares (tests count its statements). */
  public Jdbi jdbi() {
    return jdbi;
  }

  private static void applyRegistryFile(Jdbi jdbi, String file) {
    if (file == null || file.isBlank()) {
      return;
    }
    try {
      InputStream in = new java.io.ByteArrayInputStream(
          dev.gatehouse.frontend.app.cli.BoundedFiles.read(Path.of(file), dev.gatehouse.frontend.app.cli.BoundedFiles.MAX_REGISTRY_BYTES));
      RegistryApplier.ApplyResult r = RegistryApplier.apply(jdbi, PolicyCompiler.checked(RegistryChecker.check(RegistryParser.parse(in))));
      LOG.info("registry {}: {} tenants, {} agents, {} tools, {} MCP servers, {} virtual servers, {} changed",
          file, r.tenants(), r.agents(), r.tools(), r.mcpServers(), r.virtualServers(), r.changed());
    } catch (java.nio.file.NoSuchFileException e) {
      throw new dev.gatehouse.frontend.app.cli.CommandExit(1, "registryFile " + file + ": no such file");
    } catch (IOException e) {
      throw new dev.gatehouse.frontend.app.cli.CommandExit(1, "registryFile " + file + ": cannot read it (" + e.getMessage() + ")");
    } catch (RegistryException e) {
      throw new dev.gatehouse.frontend.app.cli.CommandExit(1, "registryFile " + file + " is invalid: " + e.getMessage());
    }
  }

  private static Managed closing(AutoCloseable resource) {
    return new Managed() {
      @Override
      public void stop() throws Exception {
        resource.close();
      }
    };
  }

  private static String host(String target) {
    return target.substring(0, target.lastIndexOf(':'));
  }

  private static int port(String target) {
    return Integer.parseInt(target.substring(target.lastIndexOf(':') + 1));
  }
}
