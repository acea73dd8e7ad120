package dev.gatehouse.activities.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpTransportException;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Where the messages a transport's server sends go, whether they came as a POST's JSON body or as
 * events on an SSE stream: the response to a direct request completes it; the response to
 * initialize settles the session; everything else goes to the SDK client's handler, through the
 * delivery lane. Called on the HTTP client's selector thread; only the lane hops off it.
 */
final class ServerMessages {
  private static final Logger LOG = LoggerFactory.getLogger(ServerMessages.class);
  /** The JSON-RPC code of the error catalog's upstream failures ({@code upstream_error}, {@code response_too_large}). */
  static final int UPSTREAM_ERROR_CODE = -32003;

  /** What the transport does when the server answered initialize. */
  interface Initialized {
    /** {@code version}: the protocol version the server chose, if it said; {@code ok}: not an error. */
    void answered(String version, boolean ok);
  }

  private final McpJsonMapper json;
  private final DeliveryLane lane;
  private final DirectRequests direct;
  private final Initialized initialized;
  private final AtomicReference<Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>>> handler =
      new AtomicReference<>();
  private final AtomicReference<Consumer<Throwable>> exceptionHandler = new AtomicReference<>();
  /** The id of the last initialize request, whose response names the negotiated version. */
  private volatile Object initializeId;

  ServerMessages(McpJsonMapper json, DeliveryLane lane, DirectRequests direct, Initialized initialized) {
    this.json = json;
    this.lane = lane;
    this.direct = direct;
    this.initialized = initialized;
  }

  void handler(Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
    this.handler.set(handler);
  }

  void exceptionHandler(Consumer<Throwable> handler) {
    exceptionHandler.set(handler);
  }

  /** An initialize request with this id was sent: its response settles the session. */
  void initializing(Object requestId) {
    initializeId = requestId;
  }

  /**
   * A POST's JSON body: one message or a batch. {@code requestId}: the POSTed request's id (null
   * for a notification or a response): when it is a direct request, a body over its cap or one that
   * cannot be read fails it at once; a body that cannot be read fails the SDK client's request too.
   */
  void fromJsonBody(String text, Object requestId) {
    if (direct.refusedAsTooLarge(requestId, text)) {
      return;
    }
    try {
      JsonNode tree = McpJson.OBJECT_MAPPER.readTree(text);
      if (tree.isArray()) {
        for (JsonNode item : tree) {
          if (!direct.answered(item, null)) {
            String one = item.toString();
            if (!oversizedNotice(one)) {
              deliver(McpSchema.deserializeJsonRpcMessage(json, one));
            }
          }
        }
      } else if (!direct.answered(tree, text) && !oversizedNotice(text)) {
        deliver(McpSchema.deserializeJsonRpcMessage(json, text));
      }
    } catch (IOException e) {
      McpAnswerRefusedException refusal = McpAnswerRefusedException.unreadable(e);
      if (direct.fail(requestId, refusal)) {
        return;
      }
      report(new McpTransportException("unreadable JSON-RPC message from the MCP server", e));
      if (requestId != null && !DirectRequests.isDirect(requestId)) {
        // The body was the answer to the SDK client's request: it fails now, not at its timeout.
        refused(requestId, refusal);
      }
    }
  }

  /**
   * The answer to the SDK client's request {@code requestId} came but is not taken ({@code
   * refusal}: too large, or not JSON): the request is answered with the error catalog's error for
   * it, -32003 with {@code data.code} {@code response_too_large} or {@code upstream_error}, so its
   * caller (a pass-through method, discovery) fails at once.
   */
  void refused(Object requestId, McpAnswerRefusedException refusal) {
    if (direct.fail(requestId, refusal)) {
      return; // a direct request: it fails at once, as for an answer over its own cap
    }
    String code = refusal.tooLarge() ? "response_too_large" : "upstream_error";
    String message = "the MCP server answered, but " + refusal.getMessage();
    deliver(
        new McpSchema.JSONRPCResponse(
            McpSchema.JSONRPC_VERSION,
            requestId,
            null,
            new McpSchema.JSONRPCResponse.JSONRPCError(UPSTREAM_ERROR_CODE, message, Map.of("code", code))));
  }

