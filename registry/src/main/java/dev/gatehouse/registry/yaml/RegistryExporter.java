package dev.gatehouse.registry.yaml;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.gatehouse.registry.Durations;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.idp.IdentityProvider;
import dev.gatehouse.registry.idp.IdentityProviderDao;
import dev.gatehouse.registry.mcp.McpServerDao;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.mcp.VirtualServer;
import dev.gatehouse.registry.mcp.VirtualServerDao;
import dev.gatehouse.registry.models.ModelDao;
import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.registry.models.ProviderDao;
import dev.gatehouse.registry.models.ProviderDefinition;
import dev.gatehouse.registry.policies.PolicyDao;
import dev.gatehouse.registry.policies.PolicyDefinition;
import dev.gatehouse.registry.tenants.Tenant;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.registry.tools.UpstreamAuth;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/**
 * Writes the registry back as the file {@link RegistryParser} reads, so a platform team can keep
 * it in git: applying the export to an empty database gives the same registry. Keys and secret
 * values are never exported.
 */
public final class RegistryExporter {
  private static final ObjectMapper YAML =
      new ObjectMapper(
              YAMLFactory.builder()
                  .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                  .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                  .stringQuotingChecker(new Quoting())
                  .build())
          // Prices as 0.0000001, not 1E-7, which YAML would read back as text.
          .enable(com.fasterxml.jackson.core.JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);

  private RegistryExporter() {}

  /**
   * Text is written without quotes only where a YAML reader takes it back as the same text:
   * besides what Jackson quotes, anything YAML 1.1 resolves to another type ({@code 0x10}, {@code
   * 1e3}, {@code 1_000}, {@code .inf}, {@code yes}, {@code ~}) and text with a character a plain
   * scalar would fold (NEL, the line and paragraph separators). Read back as a number, a tenant's
   * text would change, and a changed record loses its egress guard on the platform's re-apply.
   */
  static final class Quoting extends com.fasterxml.jackson.dataformat.yaml.util.StringQuotingChecker.Default {
    private static final org.yaml.snakeyaml.resolver.Resolver RESOLVER = new org.yaml.snakeyaml.resolver.Resolver();

    @Override
    public boolean needToQuoteValue(String value) {
      return super.needToQuoteValue(value)
          || !org.yaml.snakeyaml.nodes.Tag.STR.equals(RESOLVER.resolve(org.yaml.snakeyaml.nodes.NodeId.scalar, value, true))
          || value.indexOf('\u0085') >= 0 || value.indexOf('\u2028') >= 0 || value.indexOf('\u2029') >= 0;
    }
  }

  public static RegistryFile export(Jdbi jdbi) {
    return jdbi.inTransaction(h -> {
      List<ToolDefinition> tools = h.attach(ToolDao.class).list();
      List<RegistryFile.Tool> global = tools.stream().filter(t -> t.tenantId() == null).map(RegistryExporter::tool).toList();
      List<McpServerDefinition> servers = h.attach(McpServerDao.class).list();
      List<VirtualServer> virtuals = h.attach(VirtualServerDao.class).list();
      List<ProviderDefinition> providers = h.attach(ProviderDao.class).list();
      List<ModelDefinition> models = h.attach(ModelDao.class).list();
      List<PolicyDefinition> policies = h.attach(PolicyDao.class).list();
      List<RegistryFile.Tenant> tenants = new ArrayList<>();
      String after = null;
      while (true) {
        List<Tenant> page = h.attach(TenantDao.class).page(after, 200);
        for (Tenant t : page) {
          List<RegistryFile.Agent> agents = new ArrayList<>();
          String afterAgent = null;
          while (true) {
            List<Agent> ap = h.attach(AgentDao.class).page(t.id(), afterAgent, 200);
            ap.forEach(a -> agents.add(new RegistryFile.Agent(
                a.name(), a.subject(), a.permissions().tools(), a.permissions().models(), a.permissions().workflows(),
                a.permissions().approvals().isEmpty() ? null : a.permissions().approvals())));
            if (ap.size() < 200) {
              break;
            }
            afterAgent = ap.get(ap.size() - 1).id();
          }
          List<RegistryFile.IdentityProvider> idps =
              h.attach(IdentityProviderDao.class).list(t.id()).stream().map(RegistryExporter::provider).toList();
          List<RegistryFile.Tool> own = tools.stream().filter(x -> t.id().equals(x.tenantId())).map(RegistryExporter::tool).toList();
          List<RegistryFile.McpServer> ownServers =
              servers.stream().filter(x -> t.id().equals(x.tenantId())).map(RegistryExporter::mcpServer).toList();
          List<RegistryFile.VirtualServer> ownVirtuals =
              virtuals.stream().filter(x -> t.id().equals(x.tenantId())).map(RegistryExporter::virtualServer).toList();
          List<RegistryFile.Provider> ownProviders =
              providers.stream().filter(x -> t.id().equals(x.tenantId())).map(RegistryExporter::modelProvider).toList();
          List<RegistryFile.Model> ownModels =
              models.stream().filter(x -> t.id().equals(x.tenantId())).map(RegistryExporter::model).toList();
          List<PolicyDefinition> ownPolicies =
              policies.stream().filter(x -> t.id().equals(x.tenantId())).map(RegistryExporter::policy).toList();
          tenants.add(
              new RegistryFile.Tenant(t.name(), agents, idps, own, ownServers, ownVirtuals, ownProviders, ownModels, ownPolicies));
        }
        if (page.size() < 200) {
          break;
        }
        after = page.get(page.size() - 1).name();
      }
      return new RegistryFile(
          global,
          servers.stream().filter(x -> x.tenantId() == null).map(RegistryExporter::mcpServer).toList(),
          virtuals.stream().filter(x -> x.tenantId() == null).map(RegistryExporter::virtualServer).toList(),
          providers.stream().filter(x -> x.tenantId() == null).map(RegistryExporter::modelProvider).toList(),
          models.stream().filter(x -> x.tenantId() == null).map(RegistryExporter::model).toList(),
          tenants,
          policies.stream().filter(x -> x.tenantId() == null).map(RegistryExporter::policy).toList());
    });
  }

