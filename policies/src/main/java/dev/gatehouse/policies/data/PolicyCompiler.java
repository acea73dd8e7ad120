package dev.gatehouse.policies.data;

import dev.gatehouse.policies.guardrails.FindingKind;
import dev.gatehouse.policies.guardrails.GuardrailAction;
import dev.gatehouse.policies.guardrails.GuardrailConfig;
import dev.gatehouse.policies.guardrails.GuardrailPolicy;
import dev.gatehouse.policies.pii.PiiDetector;
import dev.gatehouse.policies.pii.PiiKind;
import dev.gatehouse.policies.pii.PiiPolicy;
import dev.gatehouse.policies.tools.ArgumentSchemaPolicy;
import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.policies.PolicyDefinition;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.registry.yaml.PolicyEntries;
import dev.gatehouse.registry.yaml.Registry;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns checked policy entries (see the registry's {@code PolicyEntries}) into {@link
 * CompiledPolicy}s. Refuses, with {@link IllegalArgumentException} and a message naming the field,
 * what only the policies can judge: a custom pattern that could take unbounded work, a link host
 * that is not one. The admin API and the registry file run it before they store an entry, so a
 * stored entry always compiles.
 */
public final class PolicyCompiler {
  private PolicyCompiler() {}

  /**
   * {@code registry}, once every policy in it compiled; else throws {@code invalid_registry} naming
   * the policy and the field. For whatever applies a registry file (start, the admin API, the CLI).
   */
  public static Registry checked(Registry registry) {
    registry.allPolicies().forEach(PolicyCompiler::checked);
    registry.tools().forEach(PolicyCompiler::checkedSchema);
    registry.tenants().forEach(t -> t.tools().forEach(PolicyCompiler::checkedSchema));
    return registry;
  }

  /**
   * {@code tool}, once its {@code inputSchema} is one calls can be checked against ({@link
   * ArgumentSchemaPolicy#problem}); else throws {@code invalid_registry} naming the tool.
   */
  public static ToolDefinition checkedSchema(ToolDefinition tool) {
    String problem = ArgumentSchemaPolicy.problem(tool.inputSchema());
    if (problem != null) {
      throw new RegistryException("invalid_registry", "tool (" + tool.name() + ").inputSchema is not a valid JSON Schema: " + problem);
    }
    return tool;
  }

  /** {@code policy}, once it compiled; else throws {@code invalid_registry} naming it and the field. */
  public static PolicyDefinition checked(PolicyDefinition policy) {
    try {
      compile(policy);
      return policy;
    } catch (IllegalArgumentException e) {
      throw new RegistryException("invalid_registry", "policy (" + policy.name() + ")." + e.getMessage());
    }
  }

  public static CompiledPolicy compile(PolicyDefinition p) {
    String ref = p.ref();
    return switch (p.kind()) {
      case PolicyDefinition.PII -> pii(p, ref);
      case PolicyDefinition.GUARDRAIL -> new CompiledPolicy(p, ref, null, Set.of(), new GuardrailPolicy(guardrail(p.guardrail())));
      default -> new CompiledPolicy(p, ref, null, Set.of(), null);
    };
  }

  private static CompiledPolicy pii(PolicyDefinition p, String ref) {
    PolicyDefinition.Pii spec = p.pii();
    Set<PiiKind> kinds = EnumSet.noneOf(PiiKind.class);
    List<String> detectors = spec.detectors() == null || spec.detectors().isEmpty() ? PolicyEntries.PII_DETECTORS : spec.detectors();
    for (String d : detectors) {
      kinds.add(kind(d));
    }
    List<PiiDetector> custom = new ArrayList<>();
    if (spec.custom() != null) {
      for (int i = 0; i < spec.custom().size(); i++) {
        PolicyDefinition.CustomPattern c = spec.custom().get(i);
        try {
          custom.add(PiiDetector.custom(c.name(), c.pattern()));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("pii.custom[" + i + "].pattern: " + e.getMessage(), e);
        }
      }
    }
    PiiPolicy.Action action = PiiPolicy.Action.valueOf(spec.action().toUpperCase(Locale.ROOT));
    Set<String> places =
        new LinkedHashSet<>(spec.on() == null || spec.on().isEmpty() ? PolicyEntries.PII_PLACES : spec.on());
    return new CompiledPolicy(p, ref, PiiPolicy.of(action, kinds, custom), Set.copyOf(places), null);
  }

  private static PiiKind kind(String detector) {
    return switch (detector) {
      case "email" -> PiiKind.EMAIL;
      case "phone" -> PiiKind.PHONE;
      case "card" -> PiiKind.CARD;
      case "iban" -> PiiKind.IBAN;
      case "ssn" -> PiiKind.US_SSN;
      case "ip" -> PiiKind.IP;
      case "credential" -> PiiKind.CREDENTIAL;
      default -> throw new IllegalArgumentException("pii.detectors: '" + detector + "' is not a detector");
    };
  }

  private static GuardrailConfig guardrail(PolicyDefinition.Guardrail g) {
    GuardrailConfig.Builder b = GuardrailConfig.builder();
    if (g.checks() != null && !g.checks().isEmpty()) {
      b.enabled(g.checks().stream().map(PolicyCompiler::check).toList());
    }
    if (g.actions() != null) {
      for (Map.Entry<String, String> a : g.actions().entrySet()) {
        b.action(check(a.getKey()), GuardrailAction.valueOf(a.getValue().toUpperCase(Locale.ROOT)));
      }
    }
    if (g.allowedLinkHosts() != null) {
      b.allowedLinkHosts(g.allowedLinkHosts());
    }
    if (g.denyPatterns() != null) {
      b.denyPatterns(g.denyPatterns());
    }
    if (g.maxResultChars() != null) {
      b.maxResponseChars(g.maxResultChars());
    }
    if (g.maxPromptChars() != null) {
      b.maxPromptChars(g.maxPromptChars());
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("guardrail: " + e.getMessage(), e);
    }
  }

  private static FindingKind check(String name) {
    return FindingKind.valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
  }
}
