package dev.gatehouse.activities.tool;

import dev.gatehouse.activities.cache.ReadThroughCache;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import java.time.Duration;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * Tool definitions with a short-lived cache: a busy pipeline reads the same few tools on every
 * submit and every step, and an MCP call looks its name up here first (HTTP tools win), so
 * answers are cached, "no such tool" included; a change to a tool may take up to the TTL to be
 * seen. Permissions are not cached here: a withdrawn permission must stop the very next call.
 */
public class ToolCatalog {
  private static final int MAX_CACHED = 10_000;

  private final ToolDao tools;
  private final ReadThroughCache<String, Optional<ToolDefinition>> cache;

  public ToolCatalog(Jdbi jdbi, Duration ttl) {
    this.tools = jdbi.onDemand(ToolDao.class);
    this.cache = new ReadThroughCache<>(ttl, MAX_CACHED, tools::find);
  }

  public Optional<ToolDefinition> find(String name) {
    return cache.get(name);
  }
}
