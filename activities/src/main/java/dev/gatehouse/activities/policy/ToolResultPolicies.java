package dev.gatehouse.activities.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.chain.PolicyStep;
import dev.gatehouse.activities.tool.ToolExchange;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.DenialCodes;
import dev.gatehouse.policies.data.CallKind;
import dev.gatehouse.policies.data.CompiledPolicy;
import dev.gatehouse.policies.guardrails.GuardrailResult;
import dev.gatehouse.policies.pii.PiiPolicy;
import dev.gatehouse.workflows.tool.ToolCallResult;
import java.util.List;

/**
 * What a tool's result (an HTTP tool's body, an MCP tool's {@code CallToolResult}) goes through
 * before anyone gets it, on every path (pipelines, direct and durable MCP, the agent loop, teams'
 * workflows): first the PII entries that apply at {@code tool-results}, then the guardrail entries
 * (prompt injection, hidden Unicode, links that carry data, size, deny patterns), each in name
 * order and each seeing what the ones before left. Redactions replace the result; a block refuses
 * it ({@link dev.gatehouse.activities.chain.Exchange#deny}: {@code pii_detected} or {@code
 * guardrail_blocked}, and the result reaches no one). A call no entry governs is not read.
 */
public final class ToolResultPolicies implements PolicyStep<ToolExchange> {
  private final PolicyCatalog catalog;

  public ToolResultPolicies(PolicyCatalog catalog) {
    this.catalog = catalog;
  }

  @Override
  public void after(ToolExchange x) {
    ToolCallResult result = x.response();
    if (result == null || result.output() == null) {
      return;
    }
    List<CompiledPolicy> pii = Governing.pii(catalog, x, CallKind.TOOL, Governing.TOOL_RESULTS);
    List<CompiledPolicy> guardrails = Governing.guardrails(catalog, x, CallKind.TOOL);
    if (pii.isEmpty() && guardrails.isEmpty()) {
      return;
    }
    JsonNode output = result.output();
    for (CompiledPolicy p : pii) {
      PiiPolicy.JsonResult r;
      try {
        r = p.pii().check(output);
      } catch (IllegalArgumentException e) {
        x.deny(PolicyNotes.uninspectable(p.ref(), DenialCodes.PII_DETECTED, "the tool result", e.getMessage()));
        return;
      }
      if (!r.decision().allowed()) {
        x.deny(PolicyNotes.piiBlocked(p.ref(), "the tool result", r.findings()));
        return;
      }
      Decision note = PolicyNotes.pii(p.ref(), p.pii().action(), r.findings(), Governing.TOOL_RESULTS);
      if (note != null) {
        x.applied(note);
        output = r.tree();
      }
    }
    for (CompiledPolicy p : guardrails) {
      GuardrailResult<JsonNode> r = p.guardrail().inspectResponse(output);
      if (r.blocked()) {
        x.deny(PolicyNotes.guardrailBlocked(p.ref(), r));
        return;
      }
      Decision note = PolicyNotes.guardrail(p.ref(), r, Governing.TOOL_RESULTS);
      if (note != null) {
        x.applied(note);
      }
      output = r.value();
    }
    if (output != result.output()) {
      x.replaceResponse(result.withOutput(output));
    }
  }
}
