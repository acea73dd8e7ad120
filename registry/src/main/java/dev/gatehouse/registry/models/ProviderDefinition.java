package dev.gatehouse.registry.models;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Duration;
import java.util.Map;

/**
 * A model provider: an endpoint speaking the OpenAI ({@code openai}: OpenAI, Azure OpenAI, vLLM,
 * Ollama, Groq, Mistral and any compatible server) or Anthropic ({@code anthropic}) API at {@code
 * baseUrl}. {@code apiKey} is a reference {@code {{secret:NAME}}}, never a value (null: none, as
 * for a local server); {@code headers} are sent on every request and their values may name
 * secrets the same way. {@code timeout} bounds one request (null: {@link #DEFAULT_TIMEOUT}).
 * {@code tenantId} null: a global provider, usable by every tenant's models. {@code egressGuarded}:
 * written by a tenant admin, so Gatehouse's calls to it may not reach an internal address whatever
 * its host resolves to (stored beside the definition, not in it).
 */
public record ProviderDefinition(
    String name, String tenantId, String type, String baseUrl, String apiKey, Duration timeout, Map<String, String> headers,
    @JsonIgnore boolean egressGuarded) {

  public static final String OPENAI = "openai";
  public static final String ANTHROPIC = "anthropic";
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

  /** A provider written by a platform admin or the registry file (not egress-guarded). */
  public ProviderDefinition(
      String name, String tenantId, String type, String baseUrl, String apiKey, Duration timeout, Map<String, String> headers) {
    this(name, tenantId, type, baseUrl, apiKey, timeout, headers, false);
  }

  public ProviderDefinition {
    headers = headers == null ? Map.of() : Map.copyOf(headers);
  }

  public Duration timeoutOrDefault() {
    return timeout == null ? DEFAULT_TIMEOUT : timeout;
  }

  public ProviderDefinition withTenant(String tenant) {
    return new ProviderDefinition(name, tenant, type, baseUrl, apiKey, timeout, headers, egressGuarded);
  }

  /** This provider as written by a tenant admin ({@code guarded}) or by a platform admin or the registry file. */
  public ProviderDefinition withEgressGuarded(boolean guarded) {
    return new ProviderDefinition(name, tenantId, type, baseUrl, apiKey, timeout, headers, guarded);
  }
}
