package dev.gatehouse.activities.tool;

import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.activities.chain.CountDecisions;
import dev.gatehouse.activities.chain.PolicyChain;
import dev.gatehouse.activities.chain.PolicyStep;
import dev.gatehouse.activities.chain.RecordAudit;
import dev.gatehouse.activities.chain.RecordMetrics;
import dev.gatehouse.activities.chain.ResolveAgent;
import dev.gatehouse.activities.credentials.UpstreamCredentials;
import dev.gatehouse.activities.http.HttpToolConnector;
import dev.gatehouse.activities.mcp.McpToolCalls;
import dev.gatehouse.activities.mcp.McpToolResolver;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.activities.policy.ApplyRateLimits;
import dev.gatehouse.activities.policy.BudgetLedger;
import dev.gatehouse.activities.policy.ChargeBudgets;
import dev.gatehouse.activities.policy.PolicyCatalog;
import dev.gatehouse.activities.policy.ToolArgumentPii;
import dev.gatehouse.activities.policy.ToolResultPolicies;
import dev.gatehouse.policies.DenialCodes;
import dev.gatehouse.policies.data.CallKind;
import dev.gatehouse.policies.tools.ArgumentSchemaPolicy;
import dev.gatehouse.policies.tools.ToolArgumentsPolicy;
import dev.gatehouse.registry.agents.AgentStatements;
import dev.gatehouse.workflows.pipeline.Expansion;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/**
 * The governed call of a tool, the same on every path (pipeline steps, durable and direct MCP
 * calls): runs the tool's policy chain, assembled here, around the connector call. Knows nothing
 * of Temporal: failures are {@link ToolCallException}s that say whether a retry could help.
 */
public class ToolInvoker {
  private final PolicyChain<ToolExchange, ToolCallResult> chain;

  /** {@code budgets}: where budget policies reserve and settle (one per process, which sweeps). */
  public ToolInvoker(
      Jdbi jdbi,
      ToolCatalog tools,
      ToolArgumentsPolicy argumentsPolicy,
      HttpToolConnector http,
      UpstreamCredentials credentials,
      GatehouseMetrics metrics,
      AuditLog audit,
      McpToolResolver mcpTools,
      McpToolCalls mcpCalls,
      PolicyCatalog policies,
      BudgetLedger budgets) {
    CallHttpTool httpCall = new CallHttpTool(http, credentials);
    CallMcpTool mcpCall = new CallMcpTool(mcpCalls);
    List<PolicyStep<? super ToolExchange>> steps =
        List.of(
            // Completion runs in reverse: bookkeeping goes first so it records after every other step completed.
            new RecordAudit(audit, "tool.call"),
            new RecordMetrics(metrics::toolCall),
            new CountDecisions(metrics),
            new ResolveAgent(new AgentStatements(jdbi), DenialCodes.TOOL_NOT_ALLOWED),
            // Its after runs last, once every other step has seen the result as the upstream gave it.
            new ToolResultPolicies(policies),
            new ResolveTool(tools, mcpTools),
            new AuthorizeTool(),
            new ValidateArguments(argumentsPolicy, new ArgumentSchemaPolicy()),
            new ToolArgumentPii(policies),
            new ChargeBudgets<>(policies, budgets, CallKind.TOOL, new ToolBudgetPricing()),
            // Last, after every local refusal and the budgets (a refused call takes no request): only a call that may run
            // takes from the shared buckets.
            ApplyRateLimits.forTools(jdbi, policies));
    this.chain =
        new PolicyChain<>(
            steps, x -> bounded(x.httpTool() != null ? httpCall.call(x) : mcpCall.call(x)), ToolCallFailures.INSTANCE);
  }

  /**
   * Runs {@code call}: its result, or a {@link ToolCallException} whose type and retryability say
   * what failed (a policy's denial is never retryable). Either way, the attempt is counted in the
   * metrics and one audit row is recorded. The result carries the notes of the policy entries
   * that decided something about the call without refusing it ({@link ToolCallResult#policies()}).
   */
  public ToolCallResult invoke(ToolCall call) {
    ToolExchange x = new ToolExchange(call);
    ToolCallResult result = chain.run(x);
    return x.appliedDecisions().isEmpty() ? result : result.withPolicies(x.appliedPolicies());
  }

  /**
   * {@code result}, unless its output nests deeper than {@link ToolCallResult#MAX_OUTPUT_DEPTH}:
   * an answer read at JSON's 1,000 levels could not be written again inside the activity's
   * result (the workflow's step failed with Java's words), nor inside a task's view or trace.
   */
  static ToolCallResult bounded(ToolCallResult result) {
    if (result != null && Expansion.depthOf(result.output(), ToolCallResult.MAX_OUTPUT_DEPTH + 1) > ToolCallResult.MAX_OUTPUT_DEPTH) {
      throw new ToolCallException(
          ToolFailureTypes.RESPONSE_TOO_LARGE,
          "the tool's answer nests more than " + ToolCallResult.MAX_OUTPUT_DEPTH + " levels deep; at most "
              + ToolCallResult.MAX_OUTPUT_DEPTH + " are allowed",
          false);
    }
    return result;
  }
}
