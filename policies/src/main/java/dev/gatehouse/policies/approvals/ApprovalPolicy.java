package dev.gatehouse.policies.approvals;

import dev.gatehouse.policies.access.Patterns;
import dev.gatehouse.registry.agents.ApprovalRules;

/**
 * Does an agent task's call of this tool wait for an operator's decision? The one place the rule
 * is written: the tool's own registry entry ({@code approval: required}), or the agent's rules:
 * a {@code tools} pattern that matches, or {@code destructive} and an MCP tool whose server does
 * not declare it harmless (MCP's hints, with MCP's defaults: a tool is destructive unless it says
 * {@code readOnlyHint: true} or {@code destructiveHint: false}).
 */
public final class ApprovalPolicy {
  private ApprovalPolicy() {}

  /** MCP's hints of a tool discovered on an MCP server (null values: not given). */
  public record McpHints(Boolean readOnlyHint, Boolean destructiveHint) {
    boolean destructive() {
      return !Boolean.TRUE.equals(readOnlyHint) && !Boolean.FALSE.equals(destructiveHint);
    }
  }

  /**
   * @param rules the agent's approval rules
   * @param tool the tool's registry (gateway) name
   * @param registryRequires the tool's registry entry says {@code approval: required}
   * @param mcp the tool's MCP hints, or null for a tool that is not an MCP server's
   */
  public static boolean requires(ApprovalRules rules, String tool, boolean registryRequires, McpHints mcp) {
    if (registryRequires) {
      return true;
    }
    if (rules == null) {
      return false;
    }
    if (Patterns.anyMatches(rules.tools(), tool)) {
      return true;
    }
    return rules.destructive() && mcp != null && mcp.destructive();
  }
}
