package dev.gatehouse.activities.mcp;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.activities.text.UpstreamJson;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;

/** The one JSON mapper Gatehouse gives the MCP SDK (Jackson 2), and conversions to and from it. */
public final class McpJson {
  public static final ObjectMapper OBJECT_MAPPER =
      UpstreamJson.bounded(new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES));
  public static final McpJsonMapper MAPPER = new JacksonMcpJsonMapper(OBJECT_MAPPER);

  /**
   * The schema validator Gatehouse gives the SDK's clients and sessions: it accepts everything.
   * Gatehouse checks tool arguments itself (ArgumentSchemaPolicy) and passes upstream answers
   * through as they are; the SDK's default validator would also need a networknt version other
   * than the one the policies module uses.
   */
  public static final JsonSchemaValidator PASS_THROUGH =
      (schema, content) -> {
        try {
          return JsonSchemaValidator.ValidationResponse.asValid(MAPPER.writeValueAsString(content));
        } catch (java.io.IOException e) {
          return JsonSchemaValidator.ValidationResponse.asValid(null);
        }
      };

  private McpJson() {}

  public static JsonNode tree(Object value) {
    return OBJECT_MAPPER.valueToTree(value);
  }

  public static <T> T convert(Object value, Class<T> type) {
    return OBJECT_MAPPER.convertValue(value, type);
  }
}
