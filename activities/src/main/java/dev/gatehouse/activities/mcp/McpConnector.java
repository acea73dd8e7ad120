package dev.gatehouse.activities.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.credentials.UpstreamCredentials;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.secrets.SecretRefs;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import dev.gatehouse.activities.http.BlockingHttp;
import dev.gatehouse.activities.http.Egress;
import dev.gatehouse.activities.http.EgressRefusedException;
import dev.gatehouse.activities.http.GuardedHttpClient;
import io.modelcontextprotocol.client.transport.HttpClientSseClientTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Builds MCP clients for upstream servers with the official SDK: Streamable HTTP over Gatehouse's
 * own {@link StreamableHttpClientTransport} (it resumes a response stream the server ends early,
 * which the SDK's transport does not, and opens the GET stream as soon as the session exists, so
 * nothing the server sends early is lost), legacy SSE, or
 * a stdio child process that gets only the environment its registry entry declares plus the
 * SDK's small safe set ({@code HOME, LOGNAME, PATH, SHELL, TERM, USER}, so {@code npx} and
 * interpreters resolve) — never the rest of the gateway's environment, where its secrets live.
 */
public class McpConnector {
  private static final Logger LOG = LoggerFactory.getLogger(McpConnector.class);
  private static final McpSchema.Implementation CLIENT_INFO = McpImplementation.GATEHOUSE;

