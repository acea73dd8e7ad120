package dev.gatehouse.activities.policy;

import dev.gatehouse.activities.chain.Exchange;
import dev.gatehouse.activities.chain.GovernedCall;
import dev.gatehouse.policies.data.CallKind;
import dev.gatehouse.policies.data.CompiledPolicy;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.policies.PolicyDefinition;
import java.util.ArrayList;
import java.util.List;

/**
 * The PII and guardrail entries that govern one call, in name order (the order they act in). A
 * tenant with none of a kind costs a map look-up and nothing else: no list is made, nothing of the
 * call is read.
 */
final class Governing {
  static final String TOOL_ARGUMENTS = "tool-arguments";
  static final String TOOL_RESULTS = "tool-results";
  static final String MODEL_REQUESTS = "model-requests";
  static final String MODEL_ANSWERS = "model-answers";

  private Governing() {}

  /** The PII entries governing {@code x} that apply at {@code place}. */
  static List<CompiledPolicy> pii(PolicyCatalog catalog, Exchange<?, ?> x, CallKind kind, String place) {
    return at(of(catalog, x, PolicyDefinition.PII, kind), place);
  }

  /** The PII entries governing {@code agent}'s tool calls to {@code target} that apply at {@code place}. */
  static List<CompiledPolicy> pii(PolicyCatalog catalog, Agent agent, String target, String place) {
    return at(catalog.forTenant(agent.tenantId()).governing(PolicyDefinition.PII, agent.name(), CallKind.TOOL, target), place);
  }

  /** The guardrail entries governing {@code agent}'s tool calls to {@code target}. */
  static List<CompiledPolicy> guardrails(PolicyCatalog catalog, Agent agent, String target) {
    return catalog.forTenant(agent.tenantId()).governing(PolicyDefinition.GUARDRAIL, agent.name(), CallKind.TOOL, target);
  }

  private static List<CompiledPolicy> at(List<CompiledPolicy> all, String place) {
    if (all.isEmpty()) {
      return all;
    }
    List<CompiledPolicy> out = null;
    for (CompiledPolicy p : all) {
      if (p.piiAt(place)) {
        if (out == null) {
          out = new ArrayList<>(all.size());
        }
        out.add(p);
      }
    }
    return out == null ? List.of() : out;
  }

  /** The guardrail entries governing {@code x}. */
  static List<CompiledPolicy> guardrails(PolicyCatalog catalog, Exchange<?, ?> x, CallKind kind) {
    return of(catalog, x, PolicyDefinition.GUARDRAIL, kind);
  }

  private static List<CompiledPolicy> of(PolicyCatalog catalog, Exchange<?, ?> x, String policyKind, CallKind kind) {
    GovernedCall call = x.request();
    if (call.caller() == null) {
      return List.of();
    }
    Agent agent = x.agent();
    return catalog
        .forTenant(call.caller().tenantId())
        .governing(policyKind, agent == null ? null : agent.name(), kind, call.target());
  }
}
