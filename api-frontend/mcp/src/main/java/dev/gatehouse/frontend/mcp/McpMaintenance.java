package dev.gatehouse.frontend.mcp;

import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.frontend.mcp.McpConfig;
import dev.gatehouse.registry.agents.AgentDao;
import io.dropwizard.lifecycle.Managed;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MCP face's housekeeping: tells open sessions when their tool list changed (an upstream's
 * tools, or the agent's permissions, read fresh from PostgreSQL so a change made through another
 * replica is seen too), closes idle sessions and those of agents deleted since they opened (at
 * each sweep: every half idle timeout, at most a minute apart), and reports how many are open.
 */
final class McpMaintenance implements Managed {
  private static final Logger LOG = LoggerFactory.getLogger(McpMaintenance.class);

  private final McpSessions sessions;
  private final AgentDao agents;
  private final GatehouseMetrics metrics;
  private final McpConfig config;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "mcp-maintenance");
            t.setDaemon(true);
            return t;
          });

  McpMaintenance(McpSessions sessions, Jdbi jdbi, GatehouseMetrics metrics, McpConfig config) {
    this.sessions = sessions;
    this.agents = jdbi.onDemand(AgentDao.class);
    this.metrics = metrics;
    this.config = config;
  }

  @Override
  public void start() {
    long listEvery = Math.max(100, config.getListChangedInterval().toMilliseconds());
    scheduler.scheduleWithFixedDelay(this::checkLists, listEvery, listEvery, TimeUnit.MILLISECONDS);
    Duration idle = config.getSessionIdleTimeout().toJavaDuration();
    long sweepEvery = Math.max(1_000, Math.min(idle.toMillis() / 2, 60_000));
    scheduler.scheduleWithFixedDelay(() -> sweep(idle), sweepEvery, sweepEvery, TimeUnit.MILLISECONDS);
  }

  private void checkLists() {
    try {
      sessions.notifyToolListChanges(agents::find);
      metrics.mcpSessions(sessions.open());
    } catch (RuntimeException e) {
      LOG.warn("MCP tool-list check failed: {}", e.toString());
    }
    closeOrphaned();
  }

  /**
   * Ends the sessions of agents deleted since, with their direct calls in flight (as a DELETE of
   * the session does), at the list check's pace rather than the idle sweep's: a deleted agent's
   * calls had run on, and their results reached it, for up to a minute.
   */
  private void closeOrphaned() {
    try {
      int orphaned = sessions.closeOrphaned(ids -> java.util.Set.copyOf(agents.existing(ids.toArray(String[]::new))));
      if (orphaned > 0) {
        LOG.info("closed {} MCP session(s) of deleted agents", orphaned);
      }
    } catch (RuntimeException e) {
      LOG.warn("MCP session check of deleted agents failed: {}", e.toString());
    }
  }

  private void sweep(Duration idle) {
    try {
      int closed = sessions.expireIdle(idle);
      if (closed > 0) {
        LOG.info("closed {} idle MCP session(s)", closed);
      }
    } catch (RuntimeException e) {
      LOG.warn("MCP session sweep failed: {}", e.toString());
    }
  }

  @Override
  public void stop() {
    scheduler.shutdownNow();
    sessions.close();
  }
}
