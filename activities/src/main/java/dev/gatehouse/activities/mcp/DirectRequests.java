package dev.gatehouse.activities.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelcontextprotocol.spec.McpTransportException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The requests a transport sent past the SDK client ({@link StreamableHttpClientTransport#call})
 * that await their response: their ids, their messages, and the matching of a response to its
 * request. Their ids take a form the SDK client's never do, so a response is recognized as one of
 * them without reading every message twice.
 */
final class DirectRequests {
  private static final String ID_PREFIX = "gatehouse-";

  /** One request sent: its id, its message as sent (UTF-8 JSON), and where its response goes. */
  record Call(String id, byte[] body, CompletableFuture<JsonNode> answer) {}

  private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final DeliveryLane lane;

  DirectRequests(DeliveryLane lane) {
    this.lane = lane;
  }

  /** A new request, awaiting its response until {@link #forget}. */
  Call open(String method, JsonNode params) {
    String id = ID_PREFIX + ids.incrementAndGet();
    var message = McpJson.OBJECT_MAPPER.createObjectNode().put("jsonrpc", "2.0").put("id", id).put("method", method);
    message.set("params", params);
    byte[] body;
    try {
      body = McpJson.OBJECT_MAPPER.writeValueAsBytes(message); // UTF-8, with no String between
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("the request's params cannot be written as JSON", e);
    }
    CompletableFuture<JsonNode> answer = new CompletableFuture<>();
    pending.put(id, answer);
    return new Call(id, body, answer);
  }

  void forget(String id) {
    pending.remove(id);
  }

  /** The notification that tells the server the caller of request {@code id} gave up on it. */
  static String cancellation(String id) {
    var note = McpJson.OBJECT_MAPPER.createObjectNode().put("jsonrpc", "2.0").put("method", "notifications/cancelled");
    note.putObject("params").put("requestId", id).put("reason", "the caller gave up on the request");
    return note.toString();
  }

  /** False when {@code text} cannot be the response to one of these requests (it lacks their ids). */
  static boolean mayAnswer(String text) {
    return text.contains(ID_PREFIX);
  }

  /** Completes a request with {@code message}, its response; false when it is not one. */
  boolean answered(JsonNode message) {
    if (message == null || message.has("method")) {
      return false;
    }
    JsonNode id = message.get("id");
    if (id == null || !id.isTextual() || !id.asText().startsWith(ID_PREFIX)) {
      return false;
    }
    var answer = pending.remove(id.asText());
    if (answer == null) {
      return true; // the answer to a request its caller gave up on: dropped
    }
    // At once, unless messages that came before it are still in the lane: they go first.
    lane.runNowIfIdle(() -> answer.complete(message));
    return true;
  }

  /** The transport closed: every request still waiting fails. */
  void closed() {
    pending.values().forEach(f -> f.completeExceptionally(new McpTransportException("transport is closed")));
    pending.clear();
  }
}
