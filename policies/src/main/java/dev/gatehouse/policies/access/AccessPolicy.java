package dev.gatehouse.policies.access;

import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.DenialCodes;
import dev.gatehouse.registry.agents.AccessList;
import dev.gatehouse.registry.agents.Permissions;
import java.util.ArrayList;
import java.util.List;

/**
 * May this agent use this tool, model or workflow? The one place the rule is written: the agent's
 * deny patterns win, then its allow patterns must match; a token's scopes can only narrow that
 * (a scope {@code tools:github.*} limits tools to {@code github.*}; a token with no scope of a
 * kind does not narrow that kind).
 */
public final class AccessPolicy {
  public static final String NAME = "access";

  private AccessPolicy() {}

  public static Decision tool(Permissions p, List<String> scopes, String tool) {
    return check(p.tools(), scopes, "tools", tool, DenialCodes.TOOL_NOT_ALLOWED, "tool");
  }

  public static Decision model(Permissions p, List<String> scopes, String model) {
    return check(p.models(), scopes, "models", model, DenialCodes.MODEL_NOT_ALLOWED, "model");
  }

  public static Decision workflow(Permissions p, List<String> scopes, String workflow) {
    return check(p.workflows(), scopes, "workflows", workflow, DenialCodes.WORKFLOW_NOT_ALLOWED, "workflow");
  }

  private static Decision check(
      AccessList list, List<String> scopes, String kind, String name, String code, String noun) {
    if (Patterns.anyMatches(list.deny(), name)) {
      return Decision.deny(NAME, code, "this agent may not use " + noun + " '" + name + "' (denied)");
    }
    if (!Patterns.anyMatches(list.allow(), name)) {
      return Decision.deny(NAME, code, "this agent may not use " + noun + " '" + name + "'");
    }
    List<String> narrowed = scoped(scopes, kind);
    if (!narrowed.isEmpty() && !Patterns.anyMatches(narrowed, name)) {
      return Decision.deny(NAME, code, "the token's scopes do not cover " + noun + " '" + name + "'");
    }
    return Decision.allow(NAME);
  }

  private static List<String> scoped(List<String> scopes, String kind) {
    List<String> out = new ArrayList<>();
    if (scopes != null) {
      String prefix = kind + ":";
      for (String s : scopes) {
        // "tools:" alone narrows to no name at all (it is a scope of the kind; dropping it would widen)
        if (s.startsWith(prefix)) {
          out.add(s.substring(prefix.length()));
        }
      }
    }
    return out;
  }
}
