package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.ModelCallException;

/**
 * Reads the members of a caller's request for translation. Every refusal is {@code
 * invalid_request} with a message that names the member by its path in the request ({@code
 * messages[2].tool_calls[0].function.arguments}) and says what it must be, in JSON's words.
 */
final class Members {
  private Members() {}

  static ModelCallException invalid(String path, String problem) {
    return ModelCallException.invalid("`" + path + "` " + problem, path);
  }

  static boolean present(JsonNode parent, String name) {
    JsonNode node = parent.get(name);
    return node != null && !node.isNull();
  }

  static ObjectNode object(JsonNode node, String path) {
    if (node == null || !node.isObject()) {
      throw invalid(path, "must be an object");
    }
    return (ObjectNode) node;
  }

  static ArrayNode array(JsonNode node, String path) {
    if (node == null || !node.isArray()) {
      throw invalid(path, "must be an array");
    }
    return (ArrayNode) node;
  }

  /** An array member that may be absent or null (then null). */
  static ArrayNode optionalArray(JsonNode parent, String name, String path) {
    return present(parent, name) ? array(parent.get(name), path) : null;
  }

  static String text(JsonNode parent, String name, String path) {
    JsonNode node = parent.get(name);
    if (node == null || !node.isTextual()) {
      throw invalid(path, "must be a string");
    }
    return node.textValue();
  }

  /** A string member that may be absent or null (then null). */
  static String optionalText(JsonNode parent, String name, String path) {
    return present(parent, name) ? text(parent, name, path) : null;
  }

  /** A number member that may be absent or null (then null). */
  static JsonNode optionalNumber(JsonNode parent, String name, String path) {
    if (!present(parent, name)) {
      return null;
    }
    JsonNode node = parent.get(name);
    if (!node.isNumber()) {
      throw invalid(path, "must be a number");
    }
    return node;
  }

  /** A positive whole number member that may be absent or null (then null). */
  static Long optionalPositive(JsonNode parent, String name, String path) {
    JsonNode node = optionalNumber(parent, name, path);
    if (node == null) {
      return null;
    }
    if (!node.canConvertToExactIntegral() || !node.canConvertToLong() || node.longValue() < 1) {
      throw invalid(path, "must be a positive integer");
    }
    return node.longValue();
  }

  /** A boolean member that may be absent or null (then null). */
  static Boolean optionalBoolean(JsonNode parent, String name, String path) {
    if (!present(parent, name)) {
      return null;
    }
    JsonNode node = parent.get(name);
    if (!node.isBoolean()) {
      throw invalid(path, "must be true or false");
    }
    return node.booleanValue();
  }

  /** {@code stop}/{@code stop_sequences}: a string or an array of strings, as an array; null when absent. */
  static ArrayNode stopSequences(JsonNode parent, String name) {
    if (!present(parent, name)) {
      return null;
    }
    JsonNode node = parent.get(name);
    ArrayNode out = Json.array();
    if (node.isTextual()) {
      return out.add(node.textValue());
    }
    if (!node.isArray()) {
      throw invalid(name, "must be a string or an array of strings");
    }
    for (int i = 0; i < node.size(); i++) {
      if (!node.get(i).isTextual()) {
        throw invalid(name + "[" + i + "]", "must be a string");
      }
      out.add(node.get(i).textValue());
    }
    return out;
  }
}
