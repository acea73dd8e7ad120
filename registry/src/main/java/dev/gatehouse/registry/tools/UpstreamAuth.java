package dev.gatehouse.registry.tools;

import java.util.List;

/**
 * How Gatehouse gets a token for a tool's upstream: OAuth 2.0 client credentials against
 * {@code tokenUrl}. {@code clientSecret} is a reference {@code {{secret:NAME}}}, never a value.
 */
public record UpstreamAuth(String type, String tokenUrl, String clientId, String clientSecret, List<String> scopes) {
  public static final String CLIENT_CREDENTIALS = "oauth2-client-credentials";

  public UpstreamAuth {
    scopes = scopes == null ? List.of() : List.copyOf(scopes);
  }
}