  public static String toYaml(RegistryFile file) {
    try {
      return YAML.writeValueAsString(file);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A policy as an entry: its owner is where it is listed, and its version is the database's. */
  private static PolicyDefinition policy(PolicyDefinition p) {
    return p.withTenant(null).withVersion(null);
  }

  private static RegistryFile.Tool tool(ToolDefinition t) {
    return new RegistryFile.Tool(
        t.name(),
        t.description(),
        new RegistryFile.Http(t.http().method(), t.http().url(), t.http().headers()),
        t.inputSchema() == null || t.inputSchema().isNull() ? null : t.inputSchema(),
        Durations.format(t.timeout()),
        retry(t.retry()),
        auth(t.auth()),
        t.approval(),
        t.cost());
  }

  /** An MCP server as the file writes it: what was left out (null) stays out. */
  public static RegistryFile.McpServer mcpServer(McpServerDefinition s) {
    return new RegistryFile.McpServer(
        s.name(),
        s.transport(),
        s.url(),
        s.command(),
        s.args(),
        s.env(),
        s.workingDir(),
        s.prefix(),
        s.headers(),
        auth(s.auth()),
        s.timeout() == null ? null : Durations.format(s.timeout()),
        s.connectTimeout() == null ? null : Durations.format(s.connectTimeout()),
        retry(s.retry()),
        s.execution(),
        s.toolExecution());
  }

  public static RegistryFile.VirtualServer virtualServer(VirtualServer v) {
    return new RegistryFile.VirtualServer(v.name(), v.description(), v.tools());
  }

  /** A model provider as the file writes it: what was left out (null) stays out. */
  public static RegistryFile.Provider modelProvider(ProviderDefinition p) {
    return new RegistryFile.Provider(
        p.name(), p.type(), p.baseUrl(), p.apiKey(), p.timeout() == null ? null : Durations.format(p.timeout()), p.headers());
  }

  public static RegistryFile.Model model(ModelDefinition m) {
    ModelDefinition.Prices p = m.prices();
    return new RegistryFile.Model(
        m.name(),
        m.targets().stream().map(t -> new RegistryFile.Target(t.provider(), t.model(), t.weight())).toList(),
        m.fallbacks(),
        retry(m.retry()),
        p == null ? null : new RegistryFile.Prices(p.input(), p.cachedInput(), p.output(), p.cacheWrite()),
        m.contextWindow(),
        m.maxOutput());
  }

  private static RegistryFile.Retry retry(RetrySpec r) {
    return r == null ? null : new RegistryFile.Retry(
        r.maxAttempts(), Durations.format(r.initialInterval()), r.backoff(), Durations.format(r.maxInterval()));
  }

  private static RegistryFile.Auth auth(UpstreamAuth a) {
    return a == null ? null : new RegistryFile.Auth(a.type(), a.tokenUrl(), a.clientId(), a.clientSecret(), a.scopes());
  }

  private static RegistryFile.IdentityProvider provider(IdentityProvider p) {
    return new RegistryFile.IdentityProvider(
        p.name(), p.issuer(), p.audience(), p.jwksUrl(), p.algorithms(), p.agentClaim(), p.clockSkewSeconds());
  }
}