  /**
   * One SSE event's data; true when it is the response to {@code requestId} (if not null). On the
   * stream of a direct request, an event over that request's cap, or one that names a direct
   * request and cannot be read (its response, most likely), fails the request at once, which
   * would otherwise wait for a response that has come.
   */
  boolean fromEvent(String text, Object requestId) {
    // (only what may be the response: a large progress or log message is not the answer)
    if (DirectRequests.mayAnswer(text) && direct.refusedAsTooLarge(requestId, text)) {
      return true;
    }
    if (DirectRequests.mayAnswer(text)) {
      try {
        JsonNode tree = McpJson.OBJECT_MAPPER.readTree(text);
        if (direct.answered(tree, text)) {
          return Objects.equals(tree.path("id").asText(), String.valueOf(requestId));
        }
      } catch (IOException e) {
        if (direct.fail(requestId, McpAnswerRefusedException.unreadable(e))) {
          return true;
        }
        // reported below
      }
    }
    if (oversizedNotice(text)) {
      return false;
    }
    McpSchema.JSONRPCMessage message;
    try {
      message = McpSchema.deserializeJsonRpcMessage(json, text);
    } catch (IOException e) {
      report(new McpTransportException("unreadable JSON-RPC message from the MCP server", e));
      return false;
    }
    boolean answers =
        requestId != null
            && message instanceof McpSchema.JSONRPCResponse r
            && Objects.equals(String.valueOf(r.id()), String.valueOf(requestId));
    deliver(message);
    return answers;
  }

  /**
   * Request {@code requestId}'s response will not come: answers it with an error instead, a direct
   * request at once (it waited for its timeout, though the transport knew).
   */
  void failed(Object requestId, String why) {
    if (direct.fail(requestId, new McpTransportException(why))) {
      return;
    }
    deliver(
        new McpSchema.JSONRPCResponse(
            McpSchema.JSONRPC_VERSION,
            requestId,
            null,
            new McpSchema.JSONRPCResponse.JSONRPCError(McpSchema.ErrorCodes.INTERNAL_ERROR, why, null)));
  }

  private void deliver(McpSchema.JSONRPCMessage message) {
    Object init = initializeId;
    if (init != null
        && message instanceof McpSchema.JSONRPCResponse r
        && Objects.equals(String.valueOf(r.id()), String.valueOf(init))) {
      initializeId = null;
      String version =
          r.result() instanceof Map<?, ?> result && result.get("protocolVersion") instanceof String v ? v : null;
      initialized.answered(version, r.error() == null);
    }
    var h = handler.get();
    if (h == null) {
      LOG.warn("MCP message received before connect; dropped");
      return;
    }
    if (message instanceof McpSchema.JSONRPCNotification n && LIST_CHANGES.contains(n.method())) {
      listChanged(h, n);
      return;
    }
    Runnable task = () -> h.apply(Mono.just(message)).subscribe(null, e -> LOG.debug("MCP message handler failed", e));
    if (message instanceof McpSchema.JSONRPCNotification n && LOSSY.contains(n.method())) {
      if (!lane.offer(task) && (lane.dropped() & (lane.dropped() - 1)) == 0) {
        // the 1st, 2nd, 4th, 8th... drop: a line now and then, however many
        LOG.info("an upstream's notifications wait unread (its agent is not reading them): {} dropped so far, {} this time", lane.dropped(), n.method());
      }
      return;
    }
    lane.run(task);
  }

  /** The list changes: the SDK client fetches the whole list (up to 16 MiB) for each one it is handed. */
  private static final java.util.Set<String> LIST_CHANGES =
      java.util.Set.of(
          McpSchema.METHOD_NOTIFICATION_TOOLS_LIST_CHANGED,
          McpSchema.METHOD_NOTIFICATION_PROMPTS_LIST_CHANGED,
          McpSchema.METHOD_NOTIFICATION_RESOURCES_LIST_CHANGED);

