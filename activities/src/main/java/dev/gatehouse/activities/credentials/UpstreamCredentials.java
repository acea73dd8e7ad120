package dev.gatehouse.activities.credentials;

import com.nimbusds.oauth2.sdk.AccessTokenResponse;
import com.nimbusds.oauth2.sdk.ClientCredentialsGrant;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenErrorResponse;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.token.AccessToken;
import dev.gatehouse.activities.tool.ToolCallException;
import dev.gatehouse.registry.secrets.SecretRefs;
import dev.gatehouse.registry.secrets.Secrets;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.registry.tools.UpstreamAuth;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The credentials Gatehouse presents to a tool's upstream — never the agent's own: header values
 * with {@code {{secret:NAME}}} filled from the tool's scope (its tenant's secrets, then global
 * ones), and for OAuth 2.0 client-credentials tools a bearer token from the token endpoint (via
 * the Nimbus OAuth SDK), cached until shortly before it expires and refetched when the upstream
 * answers 401.
 */
public class UpstreamCredentials {
  private static final long EARLY_REFRESH_SECONDS = 30;
  private static final long UNKNOWN_LIFETIME_SECONDS = 300;

  /** Headers to send, and every secret value they carry (for redaction). */
  public record Resolved(Map<String, String> headers, Set<String> secretValues) {
    /** {@code text} with every secret value replaced by {@code [redacted]}. */
    public String redact(String text) {
      if (text == null) {
        return null;
      }
      String out = text;
      for (String v : secretValues) {
        if (v.length() >= 4) {
          out = out.replace(v, "[redacted]");
        }
      }
      return out;
    }
  }

  private record Token(String value, Instant refreshAt) {}

  private final Secrets secrets;
  private final Clock clock;
  private final Map<String, Token> tokens = new ConcurrentHashMap<>();

  public UpstreamCredentials(Secrets secrets, Clock clock) {
    this.secrets = secrets;
    this.clock = clock;
  }

  public Resolved resolve(ToolDefinition tool) {
    Set<String> values = new LinkedHashSet<>();
    Map<String, String> headers = new LinkedHashMap<>();
    for (Map.Entry<String, String> h : tool.http().headers().entrySet()) {
      headers.put(h.getKey(), SecretRefs.fill(h.getValue(), name -> secret(tool, name, values)));
    }
    UpstreamAuth auth = tool.auth();
    if (auth != null && UpstreamAuth.CLIENT_CREDENTIALS.equals(auth.type())) {
      String token = token(tool, auth, values);
      values.add(token);
      headers.put("Authorization", "Bearer " + token);
    }
    return new Resolved(headers, values);
  }

  /** Forgets the tool's cached token (after its upstream answered 401); true if it had one. */
  public boolean invalidate(ToolDefinition tool) {
    return tool.auth() != null && tokens.remove(cacheKey(tool, tool.auth())) != null;
  }

  private String token(ToolDefinition tool, UpstreamAuth auth, Set<String> values) {
    String key = cacheKey(tool, auth);
    Token cached = tokens.get(key);
    if (cached != null && clock.instant().isBefore(cached.refreshAt())) {
      return cached.value();
    }
    String clientSecret = SecretRefs.fill(auth.clientSecret(), name -> secret(tool, name, values));
    TokenRequest request =
        new TokenRequest(
            URI.create(auth.tokenUrl()),
            new ClientSecretBasic(new ClientID(auth.clientId()), new Secret(clientSecret)),
            new ClientCredentialsGrant(),
            auth.scopes().isEmpty() ? null : new Scope(auth.scopes().toArray(String[]::new)));
    HTTPRequest http = request.toHTTPRequest();
    http.setConnectTimeout(5_000);
    http.setReadTimeout(5_000);
    TokenResponse response;
    try {
      HTTPResponse answer = http.send();
      response = TokenResponse.parse(answer);
      if (!response.indicatesSuccess()) {
        TokenErrorResponse error = response.toErrorResponse();
        int status = answer.getStatusCode();
        boolean retryable = status >= 500 || status == 429;
        String code = error.getErrorObject() == null ? "error" : error.getErrorObject().getCode();
        throw new ToolCallException(
            retryable ? ToolFailureTypes.UPSTREAM_ERROR : ToolFailureTypes.UPSTREAM_CLIENT_ERROR,
            "the token endpoint of " + tool.name() + " refused the client credentials (HTTP " + status + ", " + code + ")",
            retryable);
      }
    } catch (IOException e) {
      throw new ToolCallException(
          ToolFailureTypes.UPSTREAM_ERROR, "could not reach the token endpoint of " + tool.name() + ": " + e.getClass().getSimpleName(), true);
    } catch (ParseException e) {
      throw new ToolCallException(
          ToolFailureTypes.UPSTREAM_ERROR, "the token endpoint of " + tool.name() + " gave an answer that is not an OAuth token response", true);
    }
    AccessTokenResponse ok = response.toSuccessResponse();
    AccessToken access = ok.getTokens().getAccessToken();
    long lifetime = access.getLifetime() > 0 ? access.getLifetime() : UNKNOWN_LIFETIME_SECONDS;
    long early = Math.min(EARLY_REFRESH_SECONDS, lifetime / 2);
    tokens.put(key, new Token(access.getValue(), clock.instant().plusSeconds(lifetime - early)));
    return access.getValue();
  }

  private String secret(ToolDefinition tool, String name, Set<String> values) {
    String value =
        secrets == null
            ? null
            : secrets.value(tool.tenantId(), name).orElse(null);
    if (value == null) {
      throw new ToolCallException(
          ToolFailureTypes.CREDENTIALS_UNAVAILABLE,
          "tool " + tool.name() + " needs secret '" + name + "', which is not set" + (secrets == null ? " (no master key is configured)" : ""),
          false);
    }
    values.add(value);
    return value;
  }

  private static String cacheKey(ToolDefinition tool, UpstreamAuth auth) {
    return (tool.tenantId() == null ? "" : tool.tenantId()) + "\n" + auth.tokenUrl() + "\n" + auth.clientId() + "\n" + auth.scopes();
  }
}
