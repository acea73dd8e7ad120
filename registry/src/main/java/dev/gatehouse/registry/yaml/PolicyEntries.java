package dev.gatehouse.registry.yaml;

import static dev.gatehouse.registry.yaml.EntryChecks.bad;

import dev.gatehouse.registry.policies.PolicyDefinition;
import dev.gatehouse.registry.policies.PolicyDefinition.AppliesTo;
import dev.gatehouse.registry.policies.PolicyDefinition.Budget;
import dev.gatehouse.registry.policies.PolicyDefinition.CustomPattern;
import dev.gatehouse.registry.policies.PolicyDefinition.Guardrail;
import dev.gatehouse.registry.policies.PolicyDefinition.Pii;
import dev.gatehouse.registry.policies.PolicyDefinition.RateLimit;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Checks one policy entry and turns it into a {@link PolicyDefinition} (no tenant, no version):
 * the same check for the registry file's entries and the admin API's single one. Values are
 * normalized (lower case, defaults filled in) so that an export reads back as the same entry and
 * an unchanged entry keeps its version. The policies module compiles what passes here; what only
 * it can judge (a custom pattern's cost) it refuses then.
 */
public final class PolicyEntries {
  static final Set<String> PERS = Set.of("agent", "tenant", "target");
  static final Set<String> BUDGET_PERS = Set.of("agent", "tenant");
  static final Set<String> PERIODS = Set.of("day", "month", "fixed");
  static final Set<String> PII_ACTIONS = Set.of("redact", "block", "record");
  public static final List<String> PII_DETECTORS = List.of("email", "phone", "card", "iban", "ssn", "ip", "credential");
  public static final List<String> PII_PLACES = List.of("tool-arguments", "tool-results", "model-requests", "model-answers");
  public static final List<String> GUARDRAIL_CHECKS = List.of("prompt-injection", "hidden-unicode", "exfil-link", "deny-pattern", "size");
  static final Set<String> GUARDRAIL_ACTIONS = Set.of("block", "redact", "flag");
  private static final Pattern CUSTOM_NAME = Pattern.compile("[A-Z][A-Z0-9_]{0,31}");
  private static final int MAX_LIST = 100;
  private static final int MAX_PATTERN = 1_000;
  private static final int MAX_CHARS = 16 * 1024 * 1024;
  private static final long MAX_PER_MINUTE = 1_000_000_000L;

  private PolicyEntries() {}

  /** The policy, with no tenant and no version; throws {@code invalid_registry} naming the field. */
  public static PolicyDefinition check(String where, PolicyDefinition p) {
    if (p == null) {
      throw bad(where, "is empty");
    }
    if (p.name() == null || !McpServerEntries.NAME.matcher(p.name()).matches()) {
      throw bad(where + ".name", "must be 1-128 letters, digits, '_' or '-'");
    }
    where = where + " (" + p.name() + ")";
    if (p.tenantId() != null) {
      throw bad(where + ".tenantId", "is not a field of an entry: a policy belongs to the tenant it is listed under");
    }
    if (p.version() != null) {
      throw bad(where + ".version", "is not a field of an entry: Gatehouse counts a policy's versions");
    }
    String kind = p.kind() == null ? null : p.kind().toLowerCase(Locale.ROOT);
    if (kind == null || !PolicyDefinition.KINDS.contains(kind)) {
      throw bad(where + ".kind", "must be one of " + String.join(", ", PolicyDefinition.KINDS));
    }
    AppliesTo scope = appliesTo(where + ".appliesTo", p.appliesTo());
    onlyItsSettings(where, kind, p);
    return switch (kind) {
      case PolicyDefinition.RATE_LIMIT ->
          new PolicyDefinition(p.name(), null, kind, scope, rateLimit(where + ".rateLimit", p.rateLimit(), scope), null, null, null, null);
      case PolicyDefinition.BUDGET ->
          new PolicyDefinition(p.name(), null, kind, scope, null, budget(where + ".budget", p.budget()), null, null, null);
      case PolicyDefinition.PII ->
          new PolicyDefinition(p.name(), null, kind, scope, null, null, pii(where + ".pii", p.pii()), null, null);
      default ->
          new PolicyDefinition(p.name(), null, kind, scope, null, null, null, guardrail(where + ".guardrail", p.guardrail()), null);
    };
  }

  private static void onlyItsSettings(String where, String kind, PolicyDefinition p) {
    Map<String, Object> blocks = new LinkedHashMap<>();
    blocks.put(PolicyDefinition.RATE_LIMIT, p.rateLimit());
    blocks.put(PolicyDefinition.BUDGET, p.budget());
    blocks.put(PolicyDefinition.PII, p.pii());
    blocks.put(PolicyDefinition.GUARDRAIL, p.guardrail());
    for (var b : blocks.entrySet()) {
      String field = field(b.getKey());
      if (b.getKey().equals(kind) && b.getValue() == null) {
        throw bad(where + "." + field, "is required for a policy of kind " + kind);
      }
      if (!b.getKey().equals(kind) && b.getValue() != null) {
        throw bad(where + "." + field, "belongs to a policy of kind " + b.getKey() + ", not " + kind);
      }
    }
  }

  private static String field(String kind) {
    return kind.equals(PolicyDefinition.RATE_LIMIT) ? "rateLimit" : kind;
  }

  private static AppliesTo appliesTo(String where, AppliesTo a) {
    if (a == null) {
      return new AppliesTo(null, null, null);
    }
    for (int i = 0; i < a.agents().size(); i++) {
      EntryChecks.name(where + ".agents[" + i + "]", a.agents().get(i));
    }
    patterns(where + ".tools", a.tools());
    patterns(where + ".models", a.models());
    size(where + ".agents", a.agents());
    return a;
  }

  private static void patterns(String where, List<String> patterns) {
    size(where, patterns);
    for (int i = 0; i < patterns.size(); i++) {
      String t = patterns.get(i);
      if (t == null || t.isBlank() || t.length() > 256) {
        throw bad(where + "[" + i + "]", "must be a name or pattern of 1-256 characters");
      }
    }
  }

  private static RateLimit rateLimit(String where, RateLimit r, AppliesTo scope) {
    if (r.requestsPerMinute() == null && r.tokensPerMinute() == null) {
      throw bad(where, "needs requestsPerMinute, tokensPerMinute or both");
    }
    positive(where + ".requestsPerMinute", r.requestsPerMinute());
    positive(where + ".tokensPerMinute", r.tokensPerMinute());
    if (r.tokensPerMinute() != null && !scope.tools().isEmpty() && scope.models().isEmpty()) {
      throw bad(where + ".tokensPerMinute", "counts model tokens; this policy applies to tools only");
    }
    String per = oneOf(where + ".per", r.per(), PERS, "agent");
    return new RateLimit(r.requestsPerMinute(), r.tokensPerMinute(), per);
  }

  private static Budget budget(String where, Budget b) {
    if (b.tokens() == null && b.cost() == null) {
      throw bad(where, "needs tokens, cost or both");
    }
    if (b.tokens() != null && (b.tokens() < 1 || b.tokens() > 1_000_000_000_000L)) {
      throw bad(where + ".tokens", "must be between 1 and 10^12");
    }
    BigDecimal cost = b.cost();
    if (cost != null) {
      // The range first, so 1e999999999 costs nothing; the decimals once trailing zeros are gone (a
      // value that went through a double, 1.0E-6, has a scale of 7 for 6 decimals).
      if (cost.signum() <= 0 || cost.compareTo(new BigDecimal("1000000000")) > 0 || cost.stripTrailingZeros().scale() > 6) {
        throw bad(where + ".cost", "must be more than 0 and at most 10^9, with at most 6 decimals");
      }
      cost = cost.stripTrailingZeros();
      if (cost.scale() < 0) {
        cost = cost.setScale(0);
      }
    }
    String period = oneOf(where + ".period", b.period(), PERIODS, "month");
    String per = oneOf(where + ".per", b.per(), BUDGET_PERS, "agent");
    return new Budget(b.tokens(), cost, period, per);
  }

  private static Pii pii(String where, Pii p) {
    String action = oneOf(where + ".action", p.action(), PII_ACTIONS, null);
    List<String> detectors = subset(where + ".detectors", p.detectors(), PII_DETECTORS);
    List<CustomPattern> custom = p.custom() == null ? List.of() : p.custom();
    size(where + ".custom", custom);
    Set<String> names = new HashSet<>();
    for (int i = 0; i < custom.size(); i++) {
      CustomPattern c = custom.get(i);
      String at = where + ".custom[" + i + "]";
      if (c == null || c.name() == null || !CUSTOM_NAME.matcher(c.name()).matches()) {
        throw bad(at + ".name", "must be 1-32 upper-case letters, digits or '_', starting with a letter (it is the mask: [NAME])");
      }
      if (!names.add(c.name())) {
        throw bad(at + ".name", "'" + c.name() + "' is listed twice");
      }
      regex(at + ".pattern", c.pattern());
    }
    List<String> on = subset(where + ".on", p.on(), PII_PLACES);
    return new Pii(action, detectors, custom, on);
  }

  private static Guardrail guardrail(String where, Guardrail g) {
    List<String> checks = subset(where + ".checks", g.checks(), GUARDRAIL_CHECKS);
    Map<String, String> actions = new LinkedHashMap<>();
    if (g.actions() != null) {
      for (var a : g.actions().entrySet()) {
        String check = a.getKey().toLowerCase(Locale.ROOT);
        if (!GUARDRAIL_CHECKS.contains(check)) {
          throw bad(where + ".actions", "'" + a.getKey() + "' is not a check; checks are " + String.join(", ", GUARDRAIL_CHECKS));
        }
        actions.put(check, oneOf(where + ".actions." + check, a.getValue(), GUARDRAIL_ACTIONS, null));
      }
    }
    List<String> hosts = g.allowedLinkHosts() == null ? List.of() : g.allowedLinkHosts();
    if (hosts.size() > 1_000) {
      throw bad(where + ".allowedLinkHosts", "may list at most 1000 hosts");
    }
    for (int i = 0; i < hosts.size(); i++) {
      if (hosts.get(i) == null || hosts.get(i).isBlank() || hosts.get(i).length() > 253) {
        throw bad(where + ".allowedLinkHosts[" + i + "]", "must be a host name, or *. and a domain");
      }
    }
    List<String> deny = g.denyPatterns() == null ? List.of() : g.denyPatterns();
    size(where + ".denyPatterns", deny);
    for (int i = 0; i < deny.size(); i++) {
      regex(where + ".denyPatterns[" + i + "]", deny.get(i));
    }
    chars(where + ".maxResultChars", g.maxResultChars());
    chars(where + ".maxPromptChars", g.maxPromptChars());
    return new Guardrail(
        checks, actions, hosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList(), deny, g.maxResultChars(), g.maxPromptChars());
  }

  private static void regex(String where, String pattern) {
    if (pattern == null || pattern.isEmpty() || pattern.length() > MAX_PATTERN) {
      throw bad(where, "must be a regular expression of 1-" + MAX_PATTERN + " characters");
    }
    try {
      Pattern.compile(pattern);
    } catch (PatternSyntaxException e) {
      throw bad(where, "is not a valid regular expression: " + e.getDescription());
    }
  }

  private static void chars(String where, Integer n) {
    if (n != null && (n < 1 || n > MAX_CHARS)) {
      throw bad(where, "must be between 1 and " + MAX_CHARS);
    }
  }

  private static void positive(String where, Integer n) {
    if (n != null && (n < 1 || n > MAX_PER_MINUTE)) {
      throw bad(where, "must be between 1 and " + MAX_PER_MINUTE);
    }
  }

  private static void size(String where, List<?> list) {
    if (list.size() > MAX_LIST) {
      throw bad(where, "may list at most " + MAX_LIST);
    }
  }

  private static String oneOf(String where, String value, Set<String> allowed, String fallback) {
    if (value == null && fallback != null) {
      return fallback;
    }
    String v = value == null ? null : value.toLowerCase(Locale.ROOT);
    if (v == null || !allowed.contains(v)) {
      throw bad(where, "must be one of " + String.join(", ", allowed.stream().sorted().toList()));
    }
    return v;
  }

  /** The listed values, lower case, in the canonical order of {@code all}; none listed stays empty (all). */
  private static List<String> subset(String where, List<String> values, List<String> all) {
    if (values == null || values.isEmpty()) {
      return List.of();
    }
    Set<String> seen = new HashSet<>();
    for (String v : values) {
      String s = v == null ? null : v.toLowerCase(Locale.ROOT);
      if (s == null || !all.contains(s)) {
        throw bad(where, "'" + v + "' is not one of " + String.join(", ", all));
      }
      seen.add(s);
    }
    List<String> out = new ArrayList<>();
    for (String s : all) {
      if (seen.contains(s)) {
        out.add(s);
      }
    }
    return out;
  }
}
