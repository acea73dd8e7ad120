package dev.gatehouse.policies.data;

import dev.gatehouse.registry.policies.PolicyDefinition;
import java.util.ArrayList;
import java.util.List;

/**
 * The compiled policies that govern one tenant's calls: the global ones first, then the tenant's
 * own, each in name order, which is the order they decide in. The platform's entries act before a
 * tenant admin's, so a tenant's entry cannot change what a global one sees: a tenant's redaction
 * named to come first ({@code 0-mask}) turned a global entry that blocks into one that found
 * nothing. Immutable; a catalog holds one per tenant for a short while and every call of that
 * tenant reads it.
 */
public final class PolicySet {
  public static final PolicySet EMPTY = new PolicySet(List.of());

  private final List<CompiledPolicy> policies;
  private final boolean hasRateLimits;
  private final boolean hasBudgets;
  private final boolean hasPii;
  private final boolean hasGuardrails;

  public PolicySet(List<CompiledPolicy> policies) {
    List<CompiledPolicy> ordered = new ArrayList<>(policies);
    // Stable: each group keeps the name order it came in.
    ordered.sort(java.util.Comparator.comparing(p -> p.definition().tenantId() != null));
    this.policies = List.copyOf(ordered);
    this.hasRateLimits = any(PolicyDefinition.RATE_LIMIT);
    this.hasBudgets = any(PolicyDefinition.BUDGET);
    this.hasPii = any(PolicyDefinition.PII);
    this.hasGuardrails = any(PolicyDefinition.GUARDRAIL);
  }

  /** Compiles {@code definitions} (see {@link PolicyCompiler}). */
  public static PolicySet of(List<PolicyDefinition> definitions) {
    return new PolicySet(definitions.stream().map(PolicyCompiler::compile).toList());
  }

  public List<CompiledPolicy> all() {
    return policies;
  }

  public boolean isEmpty() {
    return policies.isEmpty();
  }

  /** The policies of {@code kind} (a {@link PolicyDefinition} kind) that govern this call, in name order. */
  public List<CompiledPolicy> governing(String kind, String agentName, CallKind callKind, String target) {
    if (!has(kind)) {
      return List.of();
    }
    List<CompiledPolicy> out = null;
    for (CompiledPolicy p : policies) {
      if (p.kind().equals(kind) && p.governs(agentName, callKind, target)) {
        if (out == null) {
          out = new ArrayList<>(2);
        }
        out.add(p);
      }
    }
    return out == null ? List.of() : out;
  }

  private boolean has(String kind) {
    return switch (kind) {
      case PolicyDefinition.RATE_LIMIT -> hasRateLimits;
      case PolicyDefinition.BUDGET -> hasBudgets;
      case PolicyDefinition.PII -> hasPii;
      case PolicyDefinition.GUARDRAIL -> hasGuardrails;
      default -> false;
    };
  }

  private boolean any(String kind) {
    return policies.stream().anyMatch(p -> p.kind().equals(kind));
  }
}
