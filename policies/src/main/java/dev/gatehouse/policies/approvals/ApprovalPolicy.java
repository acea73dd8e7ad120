package dev.gatehouse.policies.approvals;

import dev.gatehouse.policies.access.Patterns;
import dev.gatehouse.registry.agents.ApprovalRules;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.TreeSet;

/**
 * Does a call of this tool need an operator's decision (waited for in agent tasks and teams'
 * workflows, refused in pipelines and on MCP)? The one place the rule
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
    return hold(rules, tool, registryRequires, mcp) != null;
  }

  /**
   * The version of the approval policy that holds calls of {@code tool}, or null when none does.
   * It names what the policy was made of when it decided: the tool's registry flag, and the agent's
   * rules (patterns, {@code destructive}) with the tool's MCP hints. The version is recorded with
   * every call held, and a decision that names another version is refused, so an operator never
   * approves under a policy other than the one that held the call. ({@code ap1-} and 16 hex digits
   * of a SHA-256.)
   */
  public static String hold(ApprovalRules rules, String tool, boolean registryRequires, McpHints mcp) {
    if (!decide(rules, tool, registryRequires, mcp)) {
      return null;
    }
    ApprovalRules r = rules == null ? ApprovalRules.NONE : rules;
    String made =
        "tool=" + tool + "\nregistry=" + registryRequires + "\npatterns=" + new TreeSet<>(r.tools()) + "\ndestructive=" + r.destructive()
            + "\nhints=" + (mcp == null ? "none" : mcp.readOnlyHint() + "," + mcp.destructiveHint());
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(made.getBytes(StandardCharsets.UTF_8));
      return "ap1-" + HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean decide(ApprovalRules rules, String tool, boolean registryRequires, McpHints mcp) {
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
