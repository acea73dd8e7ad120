package dev.gatehouse.workflows.agent;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The names the model calls the agent's tools by. Pure: the front end calls it at submit time. */
public final class AgentTools {
  /** The longest function name the model faces take (OpenAI's limit). */
  public static final int MAX_FUNCTION_NAME = 64;

  private AgentTools() {}

  /**
   * A function name for each tool name, in order: every character outside {@code [A-Za-z0-9_-]}
   * becomes {@code _} (a registry name such as {@code github.issues.create} becomes {@code
   * github_issues_create}), cut to {@value #MAX_FUNCTION_NAME} characters; a name already given
   * (compared without case) gets {@code _2}, {@code _3}, ... so two tools never share one. A tool
   * whose name is a function name already keeps it: the names that had to change give way to it,
   * so a model that calls {@code p_appr} never reaches {@code p.appr} while a tool {@code p_appr}
   * is offered too.
   */
  public static List<String> functionNames(List<String> toolNames) {
    String[] out = new String[toolNames.size()];
    Set<String> taken = new HashSet<>();
    // First the names that need no change, in order; then the others, each at the first free name.
    for (int pass = 0; pass < 2; pass++) {
      for (int i = 0; i < out.length; i++) {
        String base = sanitize(toolNames.get(i));
        boolean unchanged = base.equals(toolNames.get(i));
        if (out[i] != null || unchanged != (pass == 0)) {
          continue;
        }
        String candidate = base;
        for (int n = 2; !taken.add(candidate.toLowerCase(Locale.ROOT)); n++) {
          String suffix = "_" + n;
          candidate = base.substring(0, Math.min(base.length(), MAX_FUNCTION_NAME - suffix.length())) + suffix;
        }
        out[i] = candidate;
      }
    }
    return List.of(out);
  }

  private static String sanitize(String name) {
    StringBuilder sb = new StringBuilder(Math.min(name.length(), MAX_FUNCTION_NAME));
    for (int i = 0; i < name.length() && sb.length() < MAX_FUNCTION_NAME; i++) {
      char c = name.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
      sb.append(ok ? c : '_');
    }
    return sb.isEmpty() ? "tool" : sb.toString();
  }
}
