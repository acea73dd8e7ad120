package dev.gatehouse.registry.yaml;

import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.gatehouse.registry.Durations;
import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.tools.HttpEndpoint;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.registry.Ids;
import dev.gatehouse.registry.agents.AccessLists;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.agents.Permissions;
import dev.gatehouse.registry.idp.IdentityProvider;
import dev.gatehouse.registry.idp.IdentityProviderDao;
import dev.gatehouse.registry.idp.IdentityProviders;
import dev.gatehouse.registry.mcp.McpServerDao;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.mcp.VirtualServer;
import dev.gatehouse.registry.mcp.VirtualServerDao;
import dev.gatehouse.registry.tenants.Tenant;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.registry.tools.UpstreamAuth;
import dev.gatehouse.registry.secrets.SecretRefs;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;

/**
 * Reads a registry YAML file, checks every entry, and applies it to PostgreSQL idempotently:
 * applying the same file twice changes nothing the second time.
 */
public final class RegistryLoader {

  public static final Pattern TOOL_NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  /** MCP server and virtual server names (and prefixes): like tool names, without '.'. */
  public static final Pattern MCP_SERVER_NAME = Pattern.compile("[A-Za-z0-9_-]{1,128}");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
  private static final Set<String> TRANSPORTS =
      Set.of(McpServerDefinition.STREAMABLE_HTTP, McpServerDefinition.SSE, McpServerDefinition.STDIO);
  private static final Set<String> EXECUTIONS =
      Set.of(McpServerDefinition.AUTO, McpServerDefinition.DIRECT, McpServerDefinition.DURABLE);
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);
  private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE");
  private static final Set<String> RESTRICTED_HEADERS =
      Set.of("host", "connection", "content-length", "expect", "upgrade", "idempotency-key", "transfer-encoding");
  /** MCP's own session headers are Gatehouse's to send, on top of the ones tools may not set. */
  private static final Set<String> RESTRICTED_MCP_HEADERS = restrictedMcpHeaders();

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory()).enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** What {@link #apply} did: how many entries the file has, and how many of them changed something. */
  public record ApplyResult(
      int tenants, int agents, int identityProviders, int tools, int mcpServers, int virtualServers, int changed) {}

  private RegistryLoader() {}

  /** Parses and checks a registry file (YAML, or JSON); throws {@code invalid_registry} naming the bad field. */
  public static Registry parse(InputStream yaml) {
    RegistryFile file;
    try {
      file = YAML.readValue(yaml, RegistryFile.class);
    } catch (StreamReadException e) {
      throw new RegistryException("invalid_registry", "registry file is not valid YAML: "
          + e.getOriginalMessage().lines().findFirst().orElse(""));
    } catch (JsonMappingException e) {
      if (e.getCause() instanceof StreamReadException || e.getOriginalMessage().contains("end-of-input")) {
        throw new RegistryException("invalid_registry", "registry file is not valid YAML: "
            + e.getOriginalMessage().lines().findFirst().orElse(""));
      }
      throw new RegistryException("invalid_registry", "registry file: " + e.getOriginalMessage()
          + " at " + e.getPathReference());
    } catch (IOException e) {
      throw new RegistryException("invalid_registry", "registry file is not valid YAML: " + e.getMessage());
    }
    if (file == null) {
      return new Registry(List.of(), List.of(), List.of(), List.of());
    }
    Set<String> toolNames = new HashSet<>();
    List<ToolDefinition> tools = tools("tools", file.tools(), toolNames);
    Map<String, String> serverOwners = new HashMap<>();
    List<McpServerDefinition> servers = mcpServers("mcpServers", null, file.mcpServers(), serverOwners);
    Map<String, String> virtualOwners = new HashMap<>();
    List<VirtualServer> virtuals = virtualServers("virtualServers", null, file.virtualServers(), virtualOwners);
    List<Registry.TenantSpec> tenants = new ArrayList<>();
    Set<String> tenantNames = new HashSet<>();
    List<RegistryFile.Tenant> fileTenants = file.tenants() == null ? List.of() : file.tenants();
    for (int i = 0; i < fileTenants.size(); i++) {
      String where = "tenants[" + i + "]";
      RegistryFile.Tenant t = fileTenants.get(i);
      if (t == null || t.name() == null || !NAME.matcher(t.name()).matches()) {
        throw bad(where + ".name", "must be 1-64 letters, digits, '.', '_' or '-'");
      }
      if (!tenantNames.add(t.name())) {
        throw bad(where, "tenant '" + t.name() + "' is declared twice");
      }
      tenants.add(
          new Registry.TenantSpec(
              t.name(),
              agents(where + ".agents", t.agents()),
              providers(where + ".identityProviders", t.identityProviders()),
              tools(where + ".tools", t.tools(), toolNames),
              mcpServers(where + ".mcpServers", t.name(), t.mcpServers(), serverOwners),
              virtualServers(where + ".virtualServers", t.name(), t.virtualServers(), virtualOwners)));
    }
    return new Registry(tools, servers, virtuals, tenants);
  }

  /**
   * Checks a list of MCP servers; {@code owners} maps every name seen so far to its tenant's name
   * ("" for global), since names are unique across the whole registry.
   */
  private static List<McpServerDefinition> mcpServers(
      String where, String tenant, List<RegistryFile.McpServer> entries, Map<String, String> owners) {
    List<McpServerDefinition> out = new ArrayList<>();
    for (int i = 0; entries != null && i < entries.size(); i++) {
      String at = where + "[" + i + "]";
      McpServerDefinition server = toMcpServer(at, entries.get(i));
      unique(at, "MCP server", server.name(), tenant, owners);
      out.add(server);
    }
    return out;
  }

  private static List<VirtualServer> virtualServers(
      String where, String tenant, List<RegistryFile.VirtualServer> entries, Map<String, String> owners) {
    List<VirtualServer> out = new ArrayList<>();
    for (int i = 0; entries != null && i < entries.size(); i++) {
      String at = where + "[" + i + "]";
      VirtualServer server = toVirtualServer(at, entries.get(i));
      unique(at, "virtual server", server.name(), tenant, owners);
      out.add(server);
    }
    return out;
  }

  private static void unique(String where, String kind, String name, String tenant, Map<String, String> owners) {
    String owner = tenant == null ? "" : tenant;
    String previous = owners.putIfAbsent(name, owner);
    if (previous == null) {
      return;
    }
    String problem;
    if (previous.isEmpty() && !owner.isEmpty()) {
      problem = "clashes with the global " + kind + " of that name";
    } else if (!previous.equals(owner)) {
      problem = "is also declared by tenant '" + previous + "' (names are unique across tenants)";
    } else {
      problem = "is declared twice";
    }
    throw new RegistryException("invalid_registry", where + ": " + kind + " '" + name + "' " + problem);
  }

  private static List<ToolDefinition> tools(String where, List<RegistryFile.Tool> entries, Set<String> names) {
    List<ToolDefinition> tools = new ArrayList<>();
    if (entries == null) {
      return tools;
    }
    for (int i = 0; i < entries.size(); i++) {
      ToolDefinition tool = toDefinition(where + "[" + i + "]", entries.get(i));
      if (!names.add(tool.name())) {
        throw new RegistryException("invalid_registry", where + "[" + i + "]: tool '" + tool.name() + "' is declared twice");
      }
      tools.add(tool);
    }
    return tools;
  }

  private static List<Registry.AgentSpec> agents(String where, List<RegistryFile.Agent> entries) {
    List<Registry.AgentSpec> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; entries != null && i < entries.size(); i++) {
      String at = where + "[" + i + "]";
      RegistryFile.Agent a = entries.get(i);
      if (a == null || a.name() == null || !NAME.matcher(a.name()).matches()) {
        throw bad(at + ".name", "must be 1-64 letters, digits, '.', '_' or '-'");
      }
      if (!names.add(a.name())) {
        throw bad(at, "agent '" + a.name() + "' is declared twice");
      }
      try {
        out.add(new Registry.AgentSpec(a.name(), a.subject(),
            new Permissions(AccessLists.check(a.tools(), "tools"), AccessLists.check(a.models(), "models"),
                AccessLists.check(a.workflows(), "workflows"))));
      } catch (IllegalArgumentException e) {
        throw bad(at + " (" + a.name() + ")", e.getMessage());
      }
    }
    return out;
  }

  private static List<IdentityProvider> providers(String where, List<RegistryFile.IdentityProvider> entries) {
    List<IdentityProvider> out = new ArrayList<>();
    for (int i = 0; entries != null && i < entries.size(); i++) {
      String at = where + "[" + i + "]";
      RegistryFile.IdentityProvider p = entries.get(i);
      if (p == null || p.name() == null || !NAME.matcher(p.name()).matches()) {
        throw bad(at + ".name", "must be 1-64 letters, digits, '.', '_' or '-'");
      }
      try {
        out.add(IdentityProviders.check(null, null, p.name(), p.issuer(), p.audience(), p.jwksUrl(), p.algorithms(),
            p.agentClaim(), p.clockSkewSeconds()));
      } catch (IllegalArgumentException e) {
        throw bad(at + " (" + p.name() + ")", e.getMessage());
      }
    }
    return out;
  }

  /**
   * Applies a registry in one transaction: tenants by name, agents by (tenant, name), identity
   * providers by (tenant, name), tools, MCP servers and virtual servers by name are created or
   * brought in line with the file.
   * Nothing absent from the file is removed; keys and secrets are never touched.
   */
  public static ApplyResult apply(Jdbi jdbi, Registry registry) {
    return jdbi.inTransaction(
        h -> {
          ToolDao tools = h.attach(ToolDao.class);
          TenantDao tenants = h.attach(TenantDao.class);
          AgentDao agents = h.attach(AgentDao.class);
          IdentityProviderDao providers = h.attach(IdentityProviderDao.class);
          McpServerDao servers = h.attach(McpServerDao.class);
          VirtualServerDao virtuals = h.attach(VirtualServerDao.class);
          int changed = 0;
          int agentCount = 0;
          int providerCount = 0;
          for (ToolDefinition tool : registry.tools()) {
            changed += tools.upsert(tool) ? 1 : 0;
          }
          for (McpServerDefinition server : registry.mcpServers()) {
            changed += servers.upsert(server) ? 1 : 0;
          }
          for (VirtualServer server : registry.virtualServers()) {
            changed += virtuals.upsert(server) ? 1 : 0;
          }
          for (Registry.TenantSpec spec : registry.tenants()) {
            Tenant tenant = tenants.findByName(spec.name()).orElse(null);
            if (tenant == null) {
              tenants.insert(Ids.newId("ten"), spec.name());
              tenant = tenants.findByName(spec.name()).orElseThrow();
              changed++;
            }
            for (Registry.AgentSpec a : spec.agents()) {
              agentCount++;
              Agent existing = agents.findByName(tenant.id(), a.name()).orElse(null);
              if (existing == null) {
                agents.insert(new Agent(Ids.newId("agt"), tenant.id(), a.name(), a.subject(), a.permissions(), null, null));
                changed++;
              } else if (!a.permissions().equals(existing.permissions()) || !java.util.Objects.equals(a.subject(), existing.subject())) {
                agents.update(existing.id(), a.name(), a.subject(), a.permissions());
                changed++;
              }
            }
            for (IdentityProvider p : spec.identityProviders()) {
              providerCount++;
              String tenantId = tenant.id();
              IdentityProvider existing =
                  providers.list(tenantId).stream().filter(x -> x.name().equals(p.name())).findFirst().orElse(null);
              IdentityProvider wanted = new IdentityProvider(
                  existing == null ? Ids.newId("idp") : existing.id(), tenantId, p.name(), p.issuer(), p.audience(),
                  p.jwksUrl(), p.algorithms(), p.agentClaim(), p.clockSkewSeconds());
              if (!wanted.equals(existing)) {
                providers.upsert(wanted);
                changed++;
              }
            }
            for (ToolDefinition tool : spec.tools()) {
              changed += tools.upsert(tool.withTenant(tenant.id())) ? 1 : 0;
            }
            for (McpServerDefinition server : spec.mcpServers()) {
              changed += servers.upsert(server.withTenant(tenant.id())) ? 1 : 0;
            }
            for (VirtualServer server : spec.virtualServers()) {
              changed += virtuals.upsert(server.withTenant(tenant.id())) ? 1 : 0;
            }
          }
          return new ApplyResult(
              registry.tenants().size(), agentCount, providerCount, registry.allTools().size(),
              registry.allMcpServers().size(), registry.allVirtualServers().size(), changed);
        });
  }

  /** Checks one tool entry; {@code where} names it in error messages. */
  public static ToolDefinition toDefinition(String where, RegistryFile.Tool t) {
    if (t == null) {
      throw bad(where, "is empty");
    }
    if (t.name() == null || !TOOL_NAME.matcher(t.name()).matches()) {
      throw bad(where + ".name", "must be 1-128 letters, digits, '.', '_' or '-'");
    }
    where = where + " (" + t.name() + ")";
    if (t.http() == null) {
      throw bad(where + ".http", "is required");
    }
    String method = t.http().method() == null ? "GET" : t.http().method().toUpperCase(Locale.ROOT);
    if (!METHODS.contains(method)) {
      throw bad(where + ".http.method", "must be one of GET, POST, PUT, PATCH, DELETE");
    }
    checkUrl(where + ".http.url", t.http().url());
    headers(where + ".http.headers", t.http().headers(), RESTRICTED_HEADERS, "a tool");
    JsonNode schema = t.inputSchema() == null || t.inputSchema().isNull() ? null : t.inputSchema();
    if (schema != null && !schema.isObject()) {
      throw bad(where + ".inputSchema", "must be a JSON Schema object");
    }
    Duration timeout = duration(where + ".timeout", t.timeout(), DEFAULT_TIMEOUT);
    if (timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0) {
      throw bad(where + ".timeout", "must be between 1ms and 10m");
    }
    return new ToolDefinition(
        t.name(),
        t.description() == null ? "" : t.description(),
        new HttpEndpoint(method, t.http().url(), t.http().headers()),
        schema,
        timeout,
        retry(where + ".retry", t.retry()),
        null,
        auth(where + ".auth", t.auth()));
  }

  /**
   * Checks one MCP server entry; {@code where} names it in error messages. Optional fields the
   * file leaves out stay null (the definition supplies the defaults), so an export writes back
   * only what was written.
   */
  public static McpServerDefinition toMcpServer(String where, RegistryFile.McpServer s) {
    if (s == null) {
      throw bad(where, "is empty");
    }
    if (s.name() == null || !MCP_SERVER_NAME.matcher(s.name()).matches()) {
      throw bad(where + ".name", "must be 1-128 letters, digits, '_' or '-' (no '.')");
    }
    where = where + " (" + s.name() + ")";
    if (s.transport() == null) {
      throw bad(where + ".transport", "is required: streamable-http, sse or stdio");
    }
    if (!TRANSPORTS.contains(s.transport())) {
      throw bad(where + ".transport", "must be one of streamable-http, sse, stdio");
    }
    if (McpServerDefinition.STDIO.equals(s.transport())) {
      if (s.url() != null) {
        throw bad(where + ".url", "is not allowed for stdio (use command)");
      }
      if (s.command() == null || s.command().isBlank()) {
        throw bad(where + ".command", "is required for stdio");
      }
      if (s.headers() != null && !s.headers().isEmpty()) {
        throw bad(where + ".headers", "are only for streamable-http and sse (use env for stdio)");
      }
      if (s.auth() != null) {
        throw bad(where + ".auth", "is only for streamable-http and sse");
      }
      if (s.args() != null && s.args().stream().anyMatch(a -> a == null)) {
        throw bad(where + ".args", "must not hold empty entries");
      }
      env(where + ".env", s.env());
      if (s.workingDir() != null && !s.workingDir().startsWith("/")) {
        throw bad(where + ".workingDir", "must be an absolute path");
      }
    } else {
      if (s.command() != null) {
        throw bad(where + ".command", "is only for stdio (use url for " + s.transport() + ")");
      }
      for (String field : new String[] {"args", "env", "workingDir"}) {
        boolean set = switch (field) {
          case "args" -> s.args() != null && !s.args().isEmpty();
          case "env" -> s.env() != null && !s.env().isEmpty();
          default -> s.workingDir() != null;
        };
        if (set) {
          throw bad(where + "." + field, "is only for stdio");
        }
      }
      checkUrl(where + ".url", s.url());
      headers(where + ".headers", s.headers(), RESTRICTED_MCP_HEADERS, "an MCP server");
    }
    if (s.prefix() != null && !s.prefix().isEmpty() && !MCP_SERVER_NAME.matcher(s.prefix()).matches()) {
      throw bad(where + ".prefix", "must be empty (no prefix) or 1-128 letters, digits, '_' or '-' (no '.')");
    }
    Duration timeout = s.timeout() == null ? null : boundedTimeout(where + ".timeout", s.timeout());
    Duration connectTimeout =
        s.connectTimeout() == null ? null : boundedTimeout(where + ".connectTimeout", s.connectTimeout());
    RetrySpec retry = s.retry() == null ? null : retry(where + ".retry", s.retry());
    if (s.execution() != null && !EXECUTIONS.contains(s.execution())) {
      throw bad(where + ".execution", "must be one of auto, direct, durable");
    }
    Map<String, String> toolExecution = new LinkedHashMap<>();
    if (s.toolExecution() != null) {
      for (var e : s.toolExecution().entrySet()) {
        if (e.getKey() == null || e.getKey().isBlank() || e.getKey().length() > 128) {
          throw bad(where + ".toolExecution", "has a tool name that is empty or longer than 128 characters");
        }
        if (e.getValue() == null || !EXECUTIONS.contains(e.getValue())) {
          throw bad(where + ".toolExecution." + e.getKey(), "must be one of auto, direct, durable");
        }
        toolExecution.put(e.getKey(), e.getValue());
      }
    }
    return new McpServerDefinition(
        s.name(),
        null,
        s.transport(),
        s.url(),
        s.command(),
        s.args(),
        s.env(),
        s.workingDir(),
        s.headers(),
        auth(where + ".auth", s.auth()),
        timeout,
        connectTimeout,
        retry,
        s.prefix(),
        s.execution(),
        toolExecution);
  }

  /** Checks one virtual server entry; {@code where} names it in error messages. */
  public static VirtualServer toVirtualServer(String where, RegistryFile.VirtualServer v) {
    if (v == null) {
      throw bad(where, "is empty");
    }
    if (v.name() == null || !MCP_SERVER_NAME.matcher(v.name()).matches()) {
      throw bad(where + ".name", "must be 1-128 letters, digits, '_' or '-' (no '.')");
    }
    where = where + " (" + v.name() + ")";
    if (v.tools() == null || v.tools().isEmpty()) {
      throw bad(where + ".tools", "is required: a list of tool names or patterns");
    }
    for (int i = 0; i < v.tools().size(); i++) {
      String t = v.tools().get(i);
      if (t == null || t.isBlank()) {
        throw bad(where + ".tools[" + i + "]", "must be a tool name or pattern, not empty");
      }
    }
    return new VirtualServer(v.name(), null, v.description(), v.tools());
  }

  private static Duration boundedTimeout(String where, String text) {
    Duration d = duration(where, text, null);
    if (d.isZero() || d.compareTo(MAX_TIMEOUT) > 0) {
      throw bad(where, "must be between 1ms and 10m");
    }
    return d;
  }

  private static void headers(String where, Map<String, String> headers, Set<String> restricted, String who) {
    if (headers == null) {
      return;
    }
    for (var h : headers.entrySet()) {
      if (!h.getKey().matches("[A-Za-z0-9-]{1,64}") || restricted.contains(h.getKey().toLowerCase(Locale.ROOT))) {
        throw bad(where, "'" + h.getKey() + "' is not a header Gatehouse lets " + who + " set");
      }
      if (malformedReference(h.getValue())) {
        throw bad(where + "." + h.getKey(), "has a malformed {{secret:NAME}} reference");
      }
    }
  }

  private static void env(String where, Map<String, String> env) {
    if (env == null) {
      return;
    }
    for (var e : env.entrySet()) {
      if (!ENV_NAME.matcher(e.getKey()).matches()) {
        throw bad(where, "'" + e.getKey() + "' is not an environment variable name (letters, digits, '_'; not starting with a digit)");
      }
      if (malformedReference(e.getValue())) {
        throw bad(where + "." + e.getKey(), "has a malformed {{secret:NAME}} reference");
      }
    }
  }

  /** A value that is missing, or holds {@code {{} that is not a well-formed secret reference. */
  private static boolean malformedReference(String value) {
    return value == null || value.contains("{{") && SecretRefs.fill(value, n -> "").contains("{{");
  }

  private static Set<String> restrictedMcpHeaders() {
    Set<String> s = new HashSet<>(RESTRICTED_HEADERS);
    s.add("mcp-session-id");
    s.add("mcp-protocol-version");
    return Set.copyOf(s);
  }

  private static UpstreamAuth auth(String where, RegistryFile.Auth a) {
    if (a == null || "none".equals(a.type())) {
      return null;
    }
    if (!UpstreamAuth.CLIENT_CREDENTIALS.equals(a.type())) {
      throw bad(where + ".type", "must be none or " + UpstreamAuth.CLIENT_CREDENTIALS);
    }
    checkUrl(where + ".tokenUrl", a.tokenUrl());
    if (a.clientId() == null || a.clientId().isBlank()) {
      throw bad(where + ".clientId", "is required");
    }
    if (!SecretRefs.isReference(a.clientSecret())) {
      throw bad(where + ".clientSecret", "must name a secret as {{secret:NAME}} (secrets are never written in the registry)");
    }
    return new UpstreamAuth(a.type(), a.tokenUrl(), a.clientId(), a.clientSecret(), a.scopes());
  }

  private static RetrySpec retry(String where, RegistryFile.Retry r) {
    RetrySpec d = RetrySpec.DEFAULT;
    if (r == null) {
      return d;
    }
    int attempts = r.maxAttempts() == null ? d.maxAttempts() : r.maxAttempts();
    if (attempts < 1 || attempts > 100) {
      throw bad(where + ".maxAttempts", "must be between 1 and 100");
    }
    double backoff = r.backoff() == null ? d.backoff() : r.backoff();
    if (backoff < 1.0 || backoff > 10.0) {
      throw bad(where + ".backoff", "must be between 1.0 and 10.0");
    }
    Duration initial = duration(where + ".initialInterval", r.initialInterval(), d.initialInterval());
    Duration max = duration(where + ".maxInterval", r.maxInterval(), d.maxInterval());
    if (max.compareTo(initial) < 0) {
      max = initial;
    }
    return new RetrySpec(attempts, initial, backoff, max);
  }

  private static Duration duration(String where, String text, Duration fallback) {
    if (text == null) {
      return fallback;
    }
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw bad(where, e.getMessage());
    }
  }

  private static void checkUrl(String where, String url) {
    if (url == null || url.isBlank()) {
      throw bad(where, "is required");
    }
    try {
      URI uri = new URI(url.replaceAll("\\{[A-Za-z0-9_-]+}", "x"));
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
        throw bad(where, "must be an absolute http:// or https:// URL");
      }
      if (uri.getHost() == null) {
        throw bad(where, "has no host");
      }
    } catch (URISyntaxException e) {
      throw bad(where, "is not a URL: " + e.getMessage());
    }
  }

  private static RegistryException bad(String where, String problem) {
    return new RegistryException("invalid_registry", where + " " + problem);
  }
}
