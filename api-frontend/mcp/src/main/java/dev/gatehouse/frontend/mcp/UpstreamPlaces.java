package dev.gatehouse.frontend.mcp;

import dev.gatehouse.activities.tool.ToolCallException;
import dev.gatehouse.frontend.core.admission.Shares;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The upstream sessions agents' MCP sessions hold open on this replica: each agent session opens
 * its own with every HTTP server it uses (a session, a listening stream, pooled connections), so
 * without a bound they multiply as sessions times servers. A probe counted 900 file descriptors for
 * 100 sessions of 9 servers; 500 sessions of one agent using 40 servers would have taken the
 * replica's 20,000, and every tenant's connections with them. Past {@code max} on the replica, or
 * {@code maxPerTenant} of one tenant's agents, a call that would open another is refused ({@code
 * overloaded}, nothing sent); the places come back when the agent sessions end.
 */
final class UpstreamPlaces {
  private final int max;
  private final int maxPerTenant;
  private final AtomicInteger open = new AtomicInteger();
  private final Shares byTenant = new Shares();

  UpstreamPlaces(int max, int maxPerTenant) {
    this.max = max;
    this.maxPerTenant = maxPerTenant;
  }

  /** A place for one more upstream session of tenant {@code tenantId}'s agents; refused when there is none. */
  void take(String tenantId) {
    if (!byTenant.take(tenantId, maxPerTenant)) {
      throw refused(maxPerTenant + " MCP server sessions are held open on this replica by this tenant's agents (mcp.maxUpstreamSessionsPerTenant)");
    }
    if (open.incrementAndGet() > max) {
      open.decrementAndGet();
      byTenant.giveBack(tenantId);
      throw refused(max + " MCP server sessions are held open on this replica (mcp.maxUpstreamSessions)");
    }
  }

  /** Gives back {@code count} places of tenant {@code tenantId}. */
  void release(String tenantId, int count) {
    for (int i = 0; i < count; i++) {
      byTenant.giveBack(tenantId);
      open.decrementAndGet();
    }
  }

  /** The upstream sessions held open now. */
  int open() {
    return open.get();
  }

  private static ToolCallException refused(String what) {
    return new ToolCallException(
        ToolFailureTypes.OVERLOADED, what + "; end unused MCP sessions (DELETE) or retry later", true, 429);
  }
}
