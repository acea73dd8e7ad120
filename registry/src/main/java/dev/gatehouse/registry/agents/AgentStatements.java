package dev.gatehouse.registry.agents;

import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * The agent read a governed call makes when its request was not just authenticated (a task's
 * step, a durable call), through Jdbi's fluent API on a handle of its own rather than an on-demand
 * SQL object, which builds an extension and copies its configuration on every call (see {@link
 * dev.gatehouse.registry.budgets.BudgetStatements}). Shared by every thread.
 */
public final class AgentStatements {
  // Named as the SQL objects' statements are (logs, pg_stat_activity).
  private static final String FIND = "/* AgentStatements.find */ " + AgentDao.FIND;
  private static final AgentDao.AgentMapper MAPPER = new AgentDao.AgentMapper();

  private final Jdbi jdbi;

  public AgentStatements(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  /** The agent {@code id}, as {@link AgentDao#find} reads it. */
  public Optional<Agent> find(String id) {
    return jdbi.withHandle(h -> h.createQuery(FIND).bind("id", id).map(MAPPER).findOne());
  }
}
