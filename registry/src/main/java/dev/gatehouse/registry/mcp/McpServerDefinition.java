package dev.gatehouse.registry.mcp;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.registry.tools.UpstreamAuth;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * An upstream MCP server. {@code transport} is {@code streamable-http} or {@code sse} (with
 * {@code url}) or {@code stdio} (with {@code command}, {@code args}, {@code env}, {@code
 * workingDir}: the child process gets only that environment). {@code headers} and {@code env}
 * values may name secrets as {@code {{secret:NAME}}}; {@code auth} is OAuth 2.0 client
 * credentials as for HTTP tools. Its tools are exposed as {@code <prefix>.<tool>}: {@code prefix}
 * null means the server's name, empty means no prefix. {@code execution} says how tool calls run:
 * {@code auto} (read-only tools direct, others durable), {@code direct} or {@code durable};
 * {@code toolExecution} overrides it per upstream tool name. {@code timeout} bounds one call;
 * {@code retry} is the durable path's policy. {@code egressGuarded}: written by a tenant admin, so
 * Gatehouse's connections to it may not reach an internal address whatever its host resolves to
 * (stored beside the definition, not in it).
 */
public record McpServerDefinition(
    String name,
    String tenantId,
    String transport,
    String url,
    String command,
    List<String> args,
    Map<String, String> env,
    String workingDir,
    Map<String, String> headers,
    UpstreamAuth auth,
    Duration timeout,
    Duration connectTimeout,
    RetrySpec retry,
    String prefix,
    String execution,
    Map<String, String> toolExecution,
    @JsonIgnore boolean egressGuarded) {

  public static final String STREAMABLE_HTTP = "streamable-http";
  public static final String SSE = "sse";
  public static final String STDIO = "stdio";
  public static final String AUTO = "auto";
  public static final String DIRECT = "direct";
  public static final String DURABLE = "durable";
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /** A server written by a platform admin or the registry file (not egress-guarded). */
  public McpServerDefinition(
      String name,
      String tenantId,
      String transport,
      String url,
      String command,
      List<String> args,
      Map<String, String> env,
      String workingDir,
      Map<String, String> headers,
      UpstreamAuth auth,
      Duration timeout,
      Duration connectTimeout,
      RetrySpec retry,
      String prefix,
      String execution,
      Map<String, String> toolExecution) {
    this(name, tenantId, transport, url, command, args, env, workingDir, headers, auth, timeout, connectTimeout, retry,
        prefix, execution, toolExecution, false);
  }

  public McpServerDefinition {
    args = args == null ? List.of() : List.copyOf(args);
    env = env == null ? Map.of() : Map.copyOf(env);
    headers = headers == null ? Map.of() : Map.copyOf(headers);
    toolExecution = toolExecution == null ? Map.of() : Map.copyOf(toolExecution);
    execution = execution == null ? AUTO : execution;
  }

  /** The prefix tool names get: the server's name unless set; empty for none. */
  public String effectivePrefix() {
    return prefix == null ? name : prefix;
  }

  /** The name agents see for one of this server's tools. */
  public String qualify(String upstreamName) {
    String p = effectivePrefix();
    return p.isEmpty() ? upstreamName : p + "." + upstreamName;
  }

  /** True when a gateway tool name belongs to this server (by prefix). */
  public boolean owns(String gatewayName) {
    String p = effectivePrefix();
    return p.isEmpty() || gatewayName.startsWith(p + ".");
  }

  /** The upstream name of a gateway tool name this server {@link #owns}. */
  public String upstreamName(String gatewayName) {
    String p = effectivePrefix();
    return p.isEmpty() ? gatewayName : gatewayName.substring(p.length() + 1);
  }

  /** Whether a call to this upstream tool runs durably, given its {@code readOnlyHint}. */
  public boolean durable(String upstreamTool, boolean readOnlyHint) {
    String mode = toolExecution.getOrDefault(upstreamTool, execution);
    return switch (mode) {
      case DIRECT -> false;
      case DURABLE -> true;
      default -> !readOnlyHint;
    };
  }

  public Duration timeoutOrDefault() {
    return timeout == null ? DEFAULT_TIMEOUT : timeout;
  }

  public Duration connectTimeoutOrDefault() {
    return connectTimeout == null ? DEFAULT_CONNECT_TIMEOUT : connectTimeout;
  }

  public RetrySpec retryOrDefault() {
    return retry == null ? RetrySpec.DEFAULT : retry;
  }

  public McpServerDefinition withTenant(String tenant) {
    return new McpServerDefinition(
        name, tenant, transport, url, command, args, env, workingDir, headers, auth, timeout,
        connectTimeout, retry, prefix, execution, toolExecution, egressGuarded);
  }

  /** This server as written by a tenant admin ({@code guarded}) or by a platform admin or the registry file. */
  public McpServerDefinition withEgressGuarded(boolean guarded) {
    return new McpServerDefinition(
        name, tenantId, transport, url, command, args, env, workingDir, headers, auth, timeout,
        connectTimeout, retry, prefix, execution, toolExecution, guarded);
  }
}
