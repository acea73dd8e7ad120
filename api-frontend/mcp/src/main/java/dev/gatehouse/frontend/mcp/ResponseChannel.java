package dev.gatehouse.frontend.mcp;

import dev.gatehouse.frontend.core.errors.ErrorCode;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.mcp.McpJson;
import dev.gatehouse.frontend.core.jsonrpc.JsonRpc;
import dev.gatehouse.frontend.core.sse.SseWriter;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import reactor.core.publisher.Mono;

/**
 * The HTTP response to one agent request that Gatehouse answers itself ({@code tools/call}). It
 * stays a plain {@code application/json} answer unless something has to reach the agent before
 * the result (progress, a log message, a sampling or elicitation request from the upstream): the
 * first such message turns it into a {@code text/event-stream}, and the result is its last event,
 * as Streamable HTTP allows. Requests to the agent get ids of Gatehouse's own; the agent's answer
 * (a POST of a JSON-RPC response) is matched through {@link GatewaySession#answer}.
 *
 * <p>Messages are written from whichever thread produces them, one at a time; nothing is written
 * after the result.
 */
final class ResponseChannel implements AgentChannel {
  private final HttpServletResponse response;
  private final GatewaySession session;
  private final JsonNode requestId;
  private final SseWriter sse;
  private final ReentrantLock lock = new ReentrantLock();
  private boolean finished;
  /** Ids of the requests sent to the agent on this response, while unanswered. */
  private final java.util.Set<String> asked = java.util.concurrent.ConcurrentHashMap.newKeySet();

  ResponseChannel(HttpServletResponse response, GatewaySession session, JsonNode requestId) {
    this.response = response;
    this.sse = new SseWriter(response);
    this.session = session;
    this.requestId = requestId;
  }

  @Override
  public Mono<Void> progress(McpSchema.ProgressNotification n) {
    return Mono.fromRunnable(() -> send(notification(McpSchema.METHOD_NOTIFICATION_PROGRESS, n)));
  }

  @Override
  public Mono<Void> log(McpSchema.LoggingMessageNotification n) {
    return Mono.fromRunnable(
        () -> {
          if (session.logAllowed(n.level())) {
            send(notification(McpSchema.METHOD_NOTIFICATION_MESSAGE, n));
          }
        });
  }

  @Override
  public Mono<McpSchema.CreateMessageResult> createMessage(McpSchema.CreateMessageRequest r) {
    return request(McpSchema.METHOD_SAMPLING_CREATE_MESSAGE, r, McpSchema.CreateMessageResult.class);
  }

  @Override
  public Mono<McpSchema.ElicitResult> elicit(McpSchema.ElicitFormRequest r) {
    return request(McpSchema.METHOD_ELICITATION_CREATE, r, McpSchema.ElicitResult.class);
  }

  /** Writes the answer: the result, or the error. Nothing is sent after it. */
  void finish(Object result, McpError error) {
    finish(result, error, 200, Map.of());
  }

  /**
   * Writes the refusal {@code error} with HTTP {@code status} and {@code headers} (429 and {@code
   * Retry-After} for {@code overloaded}); as {@link #finish(Object, McpError)} once a stream is open.
   */
  void finish(McpError error, int status, Map<String, String> headers) {
    finish(null, error, status, headers);
  }

  private void finish(Object result, McpError error, int status, Map<String, String> headers) {
    ObjectNode message =
        error != null
            ? JsonRpc.error(requestId, McpJson.tree(error.getJsonRpcError()))
            : JsonRpc.result(requestId, result instanceof JsonNode node ? node : McpJson.tree(result));
    lock.lock();
    try {
      if (finished) {
        return;
      }
      finished = true;
      if (sse.isOpen()) {
        sse.event(null, "message", message.toString());
      } else {
        byte[] body = McpJson.OBJECT_MAPPER.writeValueAsBytes(message); // UTF-8, with no String between
        response.setStatus(status);
        headers.forEach(response::setHeader);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
      }
    } catch (IOException e) {
      // the agent went away: nobody to answer
    } finally {
      lock.unlock();
    }
    // Requests to the agent still unanswered can no longer be: the upstream gets an error.
    for (String id : asked) {
      session.abandonAnswer(id);
    }
  }

  private <T> Mono<T> request(String method, Object params, Class<T> type) {
    return Mono.defer(
        () -> {
          String id = "gatehouse-" + java.util.UUID.randomUUID();
          CompletableFuture<JsonNode> answer = session.expectAnswer(id);
          asked.add(id);
          answer.whenComplete((reply, error) -> asked.remove(id));
          if (!send(JsonRpc.request(id, method, McpJson.tree(params)))) {
            session.forgetAnswer(id);
            return Mono.error(McpErrors.of(ErrorCode.AGENT_GONE, "the agent's request has ended"));
          }
          return Mono.fromFuture(answer)
              .doOnCancel(() -> session.forgetAnswer(id))
              .flatMap(
                  reply -> {
                    JsonNode error = reply.get("error");
                    if (error != null && !error.isNull()) {
                      return Mono.error(
                          McpError.builder(error.path("code").asInt(McpSchema.ErrorCodes.INTERNAL_ERROR))
                              .message(error.path("message").asText("the agent refused the request"))
                              .build());
                    }
                    return Mono.justOrEmpty(McpJson.convert(reply.get("result"), type));
                  });
        });
  }

  private static ObjectNode notification(String method, Object params) {
    return JsonRpc.notification(method, McpJson.tree(params));
  }

  /** Sends a message ahead of the answer; false when the answer has been written already. */
  private boolean send(ObjectNode message) {
    lock.lock();
    try {
      if (finished) {
        return false;
      }
      sse.event(null, "message", message.toString());
      return true;
    } catch (IOException e) {
      return false;
    } finally {
      lock.unlock();
    }
  }
}
