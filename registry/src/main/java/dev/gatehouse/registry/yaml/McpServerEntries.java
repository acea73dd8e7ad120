package dev.gatehouse.registry.yaml;

import static dev.gatehouse.registry.yaml.EntryChecks.bad;

import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.tools.RetrySpec;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks one upstream MCP server entry and turns it into a {@link McpServerDefinition}: the same
 * check for the registry file's entries and the admin API's single one.
 */
public final class McpServerEntries {
  /** MCP server and virtual server names (and prefixes): like tool names, without '.'. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,128}");
  /** The most a stdio server's {@code args} and {@code env} may hold, and the longest command, argument or directory. */
  private static final int MAX_ARGS = 256;
  private static final int MAX_ENV = 64;
  private static final int MAX_STDIO_TEXT = 4096;
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
  private static final Set<String> TRANSPORTS =
      Set.of(McpServerDefinition.STREAMABLE_HTTP, McpServerDefinition.SSE, McpServerDefinition.STDIO);
  private static final Set<String> EXECUTIONS =
      Set.of(McpServerDefinition.AUTO, McpServerDefinition.DIRECT, McpServerDefinition.DURABLE);
  /** MCP's own session headers are Gatehouse's to send, on top of the ones tools may not set. */
  private static final Set<String> RESTRICTED_HEADERS = restrictedHeaders();

  private McpServerEntries() {}

  /**
   * The server, with no tenant; throws {@code invalid_registry} naming the field, {@code where}
   * being the entry's path. Optional fields the entry leaves out stay null (the definition
   * supplies the defaults), so an export writes back only what was written.
   */
  public static McpServerDefinition check(String where, RegistryFile.McpServer s) {
    if (s == null) {
      throw bad(where, "is empty");
    }
    if (s.name() == null || !NAME.matcher(s.name()).matches()) {
      throw bad(where + ".name", "must be 1-128 letters, digits, '_' or '-' (no '.')");
    }
    where = where + " (" + s.name() + ")";
    if (s.transport() == null) {
      throw bad(where + ".transport", "is required: streamable-http, sse or stdio");
    }
    if (!TRANSPORTS.contains(s.transport())) {
      throw bad(where + ".transport", "must be one of streamable-http, sse, stdio");
    }
    if (McpServerDefinition.STDIO.equals(s.transport())) {
      checkStdio(where, s);
    } else {
      checkRemote(where, s);
    }
    if (s.prefix() != null && !s.prefix().isEmpty() && !NAME.matcher(s.prefix()).matches()) {
      throw bad(where + ".prefix", "must be empty (no prefix) or 1-128 letters, digits, '_' or '-' (no '.')");
    }
    Duration timeout = EntryChecks.timeout(where + ".timeout", s.timeout());
    Duration connectTimeout = EntryChecks.timeout(where + ".connectTimeout", s.connectTimeout());
    RetrySpec retry = s.retry() == null ? null : EntryChecks.retry(where + ".retry", s.retry());
    if (s.execution() != null && !EXECUTIONS.contains(s.execution())) {
      throw bad(where + ".execution", "must be one of auto, direct, durable");
    }
    Map<String, String> toolExecution = toolExecution(where + ".toolExecution", s.toolExecution());
    return new McpServerDefinition(
        s.name(),
        null,
        s.transport(),
        s.url(),
        s.command(),
        s.args(),
        s.env(),
        s.workingDir(),
        s.headers(),
        EntryChecks.auth(where + ".auth", s.auth()),
        timeout,
        connectTimeout,
        retry,
        s.prefix(),
        s.execution(),
        toolExecution);
  }

  private static void checkStdio(String where, RegistryFile.McpServer s) {
    if (s.url() != null) {
      throw bad(where + ".url", "is not allowed for stdio (use command)");
    }
    if (s.command() == null || s.command().isBlank()) {
      throw bad(where + ".command", "is required for stdio");
    }
    if (s.headers() != null && !s.headers().isEmpty()) {
      throw bad(where + ".headers", "are only for streamable-http and sse (use env for stdio)");
    }
    if (s.auth() != null) {
      throw bad(where + ".auth", "is only for streamable-http and sse");
    }
    if (s.command().length() > MAX_STDIO_TEXT) {
      throw bad(where + ".command", "must be at most " + MAX_STDIO_TEXT + " characters");
    }
    if (s.args() != null && s.args().stream().anyMatch(a -> a == null)) {
      throw bad(where + ".args", "must not hold empty entries");
    }
    if (s.args() != null && (s.args().size() > MAX_ARGS || s.args().stream().anyMatch(a -> a.length() > MAX_STDIO_TEXT))) {
      throw bad(where + ".args", "must be at most " + MAX_ARGS + " entries of at most " + MAX_STDIO_TEXT + " characters");
    }
    if (s.workingDir() != null && s.workingDir().length() > MAX_STDIO_TEXT) {
      throw bad(where + ".workingDir", "must be at most " + MAX_STDIO_TEXT + " characters");
    }
    env(where + ".env", s.env());
    if (s.workingDir() != null && !s.workingDir().startsWith("/")) {
      throw bad(where + ".workingDir", "must be an absolute path");
    }
  }

  private static void checkRemote(String where, RegistryFile.McpServer s) {
    if (s.command() != null) {
      throw bad(where + ".command", "is only for stdio (use url for " + s.transport() + ")");
    }
    if (s.args() != null && !s.args().isEmpty()) {
      throw bad(where + ".args", "is only for stdio");
    }
    if (s.env() != null && !s.env().isEmpty()) {
      throw bad(where + ".env", "is only for stdio");
    }
    if (s.workingDir() != null) {
      throw bad(where + ".workingDir", "is only for stdio");
    }
    EntryChecks.url(where + ".url", s.url());
    EntryChecks.headers(where + ".headers", s.headers(), RESTRICTED_HEADERS, "an MCP server");
  }

  private static void env(String where, Map<String, String> env) {
    if (env == null) {
      return;
    }
    if (env.size() > MAX_ENV) {
      throw bad(where, "sets more than " + MAX_ENV + " variables");
    }
    for (var e : env.entrySet()) {
      if (!ENV_NAME.matcher(e.getKey()).matches()) {
        throw bad(where, "'" + EntryChecks.shortened(e.getKey()) + "' is not an environment variable name (letters, digits, '_'; not starting with a digit)");
      }
      if (EntryChecks.malformedReference(e.getValue())) {
        throw bad(where + "." + e.getKey(), "has a malformed {{secret:NAME}} reference");
      }
      if (e.getValue().length() > EntryChecks.MAX_HEADER_VALUE) {
        throw bad(where + "." + e.getKey(), "is longer than " + EntryChecks.MAX_HEADER_VALUE + " characters");
      }
    }
  }

  private static Map<String, String> toolExecution(String where, Map<String, String> entries) {
    Map<String, String> out = new LinkedHashMap<>();
    if (entries == null) {
      return out;
    }
    for (var e : entries.entrySet()) {
      if (e.getKey() == null || e.getKey().isBlank() || e.getKey().length() > 128) {
        throw bad(where, "has a tool name that is empty or longer than 128 characters");
      }
      if (e.getValue() == null || !EXECUTIONS.contains(e.getValue())) {
        throw bad(where + "." + e.getKey(), "must be one of auto, direct, durable");
      }
      out.put(e.getKey(), e.getValue());
    }
    return out;
  }

  private static Set<String> restrictedHeaders() {
    Set<String> s = new HashSet<>(EntryChecks.RESTRICTED_HEADERS);
    s.add("mcp-session-id");
    s.add("mcp-protocol-version");
    return Set.copyOf(s);
  }
}
