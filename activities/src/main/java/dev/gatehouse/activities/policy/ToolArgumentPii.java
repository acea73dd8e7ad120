package dev.gatehouse.activities.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.chain.PolicyStep;
import dev.gatehouse.activities.tool.ToolCall;
import dev.gatehouse.activities.tool.ToolExchange;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.DenialCodes;
import dev.gatehouse.policies.data.CallKind;
import dev.gatehouse.policies.data.CompiledPolicy;
import dev.gatehouse.policies.pii.PiiPolicy;
import java.util.List;

/**
 * The PII entries that apply at {@code tool-arguments}, before a tool is called (after its
 * arguments were checked against its schema): each, in name order, redacts the arguments (every
 * string, number and member name; the upstream gets the masked copy), records what it found, or
 * blocks the call ({@code pii_detected}: nothing is sent). A call no entry governs is not read.
 */
public final class ToolArgumentPii implements PolicyStep<ToolExchange> {
  private final PolicyCatalog catalog;

  public ToolArgumentPii(PolicyCatalog catalog) {
    this.catalog = catalog;
  }

  @Override
  public Decision before(ToolExchange x) {
    List<CompiledPolicy> policies = Governing.pii(catalog, x, CallKind.TOOL, Governing.TOOL_ARGUMENTS);
    ToolCall call = x.request();
    if (policies.isEmpty() || call.args() == null) {
      return PROCEED;
    }
    JsonNode args = call.args();
    for (CompiledPolicy p : policies) {
      PiiPolicy.JsonResult r;
      try {
        r = p.pii().check(args);
      } catch (IllegalArgumentException e) {
        return PolicyNotes.uninspectable(p.ref(), DenialCodes.PII_DETECTED, "the tool arguments", e.getMessage());
      }
      if (!r.decision().allowed()) {
        return PolicyNotes.piiBlocked(p.ref(), "the tool arguments", r.findings());
      }
      Decision note = PolicyNotes.pii(p.ref(), p.pii().action(), r.findings(), Governing.TOOL_ARGUMENTS);
      if (note != null) {
        x.applied(note);
        args = r.tree();
      }
    }
    if (args != call.args()) {
      x.replaceRequest(new ToolCall(call.tool(), args, call.caller(), call.context(), call.route(), call.authenticatedAgent()));
    }
    return PROCEED;
  }
}
