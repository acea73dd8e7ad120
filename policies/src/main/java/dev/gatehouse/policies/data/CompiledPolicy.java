package dev.gatehouse.policies.data;

import dev.gatehouse.policies.access.Patterns;
import dev.gatehouse.policies.guardrails.GuardrailPolicy;
import dev.gatehouse.policies.pii.PiiPolicy;
import dev.gatehouse.registry.policies.PolicyDefinition;
import dev.gatehouse.registry.policies.PolicyDefinition.AppliesTo;
import java.util.Set;

/**
 * A policy entry made ready to decide: its definition, the reference its decisions carry ({@code
 * name@version}), and for PII and guardrail entries the policy objects that do the work (built
 * once, shared by every call). Made by {@link PolicyCompiler}.
 *
 * @param piiPlaces where a PII entry applies ({@code tool-arguments}, ...); empty for other kinds
 */
public record CompiledPolicy(
    PolicyDefinition definition, String ref, PiiPolicy pii, Set<String> piiPlaces, GuardrailPolicy guardrail) {

  public String name() {
    return definition.name();
  }

  public String kind() {
    return definition.kind();
  }

  /**
   * Whether this policy governs a call of {@code kind} to {@code target} by the agent named {@code
   * agentName} (see {@link AppliesTo} for the rules).
   */
  public boolean governs(String agentName, CallKind kind, String target) {
    AppliesTo a = definition.appliesTo();
    if (a == null) {
      return true;
    }
    if (!a.agents().isEmpty() && (agentName == null || !a.agents().contains(agentName))) {
      return false;
    }
    if (a.tools().isEmpty() && a.models().isEmpty()) {
      return true;
    }
    return kind == CallKind.TOOL ? Patterns.anyMatches(a.tools(), target) : Patterns.anyMatches(a.models(), target);
  }

  /** Whether a PII entry applies at {@code place} ({@code tool-arguments}, {@code model-answers}, ...). */
  public boolean piiAt(String place) {
    return pii != null && piiPlaces.contains(place);
  }
}
