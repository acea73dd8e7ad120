package dev.gatehouse.registry.yaml;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.registry.agents.AccessList;
import dev.gatehouse.registry.agents.ApprovalRules;
import dev.gatehouse.registry.policies.PolicyDefinition;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * The declarative registry file, as written by people (durations as text, optional fields):
 * global tools, MCP servers, virtual servers, model providers, models and policies, and tenants with
 * their agents, identity providers and own tools, MCP servers, virtual servers, providers, models
 * and policies (policy entries have the fields of {@link PolicyDefinition}, less tenant and version). It
 * holds no keys
 * and no secret values (credentials are {@code {{secret:NAME}}} references).
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record RegistryFile(
    List<Tool> tools,
    List<McpServer> mcpServers,
    List<VirtualServer> virtualServers,
    List<Provider> providers,
    List<Model> models,
    List<Tenant> tenants,
    List<PolicyDefinition> policies) {

  /** A file without providers or models. */
  public RegistryFile(List<Tool> tools, List<McpServer> mcpServers, List<VirtualServer> virtualServers, List<Tenant> tenants) {
    this(tools, mcpServers, virtualServers, null, null, tenants);
  }

  /** A file without global policies. */
  public RegistryFile(
      List<Tool> tools, List<McpServer> mcpServers, List<VirtualServer> virtualServers, List<Provider> providers,
      List<Model> models, List<Tenant> tenants) {
    this(tools, mcpServers, virtualServers, providers, models, tenants, null);
  }

  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Tool(
      String name,
      String description,
      Http http,
      JsonNode inputSchema,
      String timeout,
      Retry retry,
      Auth auth,
      @JsonInclude(JsonInclude.Include.NON_NULL) String approval,
      @JsonInclude(JsonInclude.Include.NON_NULL) BigDecimal cost) {}

  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Http(String method, String url, Map<String, String> headers) {}

  public record Retry(Integer maxAttempts, String initialInterval, Double backoff, String maxInterval) {}

  /** Upstream authentication: {@code type: oauth2-client-credentials}. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Auth(String type, String tokenUrl, String clientId, String clientSecret, List<String> scopes) {}

  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Tenant(
      String name,
      List<Agent> agents,
      List<IdentityProvider> identityProviders,
      List<Tool> tools,
      List<McpServer> mcpServers,
      List<VirtualServer> virtualServers,
      List<Provider> providers,
      List<Model> models,
      List<PolicyDefinition> policies) {

    /** A tenant without providers or models. */
    public Tenant(
        String name, List<Agent> agents, List<IdentityProvider> identityProviders, List<Tool> tools,
        List<McpServer> mcpServers, List<VirtualServer> virtualServers) {
      this(name, agents, identityProviders, tools, mcpServers, virtualServers, null, null);
    }

    /** A tenant without policies. */
    public Tenant(
        String name, List<Agent> agents, List<IdentityProvider> identityProviders, List<Tool> tools,
        List<McpServer> mcpServers, List<VirtualServer> virtualServers, List<Provider> providers, List<Model> models) {
      this(name, agents, identityProviders, tools, mcpServers, virtualServers, providers, models, null);
    }
  }

  /**
   * A model provider: {@code type} {@code openai} or {@code anthropic}, its {@code baseUrl},
   * {@code apiKey} as {@code {{secret:NAME}}}, a request {@code timeout} and extra {@code headers}.
   */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Provider(String name, String type, String baseUrl, String apiKey, String timeout, Map<String, String> headers) {}

  /**
   * A model: {@code name} is the alias agents use; {@code targets} the provider models behind it,
   * {@code fallbacks} other aliases, {@code prices} per million tokens.
   */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Model(
      String name,
      List<Target> targets,
      List<String> fallbacks,
      Retry retry,
      Prices prices,
      Integer contextWindow,
      Integer maxOutput) {}

  /** One provider model behind an alias; {@code weight} defaults to 1. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Target(String provider, String model, Integer weight) {}

  /** Prices per million input, cached-input, output and cache-write input tokens. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Prices(BigDecimal input, BigDecimal cachedInput, BigDecimal output, BigDecimal cacheWrite) {
    public Prices(BigDecimal input, BigDecimal cachedInput, BigDecimal output) {
      this(input, cachedInput, output, null);
    }
  }

  /**
   * An upstream MCP server: {@code transport} {@code streamable-http} or {@code sse} with {@code
   * url} (and {@code headers}, {@code auth}), or {@code stdio} with {@code command}, {@code args},
   * {@code env}, {@code workingDir}. {@code prefix} absent means the name; {@code ""} (kept on
   * export) means no prefix.
   */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record McpServer(
      String name,
      String transport,
      String url,
      String command,
      List<String> args,
      Map<String, String> env,
      String workingDir,
      @JsonInclude(JsonInclude.Include.NON_NULL) String prefix,
      Map<String, String> headers,
      Auth auth,
      String timeout,
      String connectTimeout,
      Retry retry,
      String execution,
      Map<String, String> toolExecution) {}

  /** A named selection of tools (names or patterns) served as its own MCP endpoint. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record VirtualServer(String name, String description, List<String> tools) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Agent(
      String name,
      String subject,
      AccessList tools,
      AccessList models,
      AccessList workflows,
      @JsonInclude(JsonInclude.Include.NON_NULL) ApprovalRules approvals) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record IdentityProvider(
      String name,
      String issuer,
      String audience,
      String jwksUrl,
      List<String> algorithms,
      String agentClaim,
      Integer clockSkewSeconds) {}
}
