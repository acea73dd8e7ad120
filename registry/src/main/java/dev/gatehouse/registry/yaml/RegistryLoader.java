package dev.gatehouse.registry.yaml;

import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.gatehouse.registry.Durations;
import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.tools.HttpEndpoint;
import dev.gatehouse.registry.tools.RetrySpec;
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
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;

/**
 * Reads a registry YAML file, checks every entry, and applies it to PostgreSQL idempotently:
 * applying the same file twice changes nothing the second time.
 */
public final class RegistryLoader {

  public static final Pattern TOOL_NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);
  private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE");
  private static final Set<String> RESTRICTED_HEADERS =
      Set.of("host", "connection", "content-length", "expect", "upgrade", "idempotency-key", "transfer-encoding");

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory()).enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** What {@link #apply} did. */
  public record ApplyResult(int tools, int changed) {}

  private RegistryLoader() {}

  /** Parses and checks a registry file; throws {@code invalid_registry} naming the bad field. */
  public static List<ToolDefinition> parse(InputStream yaml) {
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
    List<ToolDefinition> tools = new ArrayList<>();
    if (file == null || file.tools() == null) {
      return tools;
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < file.tools().size(); i++) {
      ToolDefinition tool = toDefinition("tools[" + i + "]", file.tools().get(i));
      if (!names.add(tool.name())) {
        throw new RegistryException("invalid_registry", "tools[" + i + "]: tool '" + tool.name() + "' is declared twice");
      }
      tools.add(tool);
    }
    return tools;
  }

  /** Upserts every tool in one transaction. Tools absent from the list are left alone. */
  public static ApplyResult apply(Jdbi jdbi, List<ToolDefinition> tools) {
    return jdbi.inTransaction(
        h -> {
          ToolDao dao = h.attach(ToolDao.class);
          int changed = 0;
          for (ToolDefinition tool : tools) {
            changed += dao.upsert(tool) ? 1 : 0;
          }
          return new ApplyResult(tools.size(), changed);
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
    if (t.http().headers() != null) {
      for (var h : t.http().headers().entrySet()) {
        if (!h.getKey().matches("[A-Za-z0-9-]{1,64}") || RESTRICTED_HEADERS.contains(h.getKey().toLowerCase(Locale.ROOT))) {
          throw bad(where + ".http.headers", "'" + h.getKey() + "' is not a header Gatehouse lets a tool set");
        }
        if (h.getValue() == null || h.getValue().contains("{{") && SecretRefs.fill(h.getValue(), n -> "").contains("{{")) {
          throw bad(where + ".http.headers." + h.getKey(), "has a malformed {{secret:NAME}} reference");
        }
      }
    }
    if (t.inputSchema() != null && !t.inputSchema().isObject()) {
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
        t.inputSchema(),
        timeout,
        retry(where + ".retry", t.retry()),
        null,
        auth(where + ".auth", t.auth()));
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
