package dev.gatehouse.activities.mcp;

import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The threads that hand what upstream servers send on to agents ({@code mcp-delivery}): writes to
 * an agent's stream, which block while the agent does not read, run here, never on Reactor's
 * shared {@code boundedElastic} pool (which answers the MCP face's lists) nor on a thread that
 * serves many sessions in turn.
 */
public final class McpThreads {
  /** The most threads; idle ones end after 60 s. */
  static final int THREADS = Math.max(64, 16 * Runtime.getRuntime().availableProcessors());

  private static final Scheduler DELIVERY = Schedulers.newBoundedElastic(THREADS, Integer.MAX_VALUE, "mcp-delivery", 60, true);

  private McpThreads() {}

  /** The delivery threads. */
  public static Scheduler delivery() {
    return DELIVERY;
  }
}
