package dev.gatehouse.registry.agents;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Which of an agent's tool calls wait for an operator's decision (in agent tasks and teams'
 * workflows; refused in pipelines and on MCP, where nobody can be asked), on top of the
 * tools registered with {@code approval: required}: the tools {@code tools} patterns match, and,
 * with {@code destructive}, every MCP tool its server does not declare harmless (MCP's hints: not
 * {@code readOnlyHint: true}, and not {@code destructiveHint: false}).
 */
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
public record ApprovalRules(List<String> tools, boolean destructive) {
  public static final ApprovalRules NONE = new ApprovalRules(List.of(), false);
  private static final Pattern PATTERN = Pattern.compile("[A-Za-z0-9._*:/-]{1,128}");
  /** The most patterns one agent's rules hold. */
  public static final int MAX_PATTERNS = 100;

  public ApprovalRules {
    tools = tools == null ? List.of() : List.copyOf(tools);
  }

  /** The rules as given, checked; throws {@link IllegalArgumentException} naming the bad field. */
  public static ApprovalRules check(ApprovalRules rules) {
    if (rules == null) {
      return NONE;
    }
    if (rules.tools().size() > MAX_PATTERNS) {
      throw new IllegalArgumentException("'approvals.tools' holds more than " + MAX_PATTERNS + " patterns");
    }
    for (String p : rules.tools()) {
      if (p == null || !PATTERN.matcher(p).matches()) {
        throw new IllegalArgumentException("'approvals.tools' holds a pattern that is not 1-128 letters, digits or . _ * : / -");
      }
    }
    return rules;
  }

  /** Not a field: an agent read back is written back as it is (Jackson would show it as {@code "empty"}). */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isEmpty() {
    return tools.isEmpty() && !destructive;
  }
}
