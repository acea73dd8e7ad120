package dev.gatehouse.registry.yaml;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/** The declarative registry file, as written by people (durations as text, optional fields). */
public record RegistryFile(List<Tool> tools) {

  public record Tool(
      String name,
      String description,
      Http http,
      JsonNode inputSchema,
      String timeout,
      Retry retry,
      Auth auth) {}

  /** Upstream authentication: {@code type: oauth2-client-credentials}. */
  public record Auth(String type, String tokenUrl, String clientId, String clientSecret, java.util.List<String> scopes) {}

  public record Http(String method, String url, Map<String, String> headers) {}

  public record Retry(Integer maxAttempts, String initialInterval, Double backoff, String maxInterval) {}
}
