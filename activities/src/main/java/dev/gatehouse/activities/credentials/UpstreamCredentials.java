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
import com.nimbusds.oauth2.sdk.http.ReadOnlyHTTPRequest;
import dev.gatehouse.activities.http.BlockingHttp;
import dev.gatehouse.activities.http.EgressRefusedException;
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
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;

/**
 * The credentials Gatehouse presents to a tool's upstream — never the agent's own: header values
 * with {@code {{secret:NAME}}} filled from the tool's scope (its tenant's secrets, then global
 * ones), and for OAuth 2.0 client-credentials tools a bearer token from the token endpoint (via
 * the Nimbus OAuth SDK), cached until shortly before it expires and refetched when the upstream
 * answers 401. The token of an egress-guarded record (one a tenant admin wrote) is fetched through
 * a {@link BlockingHttp}, which connects only to addresses that are not internal ({@link
 * dev.gatehouse.activities.http.Egress}) and follows no redirect; an unguarded record's through
 * Nimbus's own client, as before.
 */
public class UpstreamCredentials {
  private static final long EARLY_REFRESH_SECONDS = 30;
  private static final long UNKNOWN_LIFETIME_SECONDS = 300;

  /** Headers to send, and every secret value they carry (for redaction). */
  public record Resolved(Map<String, String> headers, Set<String> secretValues) {
    /** The shortest run of a secret's characters {@link #redactMessage} redacts on its own. */
    public static final int FRAGMENT_CHARS = 12;
    /** Secrets shorter than this are redacted only whole, by {@link #redactMessage} too. */
    public static final int FRAGMENT_SECRET_CHARS = 16;
    /**
     * The longest text, and secret, whose percent-encoded runs {@link #redactMessage} looks for (a
     * pattern per run: an error message is short, and a key quoted in one is too).
     */
    static final int ENCODED_RUNS_TEXT_CHARS = 8 * 1024;
    static final int ENCODED_RUNS_SECRET_CHARS = 1024;
    /** The longest text {@link #redactMessage} looks for fragments in. */
    public static final int FRAGMENT_TEXT_CHARS = 64 * 1024;

    /**
     * {@code text} with every secret value replaced by {@code [redacted]}: as it is, and, where
     * the text has a backslash, also written with any of its characters as JSON escapes ({@code
     * \/} for {@code /}, or a backslash, {@code u} and four hex digits for any character), as an
     * upstream's JSON error body or a provider's stream event may write it; where it has a {@code
     * %}, also percent-encoded ({@link EscapedForms#percentOf}), as an upstream quoting it in a URL
     * or a form may write it.
     */
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
      if (out.indexOf('\\') >= 0) {
        for (String v : secretValues) {
          if (v.length() >= 4) {
            out = EscapedForms.of(v).matcher(out).replaceAll("[redacted]");
          }
        }
      }
      if (out.indexOf('%') >= 0) {
        for (String v : secretValues) {
          if (v.length() >= 4) {
            out = EscapedForms.percentOf(v).matcher(out).replaceAll("[redacted]");
          }
        }
      }
      return out;
    }

    /**
     * An error message or status text from an upstream, as {@link #redact(String)} scrubs it, and
     * also with every run of at least {@link #FRAGMENT_CHARS} characters of a secret of at least
     * {@link #FRAGMENT_SECRET_CHARS} replaced by {@code [redacted]}, in any case: an upstream that quotes a key it
     * refused cut short ({@code "bad key sk_live_SUPERSEC..."}) would otherwise hand most of it to
     * the agent. Only for messages: in a tool's or a model's answer such a run may be data of its
     * own (every JWT shares its header with a JWT secret), and a stream's text arrives in pieces.
     * Text longer than {@link #FRAGMENT_TEXT_CHARS} is scrubbed of whole values only.
     */
    public String redactMessage(String text) {
      String out = redact(text);
      if (out == null || out.length() < FRAGMENT_CHARS || out.length() > FRAGMENT_TEXT_CHARS) {
        return out;
      }
      if (out.indexOf('%') >= 0 && out.length() <= ENCODED_RUNS_TEXT_CHARS) {
        out = redactEncodedRuns(out);
      }
      boolean[] hit = null;
      String folded = fold(out);
      for (String v : secretValues) {
        if (v.length() < FRAGMENT_SECRET_CHARS) {
          continue;
        }
        Set<String> runs = new java.util.HashSet<>();
        String key = fold(v);
        for (int i = 0; i + FRAGMENT_CHARS <= key.length(); i++) {
          runs.add(key.substring(i, i + FRAGMENT_CHARS));
        }
        for (int i = 0; i + FRAGMENT_CHARS <= folded.length(); i++) {
          if (runs.contains(folded.substring(i, i + FRAGMENT_CHARS))) {
            hit = hit == null ? new boolean[out.length()] : hit;
            java.util.Arrays.fill(hit, i, i + FRAGMENT_CHARS, true);
          }
        }
      }
      return hit == null ? out : replaced(out, hit);
    }

