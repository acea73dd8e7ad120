package dev.gatehouse.frontend.app;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.gatehouse.frontend.app.config.AdmissionConfig;
import dev.gatehouse.frontend.app.config.AuditConfig;
import dev.gatehouse.frontend.app.config.AuthConfig;
import dev.gatehouse.frontend.app.config.BudgetsConfig;
import dev.gatehouse.frontend.app.config.CachesConfig;
import dev.gatehouse.frontend.app.config.LimitsConfig;
import dev.gatehouse.frontend.app.config.ModelsConfig;
import dev.gatehouse.frontend.app.config.SecretsConfig;
import dev.gatehouse.frontend.app.config.TasksConfig;
import dev.gatehouse.frontend.app.config.TemporalConfig;
import dev.gatehouse.frontend.app.config.WorkerConfig;
import dev.gatehouse.frontend.app.config.WorkflowsConfig;
import dev.gatehouse.frontend.mcp.McpConfig;
import io.dropwizard.core.Configuration;
import io.dropwizard.db.DataSourceFactory;
import io.dropwizard.validation.ValidationMethod;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import java.util.regex.Pattern;

/** Everything Gatehouse reads from its YAML file (see docs/configuration.md). */
public class GatehouseConfiguration extends Configuration {
  @Valid @NotNull private DataSourceFactory database = new DataSourceFactory();

  /** Run Flyway migrations when the process starts. */
  private boolean migrateOnStart = true;

  /** A registry YAML file applied (idempotently) at start; optional. */
  private String registryFile;

  @Valid @NotNull private TemporalConfig temporal = new TemporalConfig();

  @Valid @NotNull private WorkerConfig worker = new WorkerConfig();

  @Valid @NotNull private WorkflowsConfig workflows = new WorkflowsConfig();

  @Valid @NotNull private LimitsConfig limits = new LimitsConfig();

  @Valid @NotNull private AdmissionConfig admission = new AdmissionConfig();

  @Valid @NotNull private AuthConfig auth = new AuthConfig();

  @Valid @NotNull private SecretsConfig secrets = new SecretsConfig();

  @Valid @NotNull private McpConfig mcp = new McpConfig();

  @Valid @NotNull private CachesConfig caches = new CachesConfig();

  @Valid @NotNull private AuditConfig audit = new AuditConfig();

  @Valid @NotNull private TasksConfig tasks = new TasksConfig();
  @Valid @NotNull private ModelsConfig models = new ModelsConfig();

  @Valid @NotNull private BudgetsConfig budgets = new BudgetsConfig();

  @JsonProperty
  public BudgetsConfig getBudgets() {
    return budgets;
  }

  @JsonProperty
  public void setBudgets(BudgetsConfig budgets) {
    this.budgets = budgets;
  }

  @JsonProperty
  public ModelsConfig getModels() {
    return models;
  }

  @JsonProperty
  public void setModels(ModelsConfig models) {
    this.models = models;
  }

  @JsonProperty
  public TasksConfig getTasks() {
    return tasks;
  }

  @JsonProperty
  public void setTasks(TasksConfig tasks) {
    this.tasks = tasks;
  }

  /** What this process runs; set by the command, not by the file. */
  public enum Role {
    /** API and (unless {@code worker.enabled: false}) the worker. */
    SERVER,
    /** Only the Temporal worker, plus the admin port. */
    WORKER,
    /** Like SERVER, with embedded PostgreSQL and Temporal and the demo registry. */
    DEV
  }

  @com.fasterxml.jackson.annotation.JsonIgnore private Role role = Role.SERVER;

  public Role role() {
    return role;
  }

  public void role(Role role) {
    this.role = role;
  }

  /** Serve the demo tools' upstream under /demo (dev mode turns this on). */
  private boolean demoTools = false;

  /** What kind of thread serves an HTTP request (see {@link RequestThreads}). */
  @NotNull private RequestThreads requestThreads = RequestThreads.AUTO;

  /** {@code requestThreads}: the threads HTTP requests are served on. */
  public enum RequestThreads {
    /** Virtual threads on Java 24 or later, platform threads before. */
    AUTO,
    /** Platform threads, on any Java. */
    PLATFORM,
    /** Virtual threads; Java 21 or later. */
    VIRTUAL
  }

  @JsonProperty
  public RequestThreads getRequestThreads() {
    return requestThreads;
  }

  @JsonProperty
  public void setRequestThreads(RequestThreads requestThreads) {
    this.requestThreads = requestThreads;
  }