  /** Per list change method: 0 none handed on, 1 one handed on (its list is being fetched), 2 and another came meanwhile. */
  private final Map<String, java.util.concurrent.atomic.AtomicInteger> listChanges = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * A list change is handed to the SDK client (which fetches the list, then tells its consumers)
   * only when none of its kind is being followed; those that come meanwhile make one more, once
   * that one is done, which reads the list as it is then. A server that sent them without end had
   * the client fetch its list thousands of times a minute (and a large list, gigabytes of heap).
   */
  private void listChanged(Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> h, McpSchema.JSONRPCNotification n) {
    java.util.concurrent.atomic.AtomicInteger state = listChanges.computeIfAbsent(n.method(), m -> new java.util.concurrent.atomic.AtomicInteger());
    if (state.getAndUpdate(s -> Math.min(2, s + 1)) == 0) {
      handOn(h, n, state);
    }
  }

  private void handOn(
      Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> h,
      McpSchema.JSONRPCNotification n,
      java.util.concurrent.atomic.AtomicInteger state) {
    lane.run(
        () -> {
          Mono<McpSchema.JSONRPCMessage> handled;
          try {
            handled = h.apply(Mono.just(n));
          } catch (RuntimeException e) {
            state.set(0); // nothing is being followed: the next change is handed on
            LOG.debug("MCP message handler failed", e);
            return;
          }
          handled
              .doFinally(
                  signal -> {
                    // 2 -> 1: another came meanwhile, hand it on; 1 -> 0: done.
                    if (state.decrementAndGet() > 0) {
                      handOn(h, n, state);
                    }
                  })
              .subscribe(null, e -> LOG.debug("MCP message handler failed", e));
        });
  }

  /**
   * What a server may send without end and an agent can do without: dropped once its lane is
   * full ({@link DeliveryLane#offer}). Responses, requests and the list changes discovery follows
   * are never dropped.
   */
  private static final java.util.Set<String> LOSSY =
      java.util.Set.of(
          McpSchema.METHOD_NOTIFICATION_PROGRESS, McpSchema.METHOD_NOTIFICATION_MESSAGE, McpSchema.METHOD_NOTIFICATION_RESOURCES_UPDATED);

  /**
   * The most characters of a progress, log or resource-update notification: one larger is dropped
   * before it is parsed, as one the lane has no room for is. Up to 64 of them wait in a session's
   * lane, and a server sent a hundred of 5 MiB in one call (a gigabyte and a half of heap for four
   * agents that did not read); an agent gets at most {@code 1,024} characters of a progress
   * message anyway ({@code GovernedChannel}).
   */
  static final int MAX_NOTICE_CHARS = 256 * 1024;

  private final java.util.concurrent.atomic.AtomicLong oversized = new java.util.concurrent.atomic.AtomicLong();

  /** True (and counted) when {@code text} is a lossy notification over {@link #MAX_NOTICE_CHARS}. */
  private boolean oversizedNotice(String text) {
    if (text.length() <= MAX_NOTICE_CHARS || !isLossyNotice(text)) {
      return false;
    }
    long n = oversized.incrementAndGet();
    if ((n & (n - 1)) == 0) {
      LOG.info("an upstream sent notifications over {} characters: {} dropped so far", MAX_NOTICE_CHARS, n);
    }
    return true;
  }

  /**
   * Whether {@code text} is a message of a {@link #LOSSY} method: read up to its {@code method}, or
   * to the {@code id}, {@code result} or {@code error} of a request or response (which is not one),
   * whichever comes first, without reading the rest.
   */
  private static boolean isLossyNotice(String text) {
    try (com.fasterxml.jackson.core.JsonParser p = McpJson.OBJECT_MAPPER.getFactory().createParser(text)) {
      if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
        return false;
      }
      while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
        String name = p.currentName();
        p.nextToken();
        switch (name) {
          case "method" -> {
            return p.currentToken() == com.fasterxml.jackson.core.JsonToken.VALUE_STRING && LOSSY.contains(p.getText());
          }
          case "id", "result", "error" -> {
            return false;
          }
          default -> p.skipChildren();
        }
      }
      return false;
    } catch (IOException | RuntimeException e) {
      return false; // not readable: left to the parse that follows
    }
  }

  /** Hands a failure to the SDK client's exception handler. */
  void report(Throwable t) {
    Consumer<Throwable> h = exceptionHandler.get();
    if (h != null) {
      try {
        h.accept(t);
      } catch (RuntimeException e) {
        LOG.debug("MCP exception handler failed", e);
      }
    }
  }
}