    /**
     * {@code text} with every run of {@link #FRAGMENT_CHARS} characters of a secret of at least
     * {@link #FRAGMENT_SECRET_CHARS} replaced, percent-encoded as {@link #redact} finds a whole
     * value: an upstream that quotes a refused key cut short and URL-encoded.
     */
    private String redactEncodedRuns(String text) {
      boolean[] hit = null;
      for (String v : secretValues) {
        if (v.length() < FRAGMENT_SECRET_CHARS || v.length() > ENCODED_RUNS_SECRET_CHARS) {
          continue;
        }
        for (int i = 0; i + FRAGMENT_CHARS <= v.length(); i++) {
          java.util.regex.Matcher m = EscapedForms.percentPattern(v.substring(i, i + FRAGMENT_CHARS)).matcher(text);
          while (m.find()) {
            hit = hit == null ? new boolean[text.length()] : hit;
            java.util.Arrays.fill(hit, m.start(), m.end(), true);
          }
        }
      }
      return hit == null ? text : replaced(text, hit);
    }

    /** {@code text} with each run of hit characters one {@code [redacted]}. */
    private static String replaced(String text, boolean[] hit) {
      StringBuilder clean = new StringBuilder(text.length());
      for (int i = 0; i < text.length(); i++) {
        if (!hit[i]) {
          clean.append(text.charAt(i));
        } else if (i == 0 || !hit[i - 1]) {
          clean.append("[redacted]");
        }
      }
      return clean.toString();
    }

    /**
     * {@code s} with every character in lower case, one for one (so a run's place in it is its
     * place in {@code s}): a message may quote a key in another case (an upstream that upper-cases
     * what it echoes), and a run found so is redacted too.
     */
    private static String fold(String s) {
      char[] c = s.toCharArray();
      for (int i = 0; i < c.length; i++) {
        c[i] = Character.toLowerCase(c[i]);
      }
      return new String(c);
    }

    /** Whether any secret value is long enough to be looked for ({@link #redact(String)} skips shorter ones). */
    public boolean redacts() {
      for (String v : secretValues) {
        if (v.length() >= 4) {
          return true;
        }
      }
      return false;
    }

    /**
     * {@code node} with every secret value replaced by {@code [redacted]} in every string of the
     * tree, field names included; objects and arrays are changed in place (pass a copy to keep the
     * original).
     */
    public com.fasterxml.jackson.databind.JsonNode redactTree(com.fasterxml.jackson.databind.JsonNode node) {
      if (node == null || !redacts()) {
        return node;
      }
      return redactIn(node);
    }