  @JsonProperty
  public DataSourceFactory getDatabase() {
    return database;
  }

  @JsonProperty
  public void setDatabase(DataSourceFactory database) {
    this.database = database;
  }

  /**
   * A password written into {@code database.url} is refused: in its authority ({@code
   * jdbc:postgresql://bob:PASSWORD@host/db}, which the PostgreSQL driver does not read: it takes
   * {@code bob:PASSWORD@host} for the host's name) or as a {@code password=} parameter. The driver
   * and the pool quote the URL in their warnings and errors (a password with a {@code /} or
   * {@code ?} made it "too many / characters"), in the log and on the console. The password
   * belongs in {@code database.password}. No PostgreSQL JDBC URL needs an {@code @}.
   */
  @JsonIgnore
  @ValidationMethod(
      message = "database.url must not hold a password (user:password@ or password=); give it as database.password (GATEHOUSE_DB_PASSWORD)")
  public boolean isDatabaseUrlWithoutPassword() {
    String url = database == null ? null : database.getUrl();
    return url == null || (url.indexOf('@') < 0 && !URL_PASSWORD_PARAMETER.matcher(url).find());
  }

  /** A {@code password} parameter of a JDBC URL, in its query or after a {@code ;}. */
  private static final Pattern URL_PASSWORD_PARAMETER = Pattern.compile("(?i)[?&;]\\s*password\\s*=");

  /**
   * A {@code database.url} that is not a PostgreSQL JDBC URL is refused where the file is
   * validated: the driver answers one with nothing ("returned null for URL: ..."), quoting it
   * whole, and Gatehouse speaks to PostgreSQL only.
   */
  @JsonIgnore
  @ValidationMethod(message = "database.url must be a PostgreSQL JDBC URL: jdbc:postgresql://HOST:PORT/DATABASE")
  public boolean isDatabaseUrlPostgres() {
    String url = database == null ? null : database.getUrl();
    return url == null || url.startsWith("jdbc:postgresql:");
  }

  @JsonProperty
  public boolean isMigrateOnStart() {
    return migrateOnStart;
  }

  @JsonProperty
  public void setMigrateOnStart(boolean migrateOnStart) {
    this.migrateOnStart = migrateOnStart;
  }

  @JsonProperty
  public String getRegistryFile() {
    return registryFile;
  }

  @JsonProperty
  public void setRegistryFile(String registryFile) {
    this.registryFile = registryFile;
  }

  @JsonProperty
  public TemporalConfig getTemporal() {
    return temporal;
  }

  @JsonProperty
  public void setTemporal(TemporalConfig temporal) {
    this.temporal = temporal;
  }

  @JsonProperty
  public WorkflowsConfig getWorkflows() {
    return workflows;
  }

  @JsonProperty
  public void setWorkflows(WorkflowsConfig workflows) {
    this.workflows = workflows;
  }

  @JsonProperty
  public WorkerConfig getWorker() {
    return worker;
  }

  @JsonProperty
  public void setWorker(WorkerConfig worker) {
    this.worker = worker;
  }

  @JsonProperty
  public LimitsConfig getLimits() {
    return limits;
  }

  @JsonProperty
  public void setLimits(LimitsConfig limits) {
    this.limits = limits;
  }

  @JsonProperty
  public AdmissionConfig getAdmission() {
    return admission;
  }

  @JsonProperty
  public void setAdmission(AdmissionConfig admission) {
    this.admission = admission;
  }

  @JsonProperty
  public AuthConfig getAuth() {
    return auth;
  }

  @JsonProperty
  public void setAuth(AuthConfig auth) {
    this.auth = auth;
  }

  @JsonProperty
  public SecretsConfig getSecrets() {
    return secrets;
  }

  @JsonProperty
  public void setSecrets(SecretsConfig secrets) {
    this.secrets = secrets;
  }

  @JsonProperty
  public boolean isDemoTools() {
    return demoTools;
  }

  @JsonProperty
  public void setDemoTools(boolean demoTools) {
    this.demoTools = demoTools;
  }

  @JsonProperty
  public McpConfig getMcp() {
    return mcp;
  }

  @JsonProperty
  public void setMcp(McpConfig v) {
    this.mcp = v;
  }

  @JsonProperty
  public CachesConfig getCaches() {
    return caches;
  }

  @JsonProperty
  public void setCaches(CachesConfig v) {
    this.caches = v;
  }

  @JsonProperty
  public AuditConfig getAudit() {
    return audit;
  }

  @JsonProperty
  public void setAudit(AuditConfig v) {
    this.audit = v;
  }
}
