package dev.gatehouse.frontend.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.ModelCallException;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which of Anthropic's own tool types a caller of the Anthropic face may put in {@code tools}.
 * A custom tool, and an Anthropic-defined one the client runs ({@code bash}, {@code text_editor},
 * {@code computer}, {@code memory}; tool search, over the request's own tools), passes. A server
 * tool Anthropic runs itself ({@code web_search}, {@code web_fetch}, {@code code_execution}, the
 * MCP connector's {@code mcp_toolset}, and any type not known here) lets the model reach out on the
 * agent's behalf where Gatehouse neither governs nor meters it (Anthropic bills searches and code
 * execution at prices no registry entry says), as the betas of {@link AnthropicBetas} can: it passes
 * only when {@code models.anthropicServerTools} names it (its type without the version date), and
 * is otherwise refused, {@code invalid_request} naming {@code tools[i].type}, nothing sent.
 */
final class AnthropicServerTools {
  /** Anthropic-defined tools the client runs, and tool search (over the tools the request gives). */
  private static final Set<String> CLIENT_TOOLS =
      Set.of("custom", "bash", "text_editor", "computer", "memory", "tool_search_tool_regex", "tool_search_tool_bm25");
  /** A type's version date ({@code web_search_20250305}). */
  private static final Pattern VERSION = Pattern.compile("_\\d{8}$");

  private final Set<String> allowed;

  AnthropicServerTools(Set<String> allowed) {
    this.allowed = Set.copyOf(allowed);
  }

  /** Refuses {@code body} when its {@code tools} hold a server tool not allowed here. */
  void check(ObjectNode body) {
    if (!(body.get("tools") instanceof ArrayNode tools)) {
      return; // (not an array: the provider, or the translation, refuses it)
    }
    for (int i = 0; i < tools.size(); i++) {
      JsonNode type = tools.get(i).get("type");
      if (type == null || type.isNull()) {
        continue;
      }
      String param = "tools[" + i + "].type";
      if (!type.isTextual()) {
        throw ModelCallException.invalid("'" + param + "' must be a string", param);
      }
      String name = VERSION.matcher(type.textValue()).replaceFirst("");
      if (!CLIENT_TOOLS.contains(name) && !allowed.contains(name)) {
        String shown = type.textValue().length() > 64 ? type.textValue().substring(0, 64) + "..." : type.textValue();
        throw ModelCallException.invalid(
            "'" + param + "' `" + dev.gatehouse.activities.text.Unprintables.spaced(shown) + "` is an Anthropic server tool: Anthropic would"
                + " run it for the agent, beyond what Gatehouse governs and meters; this gateway passes it only when"
                + " models.anthropicServerTools names it",
            param);
      }
    }
  }
}