    private com.fasterxml.jackson.databind.JsonNode redactIn(com.fasterxml.jackson.databind.JsonNode node) {
      if (node.isTextual()) {
        String text = node.asText();
        String clean = redact(text);
        return clean.equals(text) ? node : com.fasterxml.jackson.databind.node.TextNode.valueOf(clean);
      }
      if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode object) {
        boolean renamed = false;
        for (var field : object.properties()) {
          field.setValue(redactIn(field.getValue()));
          renamed |= !redact(field.getKey()).equals(field.getKey());
        }
        if (renamed) {
          // an upstream that writes a secret as a member's name: rebuilt in order with the names
          // redacted (two such members become one, the later)
          var fields = new java.util.ArrayList<>(object.properties());
          object.removeAll();
          for (var field : fields) {
            object.set(redact(field.getKey()), field.getValue());
          }
        }
      } else if (node instanceof com.fasterxml.jackson.databind.node.ArrayNode array) {
        for (int i = 0; i < array.size(); i++) {
          array.set(i, redactIn(array.get(i)));
        }
      }
      return node;
    }
  }

  private record Token(String value, Instant refreshAt) {}

  private final Secrets secrets;
  private final Clock clock;
  private final Map<String, Token> tokens = new ConcurrentHashMap<>();
  /** The client of guarded records' token requests, made on first use. */
  private BlockingHttp guardedHttp;
  /** The largest token response read for a guarded record. */
  private static final int MAX_TOKEN_RESPONSE = 64 * 1024;

  public UpstreamCredentials(Secrets secrets, Clock clock) {
    this.secrets = secrets;
    this.clock = clock;
  }

  public Resolved resolve(ToolDefinition tool) {
    return resolve("tool " + tool.name(), tool.tenantId(), tool.http().headers(), tool.auth(), tool.egressGuarded());
  }

  /**
   * The headers an upstream gets: {@code headers} with their secret references filled in, plus a
   * bearer token when {@code auth} is client credentials. {@code owner} names the tool or server
   * in error messages; secrets are looked up in {@code tenantId} (null: global).
   */
  public Resolved resolve(String owner, String tenantId, Map<String, String> headers, UpstreamAuth auth) {
    return resolve(owner, tenantId, headers, auth, false);
  }

  /**
   * As {@link #resolve(String, String, Map, UpstreamAuth)}, for a record a tenant admin wrote when
   * {@code egressGuarded}: its token endpoint may not be reached at an internal address, and it
   * reads its own tenant's secrets only, never the global ones a record the platform wrote falls
   * back to (else a tenant admin could send the platform's provider key to a host of its own).
   */
  public Resolved resolve(String owner, String tenantId, Map<String, String> headers, UpstreamAuth auth, boolean egressGuarded) {
    Set<String> values = new LinkedHashSet<>();
    Map<String, String> filled = new LinkedHashMap<>();
    for (Map.Entry<String, String> h : headers.entrySet()) {
      filled.put(h.getKey(), SecretRefs.fill(h.getValue(), name -> secret(owner, tenantId, name, values, egressGuarded)));
    }
    if (auth != null && UpstreamAuth.CLIENT_CREDENTIALS.equals(auth.type())) {
      String token = token(owner, tenantId, auth, values, egressGuarded);
      values.add(token);
      filled.put("Authorization", "Bearer " + token);
    }
    return new Resolved(filled, values);
  }

  /** {@code values} with their secret references filled in (the environment of a stdio server). */
  public Resolved fill(String owner, String tenantId, Map<String, String> values) {
    return resolve(owner, tenantId, values, null);
  }

  /** Forgets the tool's cached token (after its upstream answered 401); true if it had one. */
  public boolean invalidate(ToolDefinition tool) {
    return invalidate(tool.tenantId(), tool.auth(), tool.egressGuarded());
  }

  /** Forgets a cached token; true if there was one. */
  public boolean invalidate(String tenantId, UpstreamAuth auth) {
    return invalidate(tenantId, auth, false);
  }

  /** Forgets a cached token of a guarded or an unguarded record; true if there was one. */
  public boolean invalidate(String tenantId, UpstreamAuth auth, boolean egressGuarded) {
    return auth != null && tokens.remove(cacheKey(tenantId, auth, egressGuarded)) != null;
  }

  private String token(String owner, String tenantId, UpstreamAuth auth, Set<String> values, boolean guarded) {
    String key = cacheKey(tenantId, auth, guarded);
    Token cached = tokens.get(key);
    if (cached != null && clock.instant().isBefore(cached.refreshAt())) {
      return cached.value();
    }
    String clientSecret = SecretRefs.fill(auth.clientSecret(), name -> secret(owner, tenantId, name, values, guarded));
    TokenRequest request =
        new TokenRequest(
            URI.create(auth.tokenUrl()),
            new ClientSecretBasic(new ClientID(auth.clientId()), new Secret(clientSecret)),
            new ClientCredentialsGrant(),
            auth.scopes().isEmpty() ? null : new Scope(auth.scopes().toArray(String[]::new)));
    HTTPRequest http = request.toHTTPRequest();
    http.setConnectTimeout(5_000);
    http.setReadTimeout(5_000);
    // What the endpoint's answer may echo back into a message: the client secret (and any other
    // secret so far), and the Basic credential that carries it
    Set<String> echoable = new LinkedHashSet<>(values);
    String basic = http.getAuthorization();
    if (basic != null && basic.startsWith("Basic ")) {
      echoable.add(basic.substring("Basic ".length()));
    }
    Resolved scrub = new Resolved(Map.of(), echoable);
    TokenResponse response;
    try {
      HTTPResponse answer = guarded ? (HTTPResponse) http.send(this::sendGuarded) : http.send();
      response = TokenResponse.parse(answer);
      if (!response.indicatesSuccess()) {
        TokenErrorResponse error = response.toErrorResponse();
        int status = answer.getStatusCode();
        boolean retryable = status >= 500 || status == 429;
        String code = error.getErrorObject() == null ? "error" : error.getErrorObject().getCode();
        throw new ToolCallException(
            retryable ? ToolFailureTypes.UPSTREAM_ERROR : ToolFailureTypes.UPSTREAM_CLIENT_ERROR,
            "the token endpoint of " + owner + " refused the client credentials (HTTP " + status + ", "
                + scrub.redactMessage(code) + ")",
            retryable);
      }
    } catch (EgressRefusedException e) {
      throw new ToolCallException(
          ToolFailureTypes.EGRESS_REFUSED, "could not reach the token endpoint of " + owner + ": " + e.getMessage(), false);
    } catch (IOException e) {
      throw new ToolCallException(
          ToolFailureTypes.UPSTREAM_ERROR,
          "could not reach the token endpoint of " + owner + ": " + scrub.redactMessage(dev.gatehouse.activities.http.NetworkFailures.describe(e)),
          true);
    } catch (ParseException e) {
      throw new ToolCallException(
          ToolFailureTypes.UPSTREAM_ERROR, "the token endpoint of " + owner + " gave an answer that is not an OAuth token response", true);
    }
    AccessTokenResponse ok = response.toSuccessResponse();
    AccessToken access = ok.getTokens().getAccessToken();
    long lifetime = access.getLifetime() > 0 ? access.getLifetime() : UNKNOWN_LIFETIME_SECONDS;
    long early = Math.min(EARLY_REFRESH_SECONDS, lifetime / 2);
    tokens.put(key, new Token(access.getValue(), clock.instant().plusSeconds(lifetime - early)));
    return access.getValue();
  }

  private String secret(String owner, String tenantId, String name, Set<String> values, boolean ownTenantOnly) {
    String value;
    try {
      value = secrets == null ? null : secrets.value(tenantId, name, !ownTenantOnly).orElse(null);
    } catch (dev.gatehouse.registry.secrets.SecretBox.Unopenable e) {
      // A process without the master key a rotation sealed it under: the call's error says so
      // (it was internal_error on the MCP face), and no other call of the tool can do better.
      throw new ToolCallException(ToolFailureTypes.CREDENTIALS_UNAVAILABLE, owner + ": " + e.getMessage(), false);
    }
    if (value == null) {
      throw new ToolCallException(
          ToolFailureTypes.CREDENTIALS_UNAVAILABLE,
          owner + " needs secret '" + name + "', which is not set" + (secrets == null ? " (no master key is configured)" : ""),
          false);
    }
    values.add(value);
    return value;
  }

  private static String cacheKey(String tenantId, UpstreamAuth auth, boolean guarded) {
    return (tenantId == null ? "" : tenantId) + "\n" + auth.tokenUrl() + "\n" + auth.clientId() + "\n" + auth.scopes()
        + (guarded ? "\nguarded" : "");
  }

  /**
   * A guarded record's token request, through {@link #guardedHttp} (no internal address, no
   * redirect), within the request's own read time-out.
   */
  private HTTPResponse sendGuarded(ReadOnlyHTTPRequest request) throws IOException {
    BlockingHttp http = guardedHttp();
    HttpUriRequestBase out;
    try {
      out = new HttpUriRequestBase(request.getMethod().name(), request.getURI());
    } catch (RuntimeException e) {
      throw new IOException("the token endpoint's URL cannot be used");
    }
    request.getHeaderMap().forEach((name, list) -> list.forEach(v -> out.addHeader(name, v)));
    if (request.getBody() != null) {
      out.setEntity(new ByteArrayEntity(request.getBody().getBytes(java.nio.charset.StandardCharsets.UTF_8), null));
    }
    long millis = (long) Math.max(1, request.getConnectTimeout()) + Math.max(1, request.getReadTimeout());
    try (BlockingHttp.Exchange exchange = http.exchange(out, java.time.Duration.ofMillis(millis), true)) {
      var response = exchange.send();
      HTTPResponse answer = new HTTPResponse(response.getCode());
      for (var h : response.getHeaders()) {
        answer.setHeader(h.getName(), h.getValue());
      }
      try (BlockingHttp.Body in = exchange.body()) {
        byte[] bytes = in.readNBytes(MAX_TOKEN_RESPONSE + 1);
        if (bytes.length > MAX_TOKEN_RESPONSE) {
          throw new IOException("the token endpoint answered with more than " + MAX_TOKEN_RESPONSE + " bytes");
        }
        answer.setBody(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
      }
      if (exchange.timedOut()) {
        throw new java.net.SocketTimeoutException("timed out");
      }
      return answer;
    }
  }

  private synchronized BlockingHttp guardedHttp() {
    if (guardedHttp == null) {
      guardedHttp = new BlockingHttp(java.time.Duration.ofSeconds(5));
    }
    return guardedHttp;
  }
}
