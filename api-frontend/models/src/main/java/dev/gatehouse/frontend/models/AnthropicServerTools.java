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
 * is otherwise refused, {@code invalid_request} naming {@code tools[i].type}, nothing sent; so is a
 * conversation carrying the blocks of its calls or results ({@code messages[i].content[j]}).
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

  /**
   * The blocks of a server tool's call and results, which a conversation carries back once the
   * tool ran, by the tool they belong to. The request policies do not read their text; a tool that
   * may not run here has none, so a conversation carrying one is refused too (a probe sent a
   * fetched page's text in one past a PII entry that blocks).
   */
  private static final java.util.Map<String, String> RESULT_BLOCKS =
      java.util.Map.of(
          "web_search_tool_result", "web_search",
          "web_fetch_tool_result", "web_fetch",
          "code_execution_tool_result", "code_execution",
          "bash_code_execution_tool_result", "code_execution",
          "text_editor_code_execution_tool_result", "code_execution",
          "mcp_tool_use", "mcp_toolset",
          "mcp_tool_result", "mcp_toolset");

  /** Refuses {@code body} when its {@code tools}, or its messages' blocks, hold a server tool not allowed here. */
  void check(ObjectNode body) {
    if (body.get("messages") instanceof ArrayNode messages) {
      for (int i = 0; i < messages.size(); i++) {
        if (messages.get(i).get("content") instanceof ArrayNode blocks) {
          for (int j = 0; j < blocks.size(); j++) {
            JsonNode block = blocks.get(j);
            String type = block.path("type").asText("");
            String tool = type.equals("server_tool_use") ? block.path("name").asText("") : RESULT_BLOCKS.get(type);
            if (tool != null && !CLIENT_TOOLS.contains(tool) && !allowed.contains(tool)) {
              String param = "messages[" + i + "].content[" + j + "]";
              throw ModelCallException.invalid(
                  "'" + param + "' is a block of Anthropic's server tool `" + shown(tool)
                      + "`, which this gateway does not let run (models.anthropicServerTools)",
                  param);
            }
          }
        }
      }
    }
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
        throw ModelCallException.invalid(
            "'" + param + "' `" + shown(type.textValue()) + "` is an Anthropic server tool: Anthropic would"
                + " run it for the agent, beyond what Gatehouse governs and meters; this gateway passes it only when"
                + " models.anthropicServerTools names it",
            param);
      }
    }
  }

  /** A name the caller sent, as an answer may quote it: at most 64 characters, control characters as spaces. */
  private static String shown(String name) {
    return dev.gatehouse.activities.text.Unprintables.spaced(name.length() > 64 ? name.substring(0, 64) + "..." : name);
  }
}
