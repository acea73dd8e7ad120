package dev.gatehouse.frontend.app.health;

import com.codahale.metrics.health.HealthCheck;
import dev.gatehouse.registry.mcp.McpCatalogDao;
import dev.gatehouse.registry.mcp.McpServerStatus;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/**
 * Reports which upstream MCP servers are down, as their last check saw them. It stays healthy
 * even then: an upstream that is down is that server's problem, and taking this replica out of the
 * load balancer would only take the other servers' tools away too.
 */
public class McpServersHealthCheck extends HealthCheck {
  private final McpCatalogDao catalog;

  public McpServersHealthCheck(Jdbi jdbi) {
    this.catalog = jdbi.onDemand(McpCatalogDao.class);
  }

  @Override
  protected Result check() {
    List<McpServerStatus> all;
    try {
      all = catalog.statuses();
    } catch (RuntimeException e) {
      return Result.unhealthy("cannot read the MCP servers' status from the database: " + DatabaseFailures.reason(e));
    }
    List<String> down = all.stream().filter(s -> McpServerStatus.DOWN.equals(s.state())).map(McpServerStatus::server).toList();
    ResultBuilder result =
        Result.builder()
            .healthy()
            .withDetail("up", all.size() - down.size())
            .withDetail("down", down);
    return down.isEmpty()
        ? result.withMessage(all.size() + " MCP server(s) up").build()
        : result.withMessage("MCP server(s) down: " + String.join(", ", down)).build();
  }
}
