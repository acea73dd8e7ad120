package dev.gatehouse.registry.yaml;

import static dev.gatehouse.registry.yaml.EntryChecks.bad;

import dev.gatehouse.registry.agents.AccessLists;
import dev.gatehouse.registry.agents.ApprovalRules;
import dev.gatehouse.registry.agents.Permissions;

/**
 * Checks one agent entry of a tenant in the registry file and turns it into a {@link
 * Registry.AgentSpec}. Its access lists go through {@link AccessLists}, as the admin API's do.
 */
public final class AgentEntries {
  private AgentEntries() {}

  /** The agent; throws {@code invalid_registry} naming the field, {@code where} being the entry's path. */
  public static Registry.AgentSpec check(String where, RegistryFile.Agent a) {
    EntryChecks.name(where + ".name", a == null ? null : a.name());
    try {
      return new Registry.AgentSpec(a.name(), a.subject(),
          new Permissions(AccessLists.check(a.tools(), "tools"), AccessLists.check(a.models(), "models"),
              AccessLists.check(a.workflows(), "workflows"), ApprovalRules.check(a.approvals())));
    } catch (IllegalArgumentException e) {
      throw bad(where + " (" + a.name() + ")", e.getMessage());
    }
  }
}
