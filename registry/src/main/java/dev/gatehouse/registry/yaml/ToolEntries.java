package dev.gatehouse.registry.yaml;

import static dev.gatehouse.registry.yaml.EntryChecks.bad;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.registry.tools.HttpEndpoint;
import dev.gatehouse.registry.tools.ToolDefinition;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks one HTTP tool entry and turns it into a {@link ToolDefinition}. The registry file checks
 * each of its tools here, and the admin API checks the one tool it is given, so both accept and
 * reject exactly the same tools with the same messages.
 */
public final class ToolEntries {
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
  /** The most one call of a tool may cost ({@code cost}). */
  static final BigDecimal MAX_COST = new BigDecimal("1000000000");
  private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE");

  /**
   * The deepest an input schema may nest (objects and arrays): far deeper than schemas are written,
   * and shallow enough that checking it against its meta-schema, which recurses per level, cannot
   * exhaust a thread's stack.
   */
  public static final int MAX_SCHEMA_DEPTH = 64;

  private ToolEntries() {}

  /**
   * The tool, with defaults filled in (GET, a 10s timeout, the default retry, no cost) and no tenant;
   * throws {@code invalid_registry} naming the field, {@code where} being the entry's path.
   */
  public static ToolDefinition check(String where, RegistryFile.Tool t) {
    if (t == null) {
      throw bad(where, "is empty");
    }
    if (t.name() == null || !NAME.matcher(t.name()).matches()) {
      throw bad(where + ".name", "must be 1-128 letters, digits, '.', '_' or '-'");
    }
    where = where + " (" + t.name() + ")";
    if (t.http() == null) {
      throw bad(where + ".http", "is required");
    }
    String method = t.http().method() == null ? "GET" : t.http().method().toUpperCase(Locale.ROOT);
    if (!METHODS.contains(method)) {
      throw bad(where + ".http.method", "must be one of GET, POST, PUT, PATCH, DELETE");
    }
    EntryChecks.description(where + ".description", t.description());
    EntryChecks.url(where + ".http.url", t.http().url());
    EntryChecks.headers(where + ".http.headers", t.http().headers(), EntryChecks.RESTRICTED_HEADERS, "a tool");
    JsonNode schema = t.inputSchema() == null || t.inputSchema().isNull() ? null : t.inputSchema();
    if (schema != null && !schema.isObject()) {
      throw bad(where + ".inputSchema", "must be a JSON Schema object");
    }
    if (schema != null && depth(schema, 0) > MAX_SCHEMA_DEPTH) {
      throw bad(where + ".inputSchema", "is nested more than " + MAX_SCHEMA_DEPTH + " levels deep");
    }
    Duration timeout = t.timeout() == null ? DEFAULT_TIMEOUT : EntryChecks.timeout(where + ".timeout", t.timeout());
    if (t.approval() != null && !t.approval().equals("none") && !t.approval().equals(ToolDefinition.APPROVAL_REQUIRED)) {
      throw bad(where + ".approval", "must be 'required' or 'none'");
    }
    BigDecimal cost = t.cost();
    if (cost != null) {
      // The range first, so 1e999999999 costs nothing; the decimals once trailing zeros are gone.
      if (cost.signum() < 0 || cost.compareTo(MAX_COST) > 0 || cost.stripTrailingZeros().scale() > 6) {
        throw bad(where + ".cost", "must be between 0 and 10^9, with at most 6 decimals");
      }
      cost = cost.signum() == 0 ? null : cost.stripTrailingZeros();
      if (cost != null && cost.scale() < 0) {
        cost = cost.setScale(0);
      }
    }
    return new ToolDefinition(
        t.name(),
        t.description() == null ? "" : t.description(),
        new HttpEndpoint(method, t.http().url(), t.http().headers()),
        schema,
        timeout,
        EntryChecks.retry(where + ".retry", t.retry()),
        null,
        EntryChecks.auth(where + ".auth", t.auth()),
        ToolDefinition.APPROVAL_REQUIRED.equals(t.approval()) ? ToolDefinition.APPROVAL_REQUIRED : null,
        cost);
  }

  /** How deep {@code node} nests, counting from {@code at}; stops counting past {@link #MAX_SCHEMA_DEPTH}. */
  private static int depth(JsonNode node, int at) {
    if (!node.isContainerNode() || at > MAX_SCHEMA_DEPTH) {
      return at;
    }
    int deepest = at + 1;
    for (JsonNode child : node) {
      deepest = Math.max(deepest, depth(child, at + 1));
    }
    return deepest;
  }
}