  private final UpstreamCredentials credentials;
  /** The secret values each client sends (headers, token, environment), for redaction. */
  private final Map<McpAsyncClient, UpstreamCredentials.Resolved> secrets =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());
  /**
   * The same by server name, as last resolved for a client of that server: for what a server says
   * before a client exists or after it is gone (an {@code initialize} refused, a connection broken).
   */
  private final Map<String, UpstreamCredentials.Resolved> secretsByServer = new java.util.concurrent.ConcurrentHashMap<>();
  /**
   * The HTTP clients of Streamable HTTP upstream sessions, one per connect timeout, shared by all
   * sessions: a client per agent session would mean a selector thread and a connection pool per
   * session.
   */
  private final Map<java.time.Duration, java.net.http.HttpClient> httpClients = new java.util.concurrent.ConcurrentHashMap<>();
  /**
   * The same for egress-guarded servers (a tenant admin wrote them): each request checked before it
   * is sent ({@link GuardedHttpClient}), on connections of their own.
   */
  private final Map<java.time.Duration, java.net.http.HttpClient> guardedHttpClients = new java.util.concurrent.ConcurrentHashMap<>();
  /** Their blocking clients for direct requests, shared the same way. */
  private final Map<java.time.Duration, BlockingHttp> blockingClients = new java.util.concurrent.ConcurrentHashMap<>();
  /**
   * Each client's own Streamable HTTP transport. The transport refers back to its client (its
   * handlers do), so it is held weakly too: a weak key whose value holds it is never cleared, and
   * every agent session that had used an upstream stayed on the heap after it ended (a probe saw
   * about 21 KB each, without end).
   */
  private final Map<McpAsyncClient, java.lang.ref.WeakReference<StreamableHttpClientTransport>> transports =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  public McpConnector(UpstreamCredentials credentials) {
    this.credentials = credentials;
  }

  /**
   * {@code answer} with every secret value the client's connection carries replaced by {@code
   * [redacted]}, in every string of the tree: an upstream that echoes its credentials must not
   * hand them to the agent, nor into a workflow history.
   */
  public JsonNode redact(McpAsyncClient client, JsonNode answer) {
    UpstreamCredentials.Resolved resolved = secrets.get(client);
    if (resolved == null || resolved.secretValues().isEmpty() || answer == null) {
      return answer;
    }
    return resolved.redactTree(answer.deepCopy());
  }

  /**
   * {@code text} (an error message, a notification) with every secret value that the server's
   * connections carry replaced by {@code [redacted]}, and any long run of one ({@link
   * UpstreamCredentials.Resolved#redactMessage}): what an upstream says may echo the credentials it
   * was sent, and it goes to agents, tenant admins, histories and the log.
   */
  public String redact(String server, String text) {
    UpstreamCredentials.Resolved resolved = server == null ? null : secretsByServer.get(server);
    return resolved == null || text == null ? text : resolved.redactMessage(text);
  }

  /** As {@link #redact(String, String)} for every string of a tree, names included; {@code node} is not changed. */
  public JsonNode redact(String server, JsonNode node) {
    UpstreamCredentials.Resolved resolved = server == null ? null : secretsByServer.get(server);
    return resolved == null || node == null || !resolved.redacts() ? node : resolved.redactTree(node.deepCopy());
  }

  /**
   * Whether the credentials {@code client} was opened with (its headers' secret values, its OAuth
   * token) are what {@code server}'s record resolves to now: false after a secret got a new value
   * or the token was renewed (shortly before it expires). Always true for a record with no secret
   * reference and no authentication (nothing is looked up), for a stdio server, and when they cannot
   * be resolved now (a secret deleted, a token endpoint down): the session keeps what it has, and
   * the next look tries again.
   */
  public boolean credentialsCurrent(McpServerDefinition server, McpAsyncClient client) {
    if (McpServerDefinition.STDIO.equals(server.transport())
        || (server.auth() == null && server.headers().values().stream().noneMatch(v -> SecretRefs.REF.matcher(v).find()))) {
      return true;
    }
    UpstreamCredentials.Resolved opened = secrets.get(client);
    if (opened == null) {
      return true;
    }
    try {
      UpstreamCredentials.Resolved now =
          credentials.resolve("MCP server " + server.name(), server.tenantId(), server.headers(), server.auth(), server.egressGuarded());
      return now.headers().equals(opened.headers());
    } catch (RuntimeException e) {
      LOG.debug("MCP server {}: credentials not resolved for a check: {}", server.name(), e.getClass().getSimpleName());
      return true;
    }
  }

  /** The client's own Streamable HTTP transport, when it has one (else null). */
  public StreamableHttpClientTransport streamable(McpAsyncClient client) {
    java.lang.ref.WeakReference<StreamableHttpClientTransport> ref = transports.get(client);
    return ref == null ? null : ref.get();
  }

  /**
   * A new, not yet initialized client. Secrets are resolved now; failures are ToolCallExceptions,
   * except a guarded SSE server whose host resolves to an internal address: an unchecked exception
   * whose cause is the {@link EgressRefusedException} (see {@link Egress#refusal}).
   */
  public McpAsyncClient client(McpServerDefinition server, UpstreamHandlers handlers) {
    UpstreamCredentials.Resolved[] resolved = new UpstreamCredentials.Resolved[1];
    McpClientTransport transport = transport(server, handlers.exited(), resolved);
    // What the server sends on its own goes to agents and histories: with its secrets redacted
    UpstreamCredentials.Resolved scrub = resolved[0] != null && resolved[0].redacts() ? resolved[0] : null;
    var resourceUpdated = handlers.resourceUpdated();
    McpClient.AsyncSpec spec =
        McpClient.async(
                new ResourceUpdates(
                    transport,
                    resourceUpdated == null || scrub == null
                        ? resourceUpdated
                        : n -> resourceUpdated.apply(new McpSchema.ResourcesUpdatedNotification(scrub.redact(n.uri())))))
            .clientInfo(CLIENT_INFO)
            .jsonSchemaValidator(McpJson.PASS_THROUGH)
            .requestTimeout(server.timeoutOrDefault())
            .initializationTimeout(server.connectTimeoutOrDefault());
    McpSchema.ClientCapabilities.Builder caps = McpSchema.ClientCapabilities.builder();
    if (handlers.sampling() != null) {
      spec.sampling(handlers.sampling());
      caps.sampling();
    }
    if (handlers.elicitation() != null) {
      spec.elicitation(handlers.elicitation());
      caps.elicitation();
    }
    if (handlers.roots() != null) {
      spec.roots(handlers.roots());
      caps.roots(true);
    }
    spec.capabilities(caps.build());
    if (handlers.progress() != null) {
      var progress = handlers.progress();
      spec.progressConsumer(
          scrub == null
              ? progress
              : n -> progress.apply(new McpSchema.ProgressNotification(n.progressToken(), n.progress(), n.total(), scrub.redact(n.message()), n.meta())));
    }
    if (handlers.logging() != null) {
      var logging = handlers.logging();
      spec.loggingConsumer(
          scrub == null
              ? logging
              : n -> logging.apply(new McpSchema.LoggingMessageNotification(n.level(), scrub.redact(n.logger()), scrub.redact(n.data()), n.meta())));
    }
    if (handlers.listChanged() != null) {
      Runnable changed = handlers.listChanged();
      spec.toolsChangeConsumer(tools -> Mono.fromRunnable(changed));
      spec.promptsChangeConsumer(prompts -> Mono.fromRunnable(changed));
      spec.resourcesChangeConsumer(resources -> Mono.fromRunnable(changed));
    }
    McpAsyncClient client = spec.build();
    if (transport instanceof StreamableHttpClientTransport streamable) {
      transports.put(client, new java.lang.ref.WeakReference<>(streamable));
    }
    if (resolved[0] != null) {
      secrets.put(client, resolved[0]);
      secretsByServer.put(server.name(), resolved[0]);
    }
    return client;
  }

  private McpClientTransport transport(
      McpServerDefinition server, Runnable exited, UpstreamCredentials.Resolved[] resolved) {
    switch (server.transport()) {
      case McpServerDefinition.STREAMABLE_HTTP -> {
        resolved[0] =
            credentials.resolve("MCP server " + server.name(), server.tenantId(), server.headers(), server.auth(), server.egressGuarded());
        Map<String, String> headers = resolved[0].headers();
        java.net.http.HttpClient http =
            server.egressGuarded()
                ? guardedHttpClients.computeIfAbsent(
                    server.connectTimeoutOrDefault(), t -> new GuardedHttpClient(StreamableHttpClientTransport.newHttpClient(t)))
                : httpClients.computeIfAbsent(server.connectTimeoutOrDefault(), StreamableHttpClientTransport::newHttpClient);
        return StreamableHttpClientTransport.builder(server.url())
            .jsonMapper(McpJson.MAPPER)
            .httpClient(http)
            .blockingHttp(blockingClients.computeIfAbsent(server.connectTimeoutOrDefault(), BlockingHttp::new))
            .egressGuarded(server.egressGuarded())
            .headers(headers)
            .build();
      }
      case McpServerDefinition.SSE -> {
        if (server.egressGuarded()) {
          // Checked before the transport is built: a refusal inside the customizer below surfaces
          // from the SDK's SSE connect as a timeout (after connectTimeout), not as the refusal.
          // Later requests (the POSTs to the endpoint the server names) keep the customizer's check.
          try {
            Egress.check(URI.create(server.url()));
          } catch (EgressRefusedException e) {
            throw new java.io.UncheckedIOException(e.getMessage(), e);
          }
        }
        resolved[0] =
            credentials.resolve("MCP server " + server.name(), server.tenantId(), server.headers(), server.auth(), server.egressGuarded());
        Map<String, String> headers = resolved[0].headers();
        HttpClientSseClientTransport.Builder sse =
            HttpClientSseClientTransport.builder(origin(server.url()))
                .sseEndpoint(path(server.url()))
                .jsonMapper(McpJson.MAPPER)
                .connectTimeout(server.connectTimeoutOrDefault())
                .requestBuilder(withHeaders(headers));
        if (server.egressGuarded()) {
          // The SDK's client (its own, not shared, following no redirects) resolves each request's
          // host right after this check, from the JVM's DNS cache: see GuardedHttpClient.
          sse.httpRequestCustomizer(
              (request, method, uri, body, context) -> {
                try {
                  Egress.check(uri);
                } catch (EgressRefusedException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
        }
        return sse.build();
      }
      case McpServerDefinition.STDIO -> {
        resolved[0] = credentials.fill("MCP server " + server.name(), server.tenantId(), server.env());
        Map<String, String> env = resolved[0].headers();
        ServerParameters params = ServerParameters.builder(server.command()).args(server.args()).env(env).build();
        return new StdioTransport(params, server.workingDir(), server.name(), exited, resolved[0]::redactMessage);
      }
      default -> throw new IllegalArgumentException("unknown MCP transport '" + server.transport() + "'");
    }
  }

  private static HttpRequest.Builder withHeaders(Map<String, String> headers) {
    HttpRequest.Builder builder = HttpRequest.newBuilder();
    headers.forEach(builder::header);
    return builder;
  }

  static String origin(String url) {
    URI u = URI.create(url);
    return u.getScheme() + "://" + u.getRawAuthority();
  }

  static String path(String url) {
    URI u = URI.create(url);
    String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
    return u.getRawQuery() == null ? path : path + "?" + u.getRawQuery();
  }

  /** How long to wait before the next reconnect after {@code failures} failures in a row. */
  public static Duration backoff(int failures) {
    long millis = Math.min(30_000L, 500L << Math.min(failures, 10));
    return Duration.ofMillis(millis);
  }
}
