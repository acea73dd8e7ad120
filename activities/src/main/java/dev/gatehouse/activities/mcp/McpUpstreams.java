package dev.gatehouse.activities.mcp;


import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.activities.tool.CallContext;
import dev.gatehouse.registry.mcp.McpCatalogDao;
import dev.gatehouse.registry.mcp.McpServerDao;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import io.modelcontextprotocol.client.McpAsyncClient;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's own connection to each upstream MCP server: the registry of connected servers
 * and the schedule that keeps them. Every health interval it reads the registered servers,
 * forgets the ones removed and checks each of the others ({@link UpstreamServer}: refreshed when
 * due, changed or backing off no more, else pinged; discovery in {@link McpDiscovery}). A server
 * is also refreshed when it says its lists changed, when the registry changes it, and after a
 * stdio server's process exited. The durable path calls through a server's shared client; their
 * progress notifications are routed by token ({@link ProgressRoutes}). Connections are made on
 * demand and closed on shutdown.
 */
public class McpUpstreams implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(McpUpstreams.class);

  private final McpServerDao servers;
  private final GatehouseMetrics metrics;
  private final Duration healthInterval;
  private final ScheduledExecutorService scheduler;
  /**
   * Where each server's checks and refreshes run, one at a time per server ({@link #checking}), so
   * a server that is slow to answer (up to its connect timeout and discovery's 60 s) holds up only
   * itself: the periodic check ran every server in turn on one thread, and one slow server (any
   * tenant may register one) kept every other tenant's servers undiscovered behind it.
   */
  private final java.util.concurrent.ThreadPoolExecutor checks;
  /** The servers whose check or refresh is queued or running. */
  private final Set<String> checking = ConcurrentHashMap.newKeySet();
  /** Servers whose refresh was asked for while one was running: refreshed again after it. */
  private final Set<String> refreshAgain = ConcurrentHashMap.newKeySet();
  /** The most checks that run at once. */
  static final int CHECK_THREADS = 32;
  /**
   * The most checks of one tenant's servers (or of the global ones) that run at once; the rest
   * wait their turn in the tenant's queue, not on a thread. A tenant admin can register a thousand
   * servers that never answer, each held up to its connect timeout: with no share, 32 of them held
   * every thread, and every other tenant's servers waited undiscovered behind them.
   */
  static final int CHECKS_PER_TENANT = 8;
  private final int checksPerTenant;
  /** Per tenant (the global servers under ""): how many of its checks run, and those waiting. */
  private final Map<String, TenantChecks> tenantChecks = new ConcurrentHashMap<>();

  private static final class TenantChecks {
    int running;
    final java.util.ArrayDeque<Runnable> waiting = new java.util.ArrayDeque<>();
  }
  private final Map<String, UpstreamServer> upstreams = new ConcurrentHashMap<>();
  private final CatalogListeners listeners = new CatalogListeners();
  private final ProgressRoutes progress = new ProgressRoutes();
  private final UpstreamServer.Shared shared;
  private volatile boolean closed;
  /**
   * How long past its call timeout an upstream session replaced by a change of the registry stays
   * open for the calls in flight on it (the shared client's here, an agent session's in the MCP face).
   */
  public static final Duration RETIRE_GRACE = Duration.ofSeconds(5);
  /** Most replaced shared clients of one server kept open for their calls in flight. */
  static final int MAX_RETIRED = 2;
  /** Shared clients replaced while calls may be in flight on them, oldest first, with their server's name. */
  private final java.util.LinkedHashMap<McpAsyncClient, String> retired = new java.util.LinkedHashMap<>();

  public McpUpstreams(
      Jdbi jdbi, McpConnector connector, GatehouseMetrics metrics, Duration refreshInterval, Duration healthInterval) {
    this(jdbi, connector, metrics, refreshInterval, healthInterval, CHECK_THREADS, CHECKS_PER_TENANT);
  }

  /** With {@code checkThreads} threads for checks, at most {@code checksPerTenant} of them one tenant's (tests). */
  McpUpstreams(
      Jdbi jdbi,
      McpConnector connector,
      GatehouseMetrics metrics,
      Duration refreshInterval,
      Duration healthInterval,
      int checkThreads,
      int checksPerTenant) {
    this.checksPerTenant = checksPerTenant;
    this.servers = jdbi.onDemand(McpServerDao.class);
    this.metrics = metrics;
    this.healthInterval = healthInterval;
    this.shared =
        new UpstreamServer.Shared(
            connector, jdbi.onDemand(McpCatalogDao.class), metrics, progress, listeners, refreshInterval, new Registry());
    this.scheduler =
        Executors.newScheduledThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "mcp-upstreams");
              t.setDaemon(true);
              return t;
            });
    this.checks =
        new java.util.concurrent.ThreadPoolExecutor(
            checkThreads,
            checkThreads,
            60,
            TimeUnit.SECONDS,
            new java.util.concurrent.LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "mcp-upstream-check");
              t.setDaemon(true);
              return t;
            });
    this.checks.allowCoreThreadTimeOut(true);
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
    if (closed) {
      return;
    }
    if (!checking.add(name)) {
      refreshAgain.add(name); // one is queued or running: another follows it, with what is registered then
      return;
    }
    String tenant;
    try {
      tenant = servers.find(name).map(McpServerDefinition::tenantId).orElse(null);
    } catch (RuntimeException e) {
      tenant = null; // the refresh reads it again, and says what failed
    }
    runCheck(name, tenant, () -> refreshNow(name));
  }

  /**
   * Runs {@code work} for server {@code name} of {@code tenant} (null: global), which holds its
   * place in {@link #checking}, on the check pool: at once when fewer than {@link
   * #CHECKS_PER_TENANT} of the tenant's checks run, else once one of them ends.
   */
  private void runCheck(String name, String tenant, Runnable work) {
    String key = tenant == null ? "" : tenant;
    Runnable task =
        () -> {
          try {
            work.run();
          } catch (RuntimeException e) {
            LOG.warn("MCP server {}: check failed: {}", name, e.toString());
          } finally {
            checking.remove(name);
            ended(key);
            if (refreshAgain.remove(name)) {
              refreshSoon(name);
            }
          }
        };
    TenantChecks mine = tenantChecks.computeIfAbsent(key, k -> new TenantChecks());
    synchronized (mine) {
      if (mine.running >= checksPerTenant) {
        mine.waiting.add(task);
        return;
      }
      mine.running++;
    }
    submit(task, name, key);
  }

  /** One of the tenant's checks ended: the next of its waiting ones takes its place. */
  private void ended(String key) {
    TenantChecks mine = tenantChecks.get(key);
    Runnable next;
    synchronized (mine) {
      next = mine.waiting.poll();
      if (next == null) {
        mine.running--;
      }
    }
    if (next != null) {
      submit(next, null, key);
    }
  }

  private void submit(Runnable task, String name, String key) {
    try {
      checks.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      if (name != null) {
        checking.remove(name); // closed
      }
    }
  }

  /** Refreshes one server now, on the calling thread; false when it is down or gone. */
  public boolean refreshNow(String name) {
    Optional<McpServerDefinition> def = servers.find(name);
    if (def.isEmpty()) {
      forget(name);
      return false;
    }
    return upstream(name).refresh(def.get());
  }

  /**
   * The shared client of a server, connected (and discovered) on demand. Throws {@link
   * McpUnavailableException} when it cannot be reached, without waiting out a backoff.
   */
  public McpAsyncClient client(McpServerDefinition server) {
    return upstream(server.name()).client(server);
  }

  /** Routes the shared clients' progress notifications with {@code token} to {@code sink} (null: stop). */
  public void onProgress(Object token, CallContext.Progress sink) {
    progress.route(token, sink);
  }

  /**
   * Drops a server's shared client {@code failed} after a transport failure, so the next use
   * reconnects; a client that already replaced it is kept.
   */
  public void reset(String name, McpAsyncClient failed) {
    UpstreamServer u = upstreams.get(name);
    if (u != null) {
      u.closeClient(failed);
    }
  }

  private UpstreamServer upstream(String name) {
    return upstreams.computeIfAbsent(name, n -> new UpstreamServer(n, shared));
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
        // A server still being checked (or refreshed) is left for the next tick.
        if (checking.add(def.name())) {
          runCheck(def.name(), def.tenantId(), () -> upstream(def.name()).check(def));
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("MCP upstream check failed: {}", e.toString());
    }
  }

  private void forget(String name) {
    UpstreamServer u = upstreams.remove(name);
    if (u != null) {
      u.retireClient(); // calls in flight answer: they were let through when the server was there
      metrics.mcpServerRemoved(name);
      listeners.changed(name);
    }
  }

  /** The registry as its servers see it. */
  private final class Registry implements UpstreamServer.Registry {
    @Override
    public boolean closed() {
      return closed;
    }

    @Override
    public void refreshSoon(String name) {
      McpUpstreams.this.refreshSoon(name);
    }

    @Override
    public void refreshLater(String name, long delayNanos) {
      if (!closed) {
        scheduler.schedule(() -> refreshSoon(name), delayNanos, TimeUnit.NANOSECONDS);
      }
    }

    @Override
    public void retire(String name, McpAsyncClient client, Duration wait) {
      McpAsyncClient early = null;
      synchronized (retired) {
        if (!closed) {
          retired.put(client, name);
          // At most MAX_RETIRED of one server's at once (a tenant admin changing a record in a
          // loop): the oldest of them is closed now.
          long same = retired.values().stream().filter(name::equals).count();
          if (same > MAX_RETIRED) {
            for (var e : retired.entrySet()) {
              if (e.getValue().equals(name)) {
                early = e.getKey();
                break;
              }
            }
            retired.remove(early);
          }
        } else {
          early = client;
        }
      }
      UpstreamServer.closeQuietly(early);
      if (early != client) {
        try {
          scheduler.schedule(() -> closeRetired(client), wait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException shutDown) {
          closeRetired(client);
        }
      }
    }
  }

  private void closeRetired(McpAsyncClient client) {
    boolean mine;
    synchronized (retired) {
      mine = retired.remove(client) != null;
    }
    if (mine) {
      UpstreamServer.closeQuietly(client);
    }
  }

  @Override
  public void close() {
    closed = true;
    scheduler.shutdownNow();
    checks.shutdownNow();
    for (UpstreamServer u : upstreams.values()) {
      u.closeClient();
    }
    upstreams.clear();
    List<McpAsyncClient> left;
    synchronized (retired) {
      left = List.copyOf(retired.keySet());
      retired.clear();
    }
    left.forEach(UpstreamServer::closeQuietly);
  }
}
