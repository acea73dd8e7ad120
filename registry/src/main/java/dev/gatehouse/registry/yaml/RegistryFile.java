package dev.gatehouse.registry.yaml;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.registry.agents.AccessList;
import java.util.List;
import java.util.Map;

/**
 * The declarative registry file, as written by people (durations as text, optional fields):
 * global tools, and tenants with their agents, identity providers and own tools. It holds no keys
 * and no secret values (credentials are {@code {{secret:NAME}}} references).
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record RegistryFile(List<Tool> tools, List<Tenant> tenants) {

  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Tool(
      String name,
      String description,
      Http http,
      JsonNode inputSchema,
      String timeout,
      Retry retry,
      Auth auth) {}

  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Http(String method, String url, Map<String, String> headers) {}

  public record Retry(Integer maxAttempts, String initialInterval, Double backoff, String maxInterval) {}

  /** Upstream authentication: {@code type: oauth2-client-credentials}. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Auth(String type, String tokenUrl, String clientId, String clientSecret, List<String> scopes) {}

  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Tenant(String name, List<Agent> agents, List<IdentityProvider> identityProviders, List<Tool> tools) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Agent(String name, String subject, AccessList tools, AccessList models, AccessList workflows) {}

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
