package dev.gatehouse.registry.yaml;

import dev.gatehouse.registry.Durations;
import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.secrets.SecretRefs;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.registry.tools.UpstreamAuth;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The field checks that several kinds of registry entry share: names of tenants, agents and
 * identity providers, URLs, headers, {@code {{secret:NAME}}} references, durations, retry and
 * upstream auth. Each takes {@code where}, the field's path as the user wrote it, and throws
 * {@code invalid_registry} with that path and what the field must be.
 */
final class EntryChecks {
  /** Tenant, agent and identity provider names. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);
  /** Headers Gatehouse itself sends (or that would let an entry break the request's framing). */
  static final Set<String> RESTRICTED_HEADERS =
      Set.of("host", "connection", "content-length", "expect", "upgrade", "idempotency-key", "transfer-encoding");

  /**
   * Headers that carry credentials: their values must take the credential from a secret ({@code
   * Bearer {{secret:NAME}}}), since secrets are never written in the registry, where every admin
   * of the tenant and every export would show them.
   */
  static final Set<String> CREDENTIAL_HEADERS =
      Set.of("authorization", "proxy-authorization", "x-api-key", "api-key", "x-auth-token", "cookie");

  /** The longest URL an entry may give (as for providers and identity providers). */
  static final int MAX_URL = 2048;
  /** The longest description of a tool or virtual server: it goes into every listing and export. */
  static final int MAX_DESCRIPTION = 8192;
  /** The most headers an entry may set, and the longest value of one. */
  static final int MAX_HEADERS = 64;
  static final int MAX_HEADER_VALUE = 8192;
  /** The longest OAuth client id, the most scopes and the longest scope of an entry's upstream auth. */
  static final int MAX_CLIENT_ID = 256;
  static final int MAX_SCOPES = 64;
  /** An OAuth scope token (RFC 6749, 3.3), at most 256 characters. */
  private static final Pattern SCOPE = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,256}");

  private EntryChecks() {}

  /** An optional description of at most {@link #MAX_DESCRIPTION} characters. */
  static void description(String where, String text) {
    if (text != null && text.length() > MAX_DESCRIPTION) {
      throw bad(where, "must be at most " + MAX_DESCRIPTION + " characters");
    }
  }

  /** A tenant, agent or identity provider name; {@code where} is the path of the name field. */
  static void name(String where, String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw bad(where, "must be 1-64 letters, digits, '.', '_' or '-'");
    }
  }

  /** An optional timeout: null when absent, else a duration between 1ms and 10m. */
  static Duration timeout(String where, String text) {
    Duration d = duration(where, text, null);
    if (d != null && (d.isZero() || d.compareTo(MAX_TIMEOUT) > 0)) {
      throw bad(where, "must be between 1ms and 10m");
    }
    return d;
  }

  /** Header names an entry may set ({@code who} says which kind, for the message) and their values. */
  static void headers(String where, Map<String, String> headers, Set<String> restricted, String who) {
    if (headers == null) {
      return;
    }
    if (headers.size() > MAX_HEADERS) {
      throw bad(where, "sets more than " + MAX_HEADERS + " headers");
    }
    for (var h : headers.entrySet()) {
      if (!h.getKey().matches("[A-Za-z0-9-]{1,64}") || restricted.contains(h.getKey().toLowerCase(Locale.ROOT))) {
        throw bad(where, "'" + shortened(h.getKey()) + "' is not a header Gatehouse lets " + who + " set");
      }
      if (malformedReference(h.getValue())) {
        throw bad(where + "." + h.getKey(), "has a malformed {{secret:NAME}} reference");
      }
      if (h.getValue().length() > MAX_HEADER_VALUE) {
        throw bad(where + "." + h.getKey(), "is longer than " + MAX_HEADER_VALUE + " characters");
      }
      if (h.getValue().chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7f)) {
        // CR and LF would end the header (clients replace them, or refuse the request, and logs show a forged line)
        throw bad(where + "." + h.getKey(), "has a control character (a header value is one line of text)");
      }
      if (CREDENTIAL_HEADERS.contains(h.getKey().toLowerCase(Locale.ROOT)) && !SecretRefs.REF.matcher(h.getValue()).find()) {
        throw bad(
            where + "." + h.getKey(),
            "carries a credential, so it must take it from a secret, as \"Bearer {{secret:NAME}}\" (secrets are never written in the registry)");
      }
    }
  }

  /**
   * A value that is missing, or holds {@code {{} that is not a well-formed secret reference: it
   * would otherwise reach the upstream literally instead of failing here.
   */
  static boolean malformedReference(String value) {
    return value == null || value.contains("{{") && SecretRefs.fill(value, n -> "").contains("{{");
  }

  /** Upstream auth; null for none (absent, or {@code type: none}). */
  static UpstreamAuth auth(String where, RegistryFile.Auth a) {
    if (a == null || "none".equals(a.type())) {
      return null;
    }
    if (!UpstreamAuth.CLIENT_CREDENTIALS.equals(a.type())) {
      throw bad(where + ".type", "must be none or " + UpstreamAuth.CLIENT_CREDENTIALS);
    }
    url(where + ".tokenUrl", a.tokenUrl());
    if (a.clientId() == null || a.clientId().isBlank()) {
      throw bad(where + ".clientId", "is required");
    }
    if (a.clientId().length() > MAX_CLIENT_ID || a.clientId().chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw bad(where + ".clientId", "must be at most " + MAX_CLIENT_ID + " characters, without control characters");
    }
    if (a.scopes() != null) {
      if (a.scopes().size() > MAX_SCOPES) {
        throw bad(where + ".scopes", "holds more than " + MAX_SCOPES + " scopes");
      }
      for (int i = 0; i < a.scopes().size(); i++) {
        String scope = a.scopes().get(i);
        if (scope == null || !SCOPE.matcher(scope).matches()) {
          throw bad(where + ".scopes[" + i + "]", "must be an OAuth scope: 1-256 printable ASCII characters, without spaces, '\"' or '\\'");
        }
      }
    }
    if (!SecretRefs.isReference(a.clientSecret())) {
      throw bad(where + ".clientSecret", "must name a secret as {{secret:NAME}} (secrets are never written in the registry)");
    }
    return new UpstreamAuth(a.type(), a.tokenUrl(), a.clientId(), a.clientSecret(), a.scopes());
  }

  /** A retry policy with {@link RetrySpec#DEFAULT}'s values for what is left out. */
  static RetrySpec retry(String where, RegistryFile.Retry r) {
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
    // A ceiling below the first wait would make no sense; read it as "never grow".
    if (max.compareTo(initial) < 0) {
      max = initial;
    }
    return new RetrySpec(attempts, initial, backoff, max);
  }

  static Duration duration(String where, String text, Duration fallback) {
    if (text == null) {
      return fallback;
    }
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw bad(where, e.getMessage());
    }
  }

  /** A required absolute http(s) URL; {@code {placeholders}} count as path text. */
  static void url(String where, String url) {
    if (url == null || url.isBlank()) {
      throw bad(where, "is required");
    }
    if (url.length() > MAX_URL) {
      throw bad(where, "must be at most " + MAX_URL + " characters");
    }
    try {
      URI uri = new URI(url.replaceAll("\\{[A-Za-z0-9_-]+}", "x"));
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
        throw bad(where, "must be an absolute http:// or https:// URL");
      }
      if (uri.getHost() == null) {
        throw bad(where, "has no host");
      }
      if (uri.getPort() == 0 || uri.getPort() > 65535) {
        // Accepted as written, it failed every call (the HTTP clients refuse it as they build the request).
        throw bad(where, "has a port outside 1-65535");
      }
      if (uri.getRawUserInfo() != null) {
        // It would be stored, and shown to every admin and in exports, as written.
        throw bad(where, "must not carry credentials (user:password@); take them from a secret in a header");
      }
    } catch (URISyntaxException e) {
      throw bad(where, "is not a URL: " + e.getMessage());
    }
  }

  /** {@code text} cut to 64 characters for a message (what a client sent may be of any length). */
  static String shortened(String text) {
    return text.length() <= 64 ? text : text.substring(0, 64) + "...";
  }

  static RegistryException bad(String where, String problem) {
    return new RegistryException("invalid_registry", where + " " + problem);
  }
}
