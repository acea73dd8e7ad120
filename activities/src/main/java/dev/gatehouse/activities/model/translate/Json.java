package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.ModelCallException;
import dev.gatehouse.activities.model.ModelCodes;
import dev.gatehouse.activities.text.UpstreamJson;

/** The JSON plumbing of translation: one mapper, new nodes, and reading what a provider sent. */
final class Json {
  /** Strict about trailing text, so {@code {"a":1} x} is not taken for an object. */
  static final ObjectMapper MAPPER = UpstreamJson.bounded(JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build());

  private Json() {}

  static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  static ArrayNode array() {
    return JsonNodeFactory.instance.arrayNode();
  }

  /** {@code {"type": type, type: value}}: the shape of OpenAI's parts, tools and formats. */
  static ObjectNode typed(String type, ObjectNode value) {
    ObjectNode out = object().put("type", type);
    out.set(type, value);
    return out;
  }

  /** Compact JSON text of a tree Gatehouse built (which always serializes). */
  static String write(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree did not serialize", e);
    }
  }

  /** Parses JSON text; null when it is not JSON. */
  static JsonNode parse(String text) {
    try {
      return MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  /** The text of a string member, or null when the member is absent or not a string. */
  static String text(JsonNode parent, String name) {
    JsonNode node = parent == null ? null : parent.get(name);
    return node != null && node.isTextual() ? node.textValue() : null;
  }

  /** A count a provider reported: 0 when absent, null or not a number. */
  static long count(JsonNode parent, String name) {
    JsonNode node = parent == null ? null : parent.get(name);
    if (node == null || !node.isNumber()) {
      return 0;
    }
    // A provider's count is taken as a count: a negative one (which would lower what a tenant's
    // usage shows) is 0, and an absurd one is held where sums of them cannot overflow.
    double d = node.doubleValue();
    return d <= 0 || Double.isNaN(d) ? 0 : (long) Math.min(d, MAX_COUNT);
  }

  /**
   * Whether {@code parent}'s member {@code name} is set (not null) but is not a count: not a
   * number, negative, or not whole. A usage with such a count is taken as no usage at all, and the
   * call's tokens are estimated: a count of 0 in its place made the call free.
   */
  static boolean badCount(JsonNode parent, String name) {
    JsonNode node = parent == null ? null : parent.get(name);
    if (node == null || node.isNull()) {
      return false;
    }
    if (!node.isNumber()) {
      return true;
    }
    double d = node.doubleValue();
    return Double.isNaN(d) || d < 0 || d != Math.rint(d);
  }

  /** The most tokens one count of a provider's is taken as (a trillion). */
  static final long MAX_COUNT = 1_000_000_000_000L;

  /** The provider sent what its dialect does not allow: 502 {@code upstream_error}. */
  static ModelCallException upstream(String message, boolean retryable) {
    return new ModelCallException(ModelCodes.UPSTREAM_ERROR, 502, message, null, null, retryable);
  }

  /**
   * An upstream error's type when it is a plain token ({@code overloaded_error}), for a message
   * that names it; its free text is not repeated, since a provider may put a (masked) credential
   * in it.
   */
  static String errorType(JsonNode error) {
    String type = text(error, "type");
    if (type == null) {
      type = text(error, "code");
    }
    return type != null && type.length() <= 64 && type.matches("[A-Za-z0-9_.-]+") ? type : null;
  }
}
