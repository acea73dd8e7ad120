package dev.gatehouse.policies.guardrails;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a {@link GuardrailPolicy} inspects and what it does with each kind of finding. Checked when
 * built: a value that is out of range, a host that is not a host name and a deny pattern that
 * cannot be used are refused with an {@link IllegalArgumentException} that names the field (and
 * the index, for a list).
 *
 * @param enabled the kinds inspected; {@link FindingKind#SIZE} is always among them (it bounds the
 *     work of the others) and is added if missing
 * @param actions what each kind does; every kind has one
 * @param allowedLinkHosts hosts links and images may point to with data: lower-case names, or
 *     {@code *.example.com} for every subdomain of example.com (not example.com itself); IDNs in
 *     their punycode form; at most {@value #MAX_HOSTS}
 * @param denyPatterns regular expressions for {@link FindingKind#DENY_PATTERN} (see
 *     {@link DenyPatternInspector} for the limits)
 * @param maxResponseChars the most characters of a tool or MCP result inspected and passed: all its
 *     strings together, member names included (1 to {@value #MAX_CHARS})
 * @param maxPromptChars the most characters of the messages' text of a model request
 *     (1 to {@value #MAX_CHARS})
 * @param linkSegmentChars a URL path segment or host label longer than this carries data (8 to 1,024)
 * @param linkPathChars a URL path longer than this carries data (16 to 8,192)
 * @param linkImagesOnly report images only (links need a click; images are fetched by the client)
 * @param linkAnyExternal report every link or image to a host not allowed, data or not
 * @param maxReportedFindings the most findings a result lists (the counts cover all of them;
 *     0 to {@value #MAX_REPORTED})
 * @param maxDepth the deepest JSON nesting inspected (1 to {@value #MAX_DEPTH}); deeper values are a
 *     {@link FindingKind#SIZE} finding
 */
public record GuardrailConfig(
    Set<FindingKind> enabled,
    Map<FindingKind, GuardrailAction> actions,
    List<String> allowedLinkHosts,
    List<String> denyPatterns,
    int maxResponseChars,
    int maxPromptChars,
    int linkSegmentChars,
    int linkPathChars,
    boolean linkImagesOnly,
    boolean linkAnyExternal,
    int maxReportedFindings,
    int maxDepth) {

  public static final int MAX_CHARS = 16 * 1024 * 1024;
  public static final int MAX_HOSTS = 1_000;
  public static final int MAX_REPORTED = 1_000;
  public static final int MAX_DEPTH = 1_000;

  private static final Pattern HOST =
      Pattern.compile("(?:\\*\\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*");

  public GuardrailConfig {
    if (enabled == null || actions == null || allowedLinkHosts == null || denyPatterns == null) {
      throw new IllegalArgumentException("enabled, actions, allowedLinkHosts and denyPatterns are required");
    }
    Set<FindingKind> on = EnumSet.of(FindingKind.SIZE);
    for (FindingKind k : enabled) {
      if (k == null) {
        throw new IllegalArgumentException("enabled names a null kind");
      }
      on.add(k);
    }
    enabled = Set.copyOf(on);
    EnumMap<FindingKind, GuardrailAction> a = new EnumMap<>(FindingKind.class);
    for (Map.Entry<FindingKind, GuardrailAction> e : actions.entrySet()) {
      if (e.getKey() == null) {
        throw new IllegalArgumentException("actions names a null kind");
      }
      a.put(e.getKey(), e.getValue());
    }
    for (FindingKind k : FindingKind.values()) {
      if (a.get(k) == null) {
        throw new IllegalArgumentException("actions has no action for " + k);
      }
    }
    actions = Map.copyOf(a);
    if (allowedLinkHosts.size() > MAX_HOSTS) {
      throw new IllegalArgumentException("allowedLinkHosts: at most " + MAX_HOSTS + " hosts");
    }
    List<String> hosts = new ArrayList<>();
    for (int i = 0; i < allowedLinkHosts.size(); i++) {
      String h = allowedLinkHosts.get(i);
      if (h == null || h.length() > 253 || !HOST.matcher(h).matches()) {
        throw new IllegalArgumentException(
            "allowedLinkHosts[" + i + "] must be a lower-case host name or *. and one (punycode for IDNs), at most 253 characters");
      }
      hosts.add(h);
    }
    allowedLinkHosts = List.copyOf(hosts);
    new DenyPatternInspector(denyPatterns); // refuses what cannot be used, naming its index
    denyPatterns = List.copyOf(denyPatterns);
    range("maxResponseChars", maxResponseChars, 1, MAX_CHARS);
    range("maxPromptChars", maxPromptChars, 1, MAX_CHARS);
    range("linkSegmentChars", linkSegmentChars, 8, 1_024);
    range("linkPathChars", linkPathChars, 16, 8_192);
    range("maxReportedFindings", maxReportedFindings, 0, MAX_REPORTED);
    range("maxDepth", maxDepth, 1, MAX_DEPTH);
  }

  private static void range(String name, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", not " + value);
    }
  }

  /** The action for findings of {@code kind}. */
  public GuardrailAction action(FindingKind kind) {
    return actions.get(kind);
  }

  /** A builder with the defaults below. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Defaults: every kind enabled; prompt injection, size and deny patterns BLOCK, hidden Unicode
   * and exfiltration links REDACT; no allowed hosts and no deny patterns; 1 MiB characters for a
   * result and for a prompt; links: segments over 40 characters and paths over 160 carry data,
   * links and images both reported; 50 findings listed; JSON inspected 256 levels deep.
   */
  public static final class Builder {
    private final Set<FindingKind> enabled = EnumSet.allOf(FindingKind.class);
    private final Map<FindingKind, GuardrailAction> actions = new EnumMap<>(FindingKind.class);
    private final List<String> allowedLinkHosts = new ArrayList<>();
    private final List<String> denyPatterns = new ArrayList<>();
    private int maxResponseChars = 1 << 20;
    private int maxPromptChars = 1 << 20;
    private int linkSegmentChars = 40;
    private int linkPathChars = 160;
    private boolean linkImagesOnly;
    private boolean linkAnyExternal;
    private int maxReportedFindings = 50;
    private int maxDepth = 256;

    private Builder() {
      actions.put(FindingKind.PROMPT_INJECTION, GuardrailAction.BLOCK);
      actions.put(FindingKind.HIDDEN_UNICODE, GuardrailAction.REDACT);
      actions.put(FindingKind.EXFIL_LINK, GuardrailAction.REDACT);
      actions.put(FindingKind.SIZE, GuardrailAction.BLOCK);
      actions.put(FindingKind.DENY_PATTERN, GuardrailAction.BLOCK);
    }

    /** Only these kinds (SIZE is always on). */
    public Builder enabled(Collection<FindingKind> kinds) {
      enabled.clear();
      enabled.addAll(kinds);
      return this;
    }

    public Builder action(FindingKind kind, GuardrailAction action) {
      actions.put(kind, action);
      return this;
    }

    /** Host names are lower-cased and listed once each; the record checks them. */
    public Builder allowedLinkHosts(Collection<String> hosts) {
      Set<String> seen = new LinkedHashSet<>();
      for (String h : hosts) {
        seen.add(h == null ? null : h.toLowerCase(Locale.ROOT));
      }
      allowedLinkHosts.clear();
      allowedLinkHosts.addAll(seen);
      return this;
    }

    public Builder denyPatterns(Collection<String> patterns) {
      denyPatterns.clear();
      denyPatterns.addAll(patterns);
      return this;
    }

    public Builder maxResponseChars(int chars) {
      maxResponseChars = chars;
      return this;
    }

    public Builder maxPromptChars(int chars) {
      maxPromptChars = chars;
      return this;
    }

    public Builder linkSegmentChars(int chars) {
      linkSegmentChars = chars;
      return this;
    }

    public Builder linkPathChars(int chars) {
      linkPathChars = chars;
      return this;
    }

    public Builder linkImagesOnly(boolean imagesOnly) {
      linkImagesOnly = imagesOnly;
      return this;
    }

    public Builder linkAnyExternal(boolean anyExternal) {
      linkAnyExternal = anyExternal;
      return this;
    }

    public Builder maxReportedFindings(int max) {
      maxReportedFindings = max;
      return this;
    }

    public Builder maxDepth(int depth) {
      maxDepth = depth;
      return this;
    }

    public GuardrailConfig build() {
      return new GuardrailConfig(enabled, actions, allowedLinkHosts, denyPatterns, maxResponseChars, maxPromptChars,
          linkSegmentChars, linkPathChars, linkImagesOnly, linkAnyExternal, maxReportedFindings, maxDepth);
    }
  }
}
