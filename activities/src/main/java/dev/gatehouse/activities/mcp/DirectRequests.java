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

  /** A request awaiting its response, which may be at most {@code maxBytes} (UTF-8; 0: no cap). */
  private record Pending(CompletableFuture<JsonNode> answer, int maxBytes) {}

  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final DeliveryLane lane;

  DirectRequests(DeliveryLane lane) {
    this.lane = lane;
  }

  /** A new request, awaiting its response until {@link #forget}. */
  Call open(String method, JsonNode params) {
    return open(method, params, 0);
  }

  /**
   * A new request, awaiting its response until {@link #forget}; a response over {@code
   * maxAnswerBytes} (UTF-8; 0: no cap) fails it with {@link McpAnswerRefusedException}.
   */
  Call open(String method, JsonNode params, int maxAnswerBytes) {
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
    pending.put(id, new Pending(answer, Math.max(0, maxAnswerBytes)));
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

  /** Whether {@code id} is the id of one of these requests (waiting or not), never of the SDK client's. */
  static boolean isDirect(Object id) {
    return id instanceof String s && s.startsWith(ID_PREFIX);
  }

  /** False when {@code text} cannot be the response to one of these requests (it lacks their ids). */
  static boolean mayAnswer(String text) {
    return text.contains(ID_PREFIX);
  }

  /**
   * Completes a request with {@code message}, its response (as {@code text}, null when not at
   * hand: then its size is not checked); false when it is not one.
   */
  boolean answered(JsonNode message, String text) {
    if (message == null || message.has("method")) {
      return false;
    }
    JsonNode id = message.get("id");
    if (id == null || !id.isTextual() || !id.asText().startsWith(ID_PREFIX)) {
      return false;
    }
    if (text != null && refusedAsTooLarge(id.asText(), text)) {
      return true;
    }
    Pending p = pending.remove(id.asText());
    if (p == null) {
      return true; // the answer to a request its caller gave up on: dropped
    }
    // At once, unless messages that came before it are still in the lane: they go first.
    lane.runNowIfIdle(() -> p.answer().complete(message));
    return true;
  }

  /**
   * True when {@code text}, a message on the stream of request {@code requestId} (one of these,
   * still waiting), is over that request's cap: the request has then failed, and the message need
   * not be read.
   */
  boolean refusedAsTooLarge(Object requestId, String text) {
    if (!(requestId instanceof String id)) {
      return false;
    }
    Pending p = pending.get(id);
    if (p == null || p.maxBytes() == 0 || !overBytes(text, p.maxBytes())) {
      return false;
    }
    return fail(id, McpAnswerRefusedException.tooLarge(p.maxBytes()));
  }

  /** Fails request {@code requestId} with {@code failure}; false when it is not one of these still waiting. */
  boolean fail(Object requestId, RuntimeException failure) {
    if (!(requestId instanceof String id)) {
      return false;
    }
    Pending p = pending.remove(id);
    if (p == null) {
      return false;
    }
    lane.runNowIfIdle(() -> p.answer().completeExceptionally(failure));
    return true;
  }

  /** Whether {@code text} takes more than {@code max} bytes in UTF-8 (counted only as far as needed). */
  static boolean overBytes(String text, int max) {
    int n = text.length();
    if (n > max) {
      return true;
    }
    return (long) n * 3 > max && dev.gatehouse.activities.sse.SseParser.utf8Length(text, max) > max;
  }

  /** The transport closed: every request still waiting fails. */
  void closed() {
    pending.values().forEach(p -> p.answer().completeExceptionally(new McpTransportException("transport is closed")));
    pending.clear();
  }
}
