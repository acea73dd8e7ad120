package dev.gatehouse.frontend.fuzz;

import java.util.Set;

/**
 * Generators the fuzz suite leaves out because they find defects another change of issue 10
 * fixes (not this one): each name below switches off exactly the values that reach such a defect.
 * When that change is merged, remove its names from {@link #KNOWN_OPEN} (empty the set once all
 * are merged) and the suite must still pass.
 */
final class KnownOpen {
  /** NUL inside JSON strings (tool names, agent subjects, header values...) reaches PostgreSQL: 500 (issue 10, item 1). */
  static final String NUL_IN_JSON_STRINGS = "nul-in-json-strings";
  /** {@code %00} in query values ({@code ?tenant=}, {@code ?kind=}) and ids reaches PostgreSQL: 500 (item 1). */
  static final String NUL_IN_QUERY = "nul-in-query";
  /** Key expiries past PostgreSQL's range ({@code +999999999-12-31T23:59:59Z}): 500 (item 2). */
  static final String FAR_FUTURE_TIMESTAMPS = "far-future-timestamps";
  /** Task timeouts like {@code 999999999d}: 503 engine_unavailable (item 3). */
  static final String HUGE_DURATIONS = "huge-durations";
  /** Wrong JSON types for collection and record fields: Jackson's message names Java types (item 9). */
  static final String WRONG_TYPES_IN_RECORDS = "wrong-types-in-records";
  /** Registry YAML that does not fit the schema: the message names {@code RegistryFile$Tool} (item 9). */
  static final String REGISTRY_YAML = "registry-yaml";
  /**
   * MCP messages whose members have wrong types, integer ids past a long and null ids: the SDK's message
   * names {@code McpSchema$JSONRPCRequest} (item 9).
   */
  static final String MCP_WRONG_TYPES = "mcp-wrong-types";
  /** The dev demo upstream {@code POST /demo/notes} with bad JSON: 500 (item 8). */
  static final String DEMO_NOTES = "demo-notes";

  /** Names of generators that are off until their fix lands; the lead empties this set after merging. */
  static final Set<String> KNOWN_OPEN = Set.of(NUL_IN_JSON_STRINGS, HUGE_DURATIONS, WRONG_TYPES_IN_RECORDS, MCP_WRONG_TYPES);

  private KnownOpen() {}

  static boolean skips(String generator) {
    return KNOWN_OPEN.contains(generator);
  }
}
