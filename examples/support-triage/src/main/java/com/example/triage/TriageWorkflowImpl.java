package com.example.triage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.workflows.model.ModelCallResult;
import dev.gatehouse.workflows.spi.Governed;
import dev.gatehouse.workflows.spi.TaskInput;
import dev.gatehouse.workflows.tool.ToolCallResult;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.util.List;

/**
 * The triage, step by step. Workflow code: it must be deterministic (no clocks, random numbers,
 * threads or I/O of its own); everything outside happens in the governed calls, which Temporal
 * records, retries and replays.
 */
public class TriageWorkflowImpl implements TriageWorkflow {
  static final List<String> CATEGORIES = List.of("billing", "bug", "account", "other");
  static final List<String> PRIORITIES = List.of("low", "normal", "high", "urgent");
  /** The most knowledge-base articles handed to the model and cited on the new ticket. */
  static final int MAX_ARTICLES = 3;
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public JsonNode triage(TaskInput task) {
    Governed gw = Governed.of(task);
    String ticketId = gw.input().get("ticketId").textValue();

    // 1. Read the ticket.
    JsonNode ticket = gw.tool("read-ticket", TriageWorkflowType.GET_TICKET, JSON.createObjectNode().put("id", ticketId)).output();
    String subject = ticket.path("subject").asText("");
    String body = ticket.path("body").asText("");

    // 2. Look up the knowledge base.
    ToolCallResult kb = gw.tool("search-kb", TriageWorkflowType.SEARCH_KB, JSON.createObjectNode().put("query", subject));
    ArrayNode articles = JSON.createArrayNode();
    for (JsonNode a : kb.output().path("articles")) {
      if (articles.size() < MAX_ARTICLES && a.path("id").isTextual()) {
        articles.addObject().put("id", a.get("id").textValue()).put("title", a.path("title").asText(""));
      }
    }

    // 3. Ask the model to classify it.
    ObjectNode request = JSON.createObjectNode();
    ArrayNode messages = request.putArray("messages");
    messages.addObject()
        .put("role", "system")
        .put(
            "content",
            "You triage support tickets. Answer with one JSON object and nothing else: "
                + "{\"category\": one of " + CATEGORIES + ", \"priority\": one of " + PRIORITIES
                + ", \"summary\": one sentence}.");
    StringBuilder user = new StringBuilder("Ticket " + ticketId + "\nSubject: " + subject + "\n\n" + body + "\n\nKnowledge base:");
    for (JsonNode a : articles) {
      user.append("\n- [").append(a.get("id").textValue()).append("] ").append(a.get("title").textValue());
    }
    messages.addObject().put("role", "user").put("content", user.toString());
    request.put("max_tokens", 200);
    ModelCallResult answer = gw.model("classify", TriageWorkflowType.MODEL, request);
    ObjectNode result = classify(answer.content(), subject);
    result.put("ticketId", ticketId);
    ArrayNode cited = result.putArray("articles");
    articles.forEach(a -> cited.add(a.get("id").textValue()));

    // 4. File it: this call waits for an operator's approval.
    ObjectNode filing =
        JSON.createObjectNode()
            .put("queue", result.get("category").textValue())
            .put("priority", result.get("priority").textValue())
            .put("title", "[" + result.get("category").textValue() + "] " + subject)
            .put("summary", result.get("summary").textValue())
            .put("source", ticketId);
    filing.set("articles", cited.deepCopy());
    try {
      JsonNode created = gw.tool("create-ticket", TriageWorkflowType.CREATE_TICKET, filing).output();
      result.put("status", "filed");
      result.set("filed", created.path("id"));
    } catch (ApplicationFailure refused) {
      if (Governed.APPROVAL_DENIED.equals(refused.getType())) {
        result.put("status", "denied");
      } else if (Governed.APPROVAL_EXPIRED.equals(refused.getType())) {
        result.put("status", "expired");
      } else {
        throw refused;
      }
      result.putNull("filed");
    }
    return result;
  }

  /**
   * The model's classification: the JSON object it was asked for, or, when its answer is not one
   * (a model may answer otherwise), {@code other}/{@code normal} with the subject as summary and
   * {@code classifiedBy: fallback}.
   */
  static ObjectNode classify(String content, String subject) {
    ObjectNode out = JSON.createObjectNode();
    JsonNode parsed = null;
    if (content != null) {
      int start = content.indexOf('{');
      int end = content.lastIndexOf('}');
      if (start >= 0 && end > start) {
        try {
          parsed = JSON.readTree(content.substring(start, end + 1));
        } catch (IOException notJson) {
          parsed = null;
        }
      }
    }
    if (parsed != null
        && CATEGORIES.contains(parsed.path("category").asText())
        && PRIORITIES.contains(parsed.path("priority").asText())
        && parsed.path("summary").isTextual()) {
      out.put("category", parsed.get("category").textValue());
      out.put("priority", parsed.get("priority").textValue());
      String summary = parsed.get("summary").textValue();
      out.put("summary", summary.length() <= 500 ? summary : summary.substring(0, 500));
      out.put("classifiedBy", "model");
    } else {
      out.put("category", "other");
      out.put("priority", "normal");
      out.put("summary", subject);
      out.put("classifiedBy", "fallback");
    }
    return out;
  }
}
