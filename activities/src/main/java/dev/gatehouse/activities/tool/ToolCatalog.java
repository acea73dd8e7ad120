package dev.gatehouse.activities.tool;

import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jdbi.v3.core.Jdbi;

/**
 * Tool definitions with a short-lived cache: a busy pipeline reads the same few tools on every
 * submit and every step, and an MCP call looks its name up here first (HTTP tools win), so
 * answers are cached, "no such tool" included; a change to a tool may take up to the TTL to be
 * seen. Permissions are not cached here: a withdrawn permission must stop the very next call.
 */
public class ToolCatalog {
  private static final int MAX_CACHED = 10_000;

  private record Entry(Optional<ToolDefinition> tool, long expiresAtNanos) {}

  private final ToolDao tools;
  private final long ttlNanos;
  private final Map<String, Entry> cache = new ConcurrentHashMap<>();

  public ToolCatalog(Jdbi jdbi, Duration ttl) {
    this.tools = jdbi.onDemand(ToolDao.class);
    this.ttlNanos = ttl.toNanos();
  }

  public Optional<ToolDefinition> find(String name) {
    long now = System.nanoTime();
    Entry e = cache.get(name);
    if (e != null && e.expiresAtNanos - now > 0) {
      return e.tool;
    }
    Optional<ToolDefinition> tool = tools.find(name);
    if (ttlNanos > 0) {
      if (cache.size() >= MAX_CACHED) {
        cache.clear();
      }
      cache.put(name, new Entry(tool, now + ttlNanos));
    }
    return tool;
  }
}
