package dev.gatehouse.frontend.models;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.registry.models.ModelDefinition;
import java.util.List;

/**
 * {@code GET /v1/models}: the models the agent may use, as OpenAI's list ({@code
 * {"object":"list","data":[{"id","object":"model","created","owned_by"}]}}) or, for a client that
 * sends {@code anthropic-version}, as Anthropic's ({@code {"data":[{"type":"model","id",
 * "display_name","created_at"}],"has_more","first_id","last_id"}}). Aliases carry no creation
 * time, so {@code created} is 0 (the epoch); {@code owned_by} is {@code gatehouse} for a global
 * model and {@code tenant} for one of the agent's tenant. {@code GET /v1/models/{id}} answers one
 * entry; a model the agent may not use is not found, as one that does not exist.
 */
final class ModelListing {
  private ModelListing() {}

  static ObjectNode openAi(List<ModelDefinition> models) {
    ObjectNode root = ModelErrors.JSON.createObjectNode();
    root.put("object", "list");
    ArrayNode data = root.putArray("data");
    for (ModelDefinition m : models) {
      data.add(openAi(m));
    }
    return root;
  }

  /** One model in OpenAI's shape ({@code GET /v1/models/{id}}, and each entry of the list). */
  static ObjectNode openAi(ModelDefinition m) {
    ObjectNode entry = ModelErrors.JSON.createObjectNode();
    entry.put("id", m.name());
    entry.put("object", "model");
    entry.put("created", 0);
    entry.put("owned_by", m.tenantId() == null ? "gatehouse" : "tenant");
    return entry;
  }

  static ObjectNode anthropic(List<ModelDefinition> models) {
    ObjectNode root = ModelErrors.JSON.createObjectNode();
    ArrayNode data = root.putArray("data");
    for (ModelDefinition m : models) {
      data.add(anthropic(m));
    }
    root.put("has_more", false);
    root.put("first_id", models.isEmpty() ? null : models.get(0).name());
    root.put("last_id", models.isEmpty() ? null : models.get(models.size() - 1).name());
    return root;
  }

  /** One model in Anthropic's shape. */
  static ObjectNode anthropic(ModelDefinition m) {
    ObjectNode entry = ModelErrors.JSON.createObjectNode();
    entry.put("type", "model");
    entry.put("id", m.name());
    entry.put("display_name", m.name());
    entry.put("created_at", "1970-01-01T00:00:00Z");
    return entry;
  }
}
