package dev.gatehouse.frontend.models;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.ModelCallException;
import dev.gatehouse.activities.model.ModelCodes;
import dev.gatehouse.registry.models.ModelDefinition;
import java.util.List;

/**
 * {@code GET /v1/models}: the models the agent may use, as OpenAI's list ({@code
 * {"object":"list","data":[{"id","object":"model","created","owned_by"}]}}) or, for a client that
 * sends {@code anthropic-version}, as Anthropic's ({@code {"data":[{"type":"model","id",
 * "display_name","created_at"}],"has_more","first_id","last_id"}}). Aliases carry no creation
 * time, so {@code created} is 0 (the epoch); Anthropic's list is paged as Anthropic pages it
 * ({@code limit}, {@code after_id}, {@code before_id}); {@code owned_by} is {@code gatehouse} for a global
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

  /** Anthropic's page size when the request sets none, and the largest it may set. */
  static final int ANTHROPIC_DEFAULT_LIMIT = 20;

  static final int ANTHROPIC_MAX_LIMIT = 1000;

  /**
   * One page of the models in Anthropic's shape, as Anthropic pages them: {@code limit} (1 to
   * 1,000, default 20), and the models after {@code after_id} or before {@code before_id} (one of
   * them); {@code has_more} says whether more lie past the page in its direction.
   */
  static ObjectNode anthropic(List<ModelDefinition> models, String limitParam, String afterId, String beforeId) {
    int limit = ANTHROPIC_DEFAULT_LIMIT;
    if (limitParam != null) {
      try {
        limit = Integer.parseInt(limitParam.trim());
      } catch (NumberFormatException e) {
        limit = 0;
      }
      if (limit < 1 || limit > ANTHROPIC_MAX_LIMIT) {
        throw refused("limit must be an integer from 1 to " + ANTHROPIC_MAX_LIMIT, "limit");
      }
    }
    if (afterId != null && beforeId != null) {
      throw refused("give after_id or before_id, not both", "after_id");
    }
    int from = 0;
    int to = models.size();
    if (afterId != null) {
      from = indexOf(models, afterId, "after_id") + 1;
      to = Math.min(models.size(), from + limit);
    } else if (beforeId != null) {
      to = indexOf(models, beforeId, "before_id");
      from = Math.max(0, to - limit);
    } else {
      to = Math.min(models.size(), limit);
    }
    List<ModelDefinition> page = models.subList(from, to);
    ObjectNode root = ModelErrors.JSON.createObjectNode();
    ArrayNode data = root.putArray("data");
    for (ModelDefinition m : page) {
      data.add(anthropic(m));
    }
    root.put("has_more", beforeId != null ? from > 0 : to < models.size());
    root.put("first_id", page.isEmpty() ? null : page.get(0).name());
    root.put("last_id", page.isEmpty() ? null : page.get(page.size() - 1).name());
    return root;
  }

  private static int indexOf(List<ModelDefinition> models, String id, String param) {
    for (int i = 0; i < models.size(); i++) {
      if (models.get(i).name().equals(id)) {
        return i;
      }
    }
    throw refused(param + " is not a model of this listing", param);
  }

  private static ModelCallException refused(String message, String param) {
    return new ModelCallException(ModelCodes.INVALID_REQUEST, 400, message, param, null, false);
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
