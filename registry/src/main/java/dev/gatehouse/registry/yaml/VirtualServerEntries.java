package dev.gatehouse.registry.yaml;

import static dev.gatehouse.registry.yaml.EntryChecks.bad;

import dev.gatehouse.registry.mcp.VirtualServer;

/**
 * Checks one virtual server entry and turns it into a {@link VirtualServer}: the same check for
 * the registry file's entries and the admin API's single one.
 */
public final class VirtualServerEntries {
  private VirtualServerEntries() {}

  /** The virtual server, with no tenant; throws {@code invalid_registry} naming the field. */
  public static VirtualServer check(String where, RegistryFile.VirtualServer v) {
    if (v == null) {
      throw bad(where, "is empty");
    }
    if (v.name() == null || !McpServerEntries.NAME.matcher(v.name()).matches()) {
      throw bad(where + ".name", "must be 1-128 letters, digits, '_' or '-' (no '.')");
    }
    where = where + " (" + v.name() + ")";
    EntryChecks.description(where + ".description", v.description());
    if (v.tools() == null || v.tools().isEmpty()) {
      throw bad(where + ".tools", "is required: a list of tool names or patterns");
    }
    for (int i = 0; i < v.tools().size(); i++) {
      String t = v.tools().get(i);
      if (t == null || t.isBlank()) {
        throw bad(where + ".tools[" + i + "]", "must be a tool name or pattern, not empty");
      }
    }
    try {
      // as an agent's allow list: every call through the server is checked against them
      dev.gatehouse.registry.agents.AccessLists.checkPatterns(v.tools(), "tools");
    } catch (IllegalArgumentException e) {
      throw bad(where + ".tools", e.getMessage().substring(e.getMessage().indexOf("' ") + 2));
    }
    return new VirtualServer(v.name(), null, v.description(), v.tools());
  }
}
