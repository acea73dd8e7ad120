package dev.gatehouse.workflows.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.gatehouse.workflows.model.ModelCallResult;
import dev.gatehouse.workflows.model.ModelCallUsage;

/**
 * What a model step sends and what it outputs. Pure and deterministic: workflow code calls it.
 *
 * <p>The request is an OpenAI chat-completions body: {@code model}, the step's messages with
 * their templates filled, and {@code max_tokens} when the step sets {@code maxTokens}. A message
 * whose {@code content} is exactly one template naming an object, a number or a boolean gets that
 * value's JSON text as its content, since a model reads text (an array stays an array: content
 * parts).
 *
 * <p>The output, what later steps read as {@code ${steps.ID.output...}}: {@code content} (the
 * answer's text), {@code finishReason}, {@code usage} (input, cached-input, output and reasoning
 * tokens), {@code cost} (a decimal as text, null without prices), {@code provider} and {@code
 * providerModel}.
 */
final class ModelSteps {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private ModelSteps() {}

  static ObjectNode body(PipelineStep step, JsonNode filledMessages) {
    ObjectNode body = JSON.objectNode();
    body.put("model", step.model());
    ArrayNode messages = body.putArray("messages");
    for (JsonNode m : filledMessages) {
      if (m.isObject() && m.has("content") && isScalarOrObject(m.get("content"))) {
        ObjectNode copy = ((ObjectNode) m).deepCopy();
        copy.set("content", TextNode.valueOf(m.get("content").toString()));
        messages.add(copy);
      } else {
        messages.add(m);
      }
    }
    if (step.maxTokens() != null) {
      body.put("max_tokens", step.maxTokens());
    }
    return body;
  }

  private static boolean isScalarOrObject(JsonNode content) {
    return !content.isTextual() && !content.isArray() && !content.isNull();
  }

  static JsonNode output(ModelCallResult result) {
    ObjectNode out = JSON.objectNode();
    out.put("content", result.content());
    out.put("finishReason", result.finishReason());
    ObjectNode usage = out.putObject("usage");
    ModelCallUsage u = result.usage();
    usage.put("inputTokens", u == null ? 0 : u.inputTokens());
    usage.put("cachedInputTokens", u == null ? 0 : u.cachedInputTokens());
    usage.put("outputTokens", u == null ? 0 : u.outputTokens());
    usage.put("reasoningTokens", u == null ? 0 : u.reasoningTokens());
    if (u != null && u.estimated()) {
      usage.put("estimated", true);
    }
    out.put("cost", result.cost());
    out.put("provider", result.provider());
    out.put("providerModel", result.providerModel());
    return out;
  }
}
