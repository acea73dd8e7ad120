package dev.gatehouse.activities.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.registry.mcp.McpCatalogDao;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.mcp.McpServerDao;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's own connection to each upstream MCP server: discovery (tools, resources, resource
 * templates and prompts, stored in PostgreSQL), health, and the client the durable path calls
 * through. A server is refreshed when it says its lists changed, when the registry changes it, and
 * on a schedule; between refreshes it is pinged. A server that fails is marked down (its last
 * catalog stays) and reconnected with backoff — for a stdio server that means its child process is
 * restarted. Nothing here blocks the others: each server has its own state and failures stay
 * there. Connections are made on demand and closed on shutdown.
 */
public class McpUpstreams implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(McpUpstreams.class);
  private static final Duration PING_TIMEOUT = Duration.ofSeconds(5);

  private final McpServerDao servers;
  private final McpCatalogDao catalog;
  private final McpConnector connector;
  private final GatehouseMetrics metrics;
  private final Duration refreshInterval;
  private final Duration healthInterval;
  private final ScheduledExecutorService scheduler;
  private final Map<String, Upstream> upstreams = new ConcurrentHashMap<>();
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
  private final Map<Object, dev.gatehouse.activities.tool.CallContext.Progress> progress = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** One server's shared client and its health. Guarded by its own monitor. */
  private final class Upstream {
    final String name;
    McpServerDefinition definition;
    McpAsyncClient client;
    int failures;
    long retryAtNanos;
    long refreshedAtNanos;
    String fingerprint;

    Upstream(String name) {
      this.name = name;
    }
  }

  public McpUpstreams(
      Jdbi jdbi, McpConnector connector, GatehouseMetrics metrics, Duration refreshInterval, Duration healthInterval) {
    this.servers = jdbi.onDemand(McpServerDao.class);
    this.catalog = jdbi.onDemand(McpCatalogDao.class);
    this.connector = connector;
    this.metrics = metrics;
    this.refreshInterval = refreshInterval;
    this.healthInterval = healthInterval;
    this.scheduler =
        Executors.newScheduledThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "mcp-upstreams");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts discovery of every registered server now and the periodic checks. */
  public void start() {
    scheduler.scheduleWithFixedDelay(this::tick, 0, healthInterval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Called with a server's name whenever its discovered catalog changed (or it was removed). */
  public void onCatalogChanged(Consumer<String> listener) {
    listeners.add(listener);
  }

  /** Refreshes one server soon (after a registry change, or an admin's request). */
  public void refreshSoon(String name) {
    if (!closed) {
      scheduler.execute(() -> refreshNow(name));
    }
  }

  /** Refreshes one server now, on the calling thread; false when it is down or gone. */
  public boolean refreshNow(String name) {
    Optional<McpServerDefinition> def = servers.find(name);
    if (def.isEmpty()) {
      forget(name);
      return false;
    }
    return refresh(upstream(name), def.get());
  }

  /**
   * The shared client of a server, connected (and discovered) on demand. Throws {@link
   * McpUnavailableException} when it cannot be reached, without waiting out a backoff.
   */
  public McpAsyncClient client(McpServerDefinition server) {
    Upstream u = upstream(server.name());
    synchronized (u) {
      if (u.client != null && server.equals(u.definition)) {
        return u.client;
      }
    }
    if (!refresh(u, server)) {
      throw new McpUnavailableException("MCP server " + server.name() + " is not reachable: " + lastError(server.name()));
    }
    synchronized (u) {
      if (u.client == null) {
        throw new McpUnavailableException("MCP server " + server.name() + " is not reachable");
      }
      return u.client;
    }
  }

  /** Routes the shared clients' progress notifications with {@code token} to {@code sink} (null: stop). */
  public void onProgress(Object token, dev.gatehouse.activities.tool.CallContext.Progress sink) {
    if (sink == null) {
      progress.remove(token);
    } else {
      progress.put(token, sink);
    }
  }

  private reactor.core.publisher.Mono<Void> progressed(McpSchema.ProgressNotification n) {
    var sink = n.progressToken() == null ? null : progress.get(n.progressToken());
    if (sink != null) {
      sink.report(n.progress(), n.total(), n.message());
    }
    return reactor.core.publisher.Mono.empty();
  }

  /** Drops a server's shared client after a transport failure, so the next use reconnects. */
  public void reset(String name) {
    Upstream u = upstreams.get(name);
    if (u != null) {
      synchronized (u) {
        closeClient(u);
      }
    }
  }

  private String lastError(String name) {
    return catalog.status(name).map(s -> s.error() == null ? "unknown error" : s.error()).orElse("not checked yet");
  }

  private Upstream upstream(String name) {
    return upstreams.computeIfAbsent(name, Upstream::new);
  }

  private void tick() {
    if (closed) {
      return;
    }
    try {
      List<McpServerDefinition> all = servers.list();
      Set<String> names = new HashSet<>();
      for (McpServerDefinition def : all) {
        names.add(def.name());
      }
      for (String known : List.copyOf(upstreams.keySet())) {
        if (!names.contains(known)) {
          forget(known);
        }
      }
      for (McpServerDefinition def : all) {
        check(upstream(def.name()), def);
      }
    } catch (RuntimeException e) {
      LOG.warn("MCP upstream check failed: {}", e.toString());
    }
  }

  /** Periodic check of one server: refresh when due or changed, else ping. */
  private void check(Upstream u, McpServerDefinition def) {
    long now = System.nanoTime();
    McpAsyncClient client;
    synchronized (u) {
      boolean changed = !def.equals(u.definition);
      boolean due = u.client == null ? now - u.retryAtNanos >= 0 : now - u.refreshedAtNanos >= refreshInterval.toNanos();
      if (changed || due) {
        client = null;
      } else {
        client = u.client;
      }
    }
    if (client == null) {
      synchronized (u) {
        if (u.client == null && now - u.retryAtNanos < 0 && def.equals(u.definition)) {
          return; // backing off
        }
      }
      refresh(u, def);
      return;
    }
    try {
      Duration limit = def.connectTimeoutOrDefault();
      client.ping().block(limit.compareTo(PING_TIMEOUT) < 0 ? limit : PING_TIMEOUT);
    } catch (RuntimeException e) {
      failed(u, def, e);
    }
  }

  /** Connects if needed, lists everything, stores it. */
  private boolean refresh(Upstream u, McpServerDefinition def) {
    synchronized (u) {
      if (closed) {
        return false;
      }
      try {
        if (u.client == null || !def.equals(u.definition)) {
          closeClient(u);
          u.definition = def;
          McpAsyncClient[] self = new McpAsyncClient[1];
          McpAsyncClient client =
              connector.client(
                  def,
                  new UpstreamHandlers(
                      null, null, null, this::progressed, null, null, () -> refreshSoon(u.name), () -> exited(u, self[0])));
          self[0] = client;
          u.client = client;
          client.initialize().block(def.connectTimeoutOrDefault().plusSeconds(5));
        }
        McpSchema.InitializeResult init = u.client.getCurrentInitializationResult();
        List<McpCatalogEntry> entries = discover(def, u.client, init == null ? null : init.capabilities());
        JsonNode info = init == null ? null : McpJson.tree(init.serverInfo());
        JsonNode caps = init == null ? null : McpJson.tree(init.capabilities());
        catalog.replace(def.name(), entries, info, caps);
        u.failures = 0;
        u.refreshedAtNanos = System.nanoTime();
        int tools = (int) entries.stream().filter(e -> e.kind().equals(McpCatalogEntry.TOOL)).count();
        metrics.mcpServer(def.name(), true, tools);
        String fingerprint = Integer.toHexString(entries.hashCode());
        boolean changed = !fingerprint.equals(u.fingerprint);
        u.fingerprint = fingerprint;
        if (changed) {
          notifyChanged(def.name());
        }
        return true;
      } catch (RuntimeException e) {
        failed(u, def, e);
        return false;
      }
    }
  }

  /** A stdio server's process ended: mark it down now and restart it after the backoff. */
  private void exited(Upstream u, McpAsyncClient client) {
    McpServerDefinition def;
    synchronized (u) {
      if (closed || client == null || u.client != client) {
        return; // closed on purpose, or already replaced
      }
      def = u.definition;
    }
    failed(u, def, new IllegalStateException("the server's process exited"));
    long delay = Math.max(0, u.retryAtNanos - System.nanoTime());
    if (!closed) {
      scheduler.schedule(() -> refreshNow(u.name), delay, TimeUnit.NANOSECONDS);
    }
  }

  private void failed(Upstream u, McpServerDefinition def, RuntimeException e) {
    String error = describe(e);
    synchronized (u) {
      closeClient(u);
      u.definition = def;
      u.failures++;
      u.retryAtNanos = System.nanoTime() + McpConnector.backoff(u.failures).toNanos();
    }
    LOG.warn("MCP server {} is down ({} failures in a row): {}", def.name(), u.failures, error);
    try {
      catalog.markDown(def.name(), error);
    } catch (RuntimeException db) {
      LOG.warn("could not record MCP server {} as down: {}", def.name(), db.toString());
    }
    metrics.mcpServer(def.name(), false, 0);
  }

  private static List<McpCatalogEntry> discover(
      McpServerDefinition def, McpAsyncClient client, McpSchema.ServerCapabilities caps) {
    Duration timeout = def.timeoutOrDefault();
    List<McpCatalogEntry> entries = new ArrayList<>();
    if (caps == null || caps.tools() != null) {
      String cursor = null;
      do {
        McpSchema.ListToolsResult page = client.listTools(cursor).block(timeout);
        for (McpSchema.Tool t : page.tools()) {
          entries.add(new McpCatalogEntry(def.name(), McpCatalogEntry.TOOL, t.name(), McpJson.tree(t)));
        }
        cursor = page.nextCursor();
      } while (cursor != null);
    }
    if (caps != null && caps.resources() != null) {
      String cursor = null;
      do {
        McpSchema.ListResourcesResult page = client.listResources(cursor).block(timeout);
        for (McpSchema.Resource r : page.resources()) {
          entries.add(new McpCatalogEntry(def.name(), McpCatalogEntry.RESOURCE, r.uri(), McpJson.tree(r)));
        }
        cursor = page.nextCursor();
      } while (cursor != null);
      cursor = null;
      do {
        McpSchema.ListResourceTemplatesResult page = client.listResourceTemplates(cursor).block(timeout);
        for (McpSchema.ResourceTemplate r : page.resourceTemplates()) {
          entries.add(
              new McpCatalogEntry(def.name(), McpCatalogEntry.RESOURCE_TEMPLATE, r.uriTemplate(), McpJson.tree(r)));
        }
        cursor = page.nextCursor();
      } while (cursor != null);
    }
    if (caps != null && caps.prompts() != null) {
      String cursor = null;
      do {
        McpSchema.ListPromptsResult page = client.listPrompts(cursor).block(timeout);
        for (McpSchema.Prompt p : page.prompts()) {
          entries.add(new McpCatalogEntry(def.name(), McpCatalogEntry.PROMPT, p.name(), McpJson.tree(p)));
        }
        cursor = page.nextCursor();
      } while (cursor != null);
    }
    return entries;
  }

  private void forget(String name) {
    Upstream u = upstreams.remove(name);
    if (u != null) {
      synchronized (u) {
        closeClient(u);
      }
      metrics.mcpServerRemoved(name);
      notifyChanged(name);
    }
  }

  private void notifyChanged(String name) {
    for (Consumer<String> l : listeners) {
      try {
        l.accept(name);
      } catch (RuntimeException e) {
        LOG.warn("MCP catalog listener failed: {}", e.toString());
      }
    }
  }

  private static void closeClient(Upstream u) {
    McpAsyncClient c = u.client;
    u.client = null;
    if (c != null) {
      try {
        c.closeGracefully().block(Duration.ofSeconds(2));
      } catch (RuntimeException e) {
        c.close();
      }
    }
  }

  /** A short, secret-free description of a failure: the root cause's type and message. */
  public static String describe(Throwable e) {
    Throwable root = e;
    Set<Throwable> seen = new HashSet<>();
    while (root.getCause() != null && seen.add(root)) {
      root = root.getCause();
    }
    String message = Objects.requireNonNullElse(root.getMessage(), "");
    String text = root.getClass().getSimpleName() + (message.isBlank() ? "" : ": " + message);
    return text.length() > 300 ? text.substring(0, 300) : text;
  }

  @Override
  public void close() {
    closed = true;
    scheduler.shutdownNow();
    for (Upstream u : upstreams.values()) {
      synchronized (u) {
        closeClient(u);
      }
    }
    upstreams.clear();
  }
}
