package dev.gatehouse.activities.mcp;

import dev.gatehouse.activities.http.NetworkFailures;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.registry.mcp.McpCatalogDao;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import reactor.core.publisher.Mono;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upstream server's shared client and its health: connecting and discovering its catalog
 * (stored in PostgreSQL), the periodic check (refresh when due or changed, else ping), the
 * failures in a row and the backoff before the next reconnect, and a stdio server's process
 * exit. A failed server is marked down and keeps its last catalog. Guarded by its own monitor,
 * so a slow or failing server holds up no other.
 */
final class UpstreamServer {
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamServer.class);
  private static final Duration PING_TIMEOUT = Duration.ofSeconds(5);

  /** What a server needs of the registry that holds it. */
  interface Registry {
    boolean closed();

    /** Refreshes server {@code name} soon, off the calling thread. */
    void refreshSoon(String name);

    /** Refreshes server {@code name} (its definition read anew) after {@code delayNanos}. */
    void refreshLater(String name, long delayNanos);

    /**
     * Closes {@code client}, server {@code name}'s shared client until the registry changed how the
     * server is reached, once the calls in flight on it have had {@code wait} to answer.
     */
    void retire(String name, McpAsyncClient client, Duration wait);
  }

  /** What all servers of a registry share. */
  record Shared(
      McpConnector connector,
      McpCatalogDao catalog,
      GatehouseMetrics metrics,
      ProgressRoutes progress,
      CatalogListeners listeners,
      Duration refreshInterval,
      Registry registry) {}

  private final String name;
  private final Shared shared;
  private McpServerDefinition definition;
  private McpAsyncClient client;
  private int failures;
  private long retryAtNanos;
  private long refreshedAtNanos;
  private String fingerprint;
  /** The last failure was an egress refusal (the server's host resolves to an address its writer may not reach). */
  private volatile boolean egressRefused;

  UpstreamServer(String name, Shared shared) {
    this.name = name;
    this.shared = shared;
  }

  /**
   * The shared client, connected (and discovered) on demand. Throws {@link
   * McpUnavailableException} when the server cannot be reached, without waiting out a backoff.
   */
  McpAsyncClient client(McpServerDefinition server) {
    synchronized (this) {
      if (client != null && server.equals(definition)) {
        return client;
      }
    }
    if (!refresh(server)) {
      throw new McpUnavailableException("MCP server " + server.name() + " is not reachable: " + lastError(), egressRefused);
    }
    synchronized (this) {
      if (client == null) {
        throw new McpUnavailableException("MCP server " + server.name() + " is not reachable");
      }
      return client;
    }
  }

  private String lastError() {
    return shared.catalog().status(name).map(s -> s.error() == null ? "unknown error" : s.error()).orElse("not checked yet");
  }

  /**
   * The periodic check: refresh when due or changed, reconnect when the credentials the client was
   * opened with are no longer what the record resolves to (a secret's new value, a renewed OAuth
   * token), else ping.
   */
  void check(McpServerDefinition def) {
    long now = System.nanoTime();
    McpAsyncClient current;
    synchronized (this) {
      boolean changed = !def.equals(definition);
      boolean due =
          client == null ? now - retryAtNanos >= 0 : now - refreshedAtNanos >= shared.refreshInterval().toNanos();
      current = changed || due ? null : client;
    }
    if (current != null && !shared.connector().credentialsCurrent(def, current)) {
      synchronized (this) {
        if (client == current) {
          retireClient();
        }
      }
      refresh(def);
      return;
    }
    if (current == null) {
      synchronized (this) {
        if (client == null && now - retryAtNanos < 0 && def.equals(definition)) {
          return; // backing off
        }
      }
      refresh(def);
      return;
    }
    try {
      Duration limit = def.connectTimeoutOrDefault();
      current.ping().block(limit.compareTo(PING_TIMEOUT) < 0 ? limit : PING_TIMEOUT);
    } catch (RuntimeException e) {
      synchronized (this) {
        if (client != current) {
          return; // dropped or replaced meanwhile (a call's transport failure): the next check sees the new one
        }
      }
      failed(def, e);
    }
  }

  /** Connects if needed, lists everything, stores it; false when the server failed. */
  synchronized boolean refresh(McpServerDefinition def) {
    if (shared.registry().closed()) {
      return false;
    }
    try {
      if (client == null || !def.equals(definition)) {
        retireClient();
        definition = def;
        McpAsyncClient[] self = new McpAsyncClient[1];
        McpAsyncClient connected =
            shared
                .connector()
                .client(
                    def,
                    new UpstreamHandlers(
                        // Declared, so that a server which offers some tools only to clients that
                        // can sample, elicit or list roots lists them here too (the reference
                        // server does). With no agent behind this client there is no one to ask:
                        // sampling fails, elicitation is declined, and the roots are none. An
                        // agent's own session declares what its client does.
                        request -> Mono.error(McpError.builder(McpSchema.ErrorCodes.INVALID_REQUEST)
                            .message("sampling is relayed to an agent on its own MCP session only; this call has none")
                            .build()),
                        request -> Mono.just(new McpSchema.ElicitResult(McpSchema.ElicitResult.Action.DECLINE, null, null)),
                        List.of(),
                        shared.progress()::progressed,
                        null,
                        null,
                        () -> shared.registry().refreshSoon(name),
                        () -> exited(self[0])));
        self[0] = connected;
        client = connected;
        connected.initialize().block(def.connectTimeoutOrDefault().plusSeconds(5));
      }
      McpSchema.InitializeResult init = client.getCurrentInitializationResult();
      // descriptions and schemas as the server wrote them, but for the secrets it was sent
      List<McpCatalogEntry> entries =
          McpDiscovery.discover(def, client, init == null ? null : init.capabilities()).stream()
              .map(e -> new McpCatalogEntry(e.server(), e.kind(), e.name(), shared.connector().redact(def.name(), e.body())))
              .toList();
      JsonNode info = init == null ? null : shared.connector().redact(def.name(), McpJson.tree(init.serverInfo()));
      JsonNode caps = init == null ? null : McpJson.tree(init.capabilities());
      shared.catalog().replace(def.name(), entries, info, caps);
      failures = 0;
      refreshedAtNanos = System.nanoTime();
      int tools = (int) entries.stream().filter(e -> e.kind().equals(McpCatalogEntry.TOOL)).count();
      shared.metrics().mcpServer(def.name(), true, tools);
      String print = Integer.toHexString(entries.hashCode());
      boolean changed = !print.equals(fingerprint);
      fingerprint = print;
      if (changed) {
        shared.listeners().changed(def.name());
      }
      return true;
    } catch (RuntimeException e) {
      failed(def, e);
      return false;
    }
  }

  /** A stdio server's process ended: mark it down now and restart it after the backoff. */
  private void exited(McpAsyncClient exitedClient) {
    McpServerDefinition def;
    synchronized (this) {
      if (shared.registry().closed() || exitedClient == null || client != exitedClient) {
        return; // closed on purpose, or already replaced
      }
      def = definition;
    }
    failed(def, new IllegalStateException("the server's process exited"));
    long delay = Math.max(0, retryAtNanos - System.nanoTime());
    shared.registry().refreshLater(name, delay);
  }

  private void failed(McpServerDefinition def, RuntimeException e) {
    // what the server said may echo the credentials it was sent: the log, the catalog's status
    // (which tenant admins read) and the agents' errors get it redacted
    String error = shared.connector().redact(def.name(), NetworkFailures.describe(e));
    egressRefused = dev.gatehouse.activities.http.Egress.refusal(e) != null;
    synchronized (this) {
      closeClient();
      definition = def;
      failures++;
      retryAtNanos = System.nanoTime() + McpConnector.backoff(failures).toNanos();
    }
    LOG.warn("MCP server {} is down ({} failures in a row): {}", def.name(), failures, error);
    // The gauge first: whoever sees the stored state sees the gauge agree.
    shared.metrics().mcpServer(def.name(), false, 0);
    try {
      shared.catalog().markDown(def.name(), error);
    } catch (RuntimeException db) {
      LOG.warn("could not record MCP server {} as down: {}", def.name(), db.toString());
    }
  }

  /** Drops the shared client if it is still {@code failed}: the next use reconnects. */
  synchronized void closeClient(McpAsyncClient failed) {
    if (client == failed) {
      closeClient();
    }
  }

  /** Drops the shared client (after a transport failure, or for good): the next use reconnects. */
  synchronized void closeClient() {
    McpAsyncClient c = client;
    client = null;
    closeQuietly(c);
  }

  /**
   * Drops the shared client because the registry changed how the server is reached (its URL,
   * headers, timeout, a secret they name), or removed it, not because it broke: the next use
   * connects anew, and the calls in flight on the old client are not cut off. Cut off, a durable
   * call failed as {@code upstream_error} after the server had run it, and the engine ran it again
   * (a probe's rotated secret made a 35 s call run twice). The old client is closed once they have
   * had the call timeout it was opened with.
   */
  synchronized void retireClient() {
    McpAsyncClient c = client;
    client = null;
    if (c != null) {
      Duration timeout = definition == null ? McpServerDefinition.DEFAULT_TIMEOUT : definition.timeoutOrDefault();
      shared.registry().retire(name, c, timeout.plus(McpUpstreams.RETIRE_GRACE));
    }
  }

  static void closeQuietly(McpAsyncClient c) {
    if (c != null) {
      try {
        c.closeGracefully().block(Duration.ofSeconds(2));
      } catch (RuntimeException e) {
        c.close();
      }
    }
  }
}
