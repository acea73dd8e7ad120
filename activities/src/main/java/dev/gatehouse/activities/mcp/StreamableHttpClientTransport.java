package dev.gatehouse.activities.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpTransportException;
import io.modelcontextprotocol.spec.McpTransportSessionNotFoundException;
import io.modelcontextprotocol.spec.ProtocolVersions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Schedulers;

/**
 * An MCP client transport for Streamable HTTP (spec 2025-11-25), on {@link HttpClient}.
 *
 * <p>Each message is POSTed; the answer comes as {@code 202}, one JSON body or an SSE stream. An
 * SSE stream's event ids and {@code retry:} are remembered, and when a request's stream ends
 * (normally or not) before its response arrived, the stream is resumed with GET and {@code
 * Last-Event-ID} after the retry delay (SEP-1699), a bounded number of times. Once the
 * server gave a session id a GET stream is opened for what the server sends on its own; it is
 * resumed the same way when it drops ({@code 405}: the server has none). A {@code 404} to a
 * request that carried a session id is a {@link McpTransportSessionNotFoundException}. Error
 * messages name the method and status, never a header (they carry credentials).
 */
public final class StreamableHttpClientTransport implements McpClientTransport {
  private static final Logger LOG = LoggerFactory.getLogger(StreamableHttpClientTransport.class);
  private static final String SESSION_ID = "Mcp-Session-Id";
  private static final String PROTOCOL_VERSION = "MCP-Protocol-Version";
  private static final String LAST_EVENT_ID = "Last-Event-ID";
  private static final String EVENT_STREAM = "text/event-stream";
  private static final String JSON = "application/json";
  private static final long DEFAULT_RETRY_MILLIS = 1000;
  /** Resumptions of one request's stream that brought nothing new, before the request fails. */
  private static final int MAX_RESUME_ATTEMPTS = 5;
  /** Failed (re)connections of the listening stream in a row, before it is given up. */
  private static final int MAX_LISTEN_FAILURES = 8;
  /** A listening stream that stayed up this long counts as working when it drops. */
  private static final long STABLE_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final List<String> VERSIONS =
      List.of(
          ProtocolVersions.MCP_2024_11_05,
          ProtocolVersions.MCP_2025_03_26,
          ProtocolVersions.MCP_2025_06_18,
          ProtocolVersions.MCP_2025_11_25);
  private static final String LATEST = ProtocolVersions.MCP_2025_11_25;
  /** Ids of {@link #request}s; the SDK client's ids never take this form. */
  private static final String DIRECT_ID_PREFIX = "gatehouse-";

  private final HttpClient http;
  private final URI uri;
  private final Map<String, String> headers;
  private final McpJsonMapper json;
  private final AtomicReference<Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>>> handler =
      new AtomicReference<>();
  private final AtomicReference<Consumer<Throwable>> exceptionHandler = new AtomicReference<>();

  private volatile String sessionId;
  private volatile String protocolVersion;
  private volatile boolean closed;
  /** The id of the last initialize request, whose response names the negotiated version. */
  private volatile Object initializeId;
  /**
   * Where messages from the server reach the client's handlers, in the order they arrived and off
   * the HTTP client's thread (a handler may block: relaying to an agent, writing to the database).
   */
  private final reactor.core.scheduler.Scheduler.Worker lane = Schedulers.boundedElastic().createWorker();
  /** Tasks given to the lane and not yet finished. */
  private final java.util.concurrent.atomic.AtomicInteger inLane = new java.util.concurrent.atomic.AtomicInteger();
  /** Whether the session is initialized (its initialize answered, and not lost since). */
  private volatile boolean ready;
  /** Requests sent through {@link #request}, by id, awaiting their response. */
  private final Map<String, java.util.concurrent.CompletableFuture<JsonNode>> direct =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong directIds = new java.util.concurrent.atomic.AtomicLong();
  /** The listening GET stream of the current session, if one is open or being reopened. */
  private final AtomicReference<SseStream> listening = new AtomicReference<>();

  private StreamableHttpClientTransport(Builder b) {
    this.uri = Objects.requireNonNull(b.uri, "uri");
    this.headers = Map.copyOf(b.headers);
    this.json = b.json == null ? McpJson.MAPPER : b.json;
    this.http =
        b.httpClient != null
            ? b.httpClient
            : newHttpClient(b.connectTimeout);
  }

  /**
   * An HTTP client for these transports; many transports may share one. Its callbacks run on its
   * selector thread instead of being handed to a pool thread each time (several handoffs per
   * call, most of the gateway's CPU on a small machine): a transport only parses there, hands
   * messages to its lane, and completes a direct request's answer.
   */
  public static HttpClient newHttpClient(Duration connectTimeout) {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(connectTimeout)
        .executor(Runnable::run)
        .build();
  }

  public static Builder builder(String url) {
    return new Builder(URI.create(url));
  }

  public static final class Builder {
    private final URI uri;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private McpJsonMapper json;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private HttpClient httpClient;

    private Builder(URI uri) {
      this.uri = uri;
    }

    /** Sent with every request (e.g. credentials); never written into an error message. */
    public Builder headers(Map<String, String> headers) {
      this.headers.putAll(headers);
      return this;
    }

    public Builder jsonMapper(McpJsonMapper json) {
      this.json = json;
      return this;
    }

    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
      return this;
    }

    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = httpClient;
      return this;
    }

    public StreamableHttpClientTransport build() {
      return new StreamableHttpClientTransport(this);
    }
  }

  @Override
  public List<String> protocolVersions() {
    return VERSIONS;
  }

  @Override
  public Mono<Void> connect(Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
    return Mono.fromRunnable(() -> this.handler.set(handler));
  }

  @Override
  public void setExceptionHandler(Consumer<Throwable> handler) {
    exceptionHandler.set(handler);
  }

  @Override
  public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
    return json.convertValue(data, typeRef);
  }

  // ---------------------------------------------------------------------------------- sending

  @Override
  public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
    return Mono.create(
        sink -> {
          String negotiated = sink.contextView().getOrDefault(McpAsyncClient.NEGOTIATED_PROTOCOL_VERSION, null);
          if (negotiated != null) {
            protocolVersion = negotiated;
          }
          boolean initialize =
              message instanceof McpSchema.JSONRPCRequest r && McpSchema.METHOD_INITIALIZE.equals(r.method());
          if (initialize && !closed) {
            // A new session: forget the old one (and its listening stream).
            ready = false;
            sessionId = null;
            protocolVersion = null;
            stopListening();
          }
          String body;
          try {
            body = json.writeValueAsString(message);
          } catch (IOException e) {
            sink.error(new McpTransportException("cannot serialize the message", e));
            return;
          }
          Object requestId = message instanceof McpSchema.JSONRPCRequest r ? r.id() : null;
          if (initialize) {
            initializeId = requestId;
          }
          // The SDK client's continuations run in the lane, never on the HTTP client's thread.
          post(
              body,
              requestId,
              message instanceof McpSchema.JSONRPCNotification,
              () -> inOrder(sink::success, false),
              e -> inOrder(() -> sink.error(e), false));
        });
  }

  /**
   * Sends a request past the SDK client's bookkeeping and answers its response message (a JSON
   * object with {@code result} or {@code error}). What the server sends on the request's stream
   * before the response (progress, log messages, requests to the client) goes to the client's
   * handlers as for any request, and the stream is resumed the same way. The session must be
   * initialized (through the client). Gatehouse's direct path calls tools this way: one
   * serialization each way and nothing between the caller and the HTTP exchange.
   */
  public Mono<JsonNode> request(String method, JsonNode params) {
    return Mono.defer(
        () -> {
          String id = DIRECT_ID_PREFIX + directIds.incrementAndGet();
          var message = McpJson.OBJECT_MAPPER.createObjectNode().put("jsonrpc", "2.0").put("id", id).put("method", method);
          message.set("params", params);
          java.util.concurrent.CompletableFuture<JsonNode> answer = new java.util.concurrent.CompletableFuture<>();
          direct.put(id, answer);
          SseStream stream = post(message.toString(), id, false, () -> {}, answer::completeExceptionally);
          return Mono.fromFuture(answer, true)
              .doOnCancel(
                  () -> {
                    // The caller gave up (the agent cancelled, or the timeout passed): tell the
                    // server, and do not resume the request's stream. It is read to its end (a
                    // body abandoned midway would never complete its exchange).
                    if (!answer.isDone()) {
                      stream.abandoned = true;
                      cancelUpstream(id);
                    }
                  })
              .doFinally(signal -> direct.remove(id));
        });
  }

  /** True once the session is initialized, until it is lost: {@link #request} can be used. */
  public boolean ready() {
    return ready && !closed;
  }

  private void cancelUpstream(String requestId) {
    var note = McpJson.OBJECT_MAPPER.createObjectNode().put("jsonrpc", "2.0").put("method", "notifications/cancelled");
    note.putObject("params").put("requestId", requestId).put("reason", "the caller gave up on the request");
    post(note.toString(), null, true, () -> {}, e -> LOG.debug("could not tell the MCP server a request was cancelled: {}", e.toString()));
  }

  /**
   * POSTs one message; {@code sent} runs once the server accepted it, else {@code failed}. Returns
   * the stream that reads the answer.
   */
  private SseStream post(String body, Object requestId, boolean notification, Runnable sent, Consumer<Throwable> failed) {
    SseStream stream = new SseStream(requestId, null, false);
    if (closed) {
      failed.accept(new McpTransportException("transport is closed"));
      return stream;
    }
    String sentSession = sessionId;
    HttpRequest.Builder request =
        base(sentSession)
            .header("Accept", JSON + ", " + EVENT_STREAM)
            .header("Content-Type", JSON)
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    http.sendAsync(request.build(), info -> onPostResponse(info, notification, sentSession, sent, failed, stream))
        .whenComplete((response, error) -> {
          if (error != null) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (!stream.started) {
              failed.accept(new McpTransportException(describe("POST", cause), cause));
            } else {
              stream.ended(cause);
            }
          } else if (stream.started && stream.sse) {
            stream.ended(null);
          }
        });
    return stream;
  }

  /** Decides from the status and content type what the POST's body is, and settles the send. */
  private HttpResponse.BodySubscriber<Void> onPostResponse(
      HttpResponse.ResponseInfo info,
      boolean notification,
      String sentSession,
      Runnable sent,
      Consumer<Throwable> failed,
      SseStream stream) {
    int status = info.statusCode();
    if (status >= 200 && status < 300) {
      if (sessionId == null) {
        String id = info.headers().firstValue(SESSION_ID).orElse(null);
        if (id != null) {
          sessionId = id;
        }
      }
      String type = info.headers().firstValue("Content-Type").orElse("").toLowerCase(java.util.Locale.ROOT);
      stream.started = true;
      sent.run();
      if (status == 202 || type.isBlank()) {
        return HttpResponse.BodySubscribers.replacing(null);
      }
      if (type.contains(EVENT_STREAM)) {
        stream.sse = true;
        return HttpResponse.BodySubscribers.fromLineSubscriber(stream, s -> (Void) null, StandardCharsets.UTF_8, null);
      }
      if (type.contains(JSON)) {
        return HttpResponse.BodySubscribers.mapping(
            HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8),
            text -> {
              if (!notification && !text.isBlank()) {
                deliverJson(text);
              }
              return null;
            });
      }
      LOG.warn("MCP server answered POST with unexpected content type {}", type);
      return HttpResponse.BodySubscribers.replacing(null);
    }
    RuntimeException error;
    if ((status == 404 || status == 400) && sentSession != null) {
      error = new McpTransportSessionNotFoundException("MCP session not found (HTTP " + status + ")");
      if (Objects.equals(sessionId, sentSession)) {
        ready = false;
        sessionId = null;
        stopListening();
      }
      reportException(error);
    } else {
      error = new McpTransportException("MCP server answered POST with HTTP " + status);
    }
    failed.accept(error);
    return HttpResponse.BodySubscribers.replacing(null);
  }

  private void deliverJson(String text) {
    try {
      JsonNode tree = McpJson.OBJECT_MAPPER.readTree(text);
      if (tree.isArray()) {
        for (JsonNode item : tree) {
          if (!answeredDirect(item)) {
            deliver(McpSchema.deserializeJsonRpcMessage(json, item.toString()));
          }
        }
      } else if (!answeredDirect(tree)) {
        deliver(McpSchema.deserializeJsonRpcMessage(json, text));
      }
    } catch (IOException e) {
      reportException(new McpTransportException("unreadable JSON-RPC message from the MCP server", e));
    }
  }

  /** Completes a {@link #request} with its response; false when {@code message} is not one. */
  private boolean answeredDirect(JsonNode message) {
    if (message == null || message.has("method")) {
      return false;
    }
    JsonNode id = message.get("id");
    if (id == null || !id.isTextual() || !id.asText().startsWith(DIRECT_ID_PREFIX)) {
      return false;
    }
    var answer = direct.remove(id.asText());
    if (answer == null) {
      return true; // the answer to a request its caller gave up on: dropped
    }
    // At once, unless messages that came before it are still in the lane: they go first.
    inOrder(() -> answer.complete(message), true);
    return true;
  }

  private void inOrder(Runnable task, boolean inlineWhenIdle) {
    if (inlineWhenIdle && inLane.get() == 0) {
      task.run();
      return;
    }
    inLane.incrementAndGet();
    try {
      lane.schedule(
          () -> {
            try {
              task.run();
            } finally {
              inLane.decrementAndGet();
            }
          });
    } catch (RuntimeException rejected) {
      inLane.decrementAndGet();
      task.run(); // the lane is closed: late messages are still handed over
    }
  }

  private void deliver(McpSchema.JSONRPCMessage message) {
    if (message instanceof McpSchema.JSONRPCResponse r
        && initializeId != null
        && Objects.equals(String.valueOf(r.id()), String.valueOf(initializeId))
        && r.result() instanceof Map<?, ?> result
        && result.get("protocolVersion") instanceof String version) {
      protocolVersion = version; // the client passes it too, once it has read it
    }
    if (message instanceof McpSchema.JSONRPCResponse r
        && initializeId != null
        && Objects.equals(String.valueOf(r.id()), String.valueOf(initializeId))) {
      initializeId = null;
      ready = r.error() == null;
      // As the SDK's transport: open the listening stream as soon as the session exists (before
      // notifications/initialized), so nothing the server sends right after initializing is lost.
      startListening();
    }
    var h = handler.get();
    if (h == null) {
      LOG.warn("MCP message received before connect; dropped");
      return;
    }
    inOrder(() -> h.apply(Mono.just(message)).subscribe(null, e -> LOG.debug("MCP message handler failed", e)), false);
  }

  private void reportException(Throwable t) {
    Consumer<Throwable> h = exceptionHandler.get();
    if (h != null) {
      try {
        h.accept(t);
      } catch (RuntimeException e) {
        LOG.debug("MCP exception handler failed", e);
      }
    }
  }

  private HttpRequest.Builder base(String session) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri);
    headers.forEach(b::header);
    b.header("Cache-Control", "no-cache");
    if (session != null) {
      b.header(SESSION_ID, session);
    }
    String version = protocolVersion;
    if (version != null) {
      b.header(PROTOCOL_VERSION, version);
    }
    return b;
  }

  /** The method and the failure's kind and message: an HttpClient's messages carry no headers. */
  private static String describe(String method, Throwable cause) {
    String text = cause.getMessage();
    return method + " to the MCP server failed: " + cause.getClass().getSimpleName() + (text == null ? "" : ": " + text);
  }

  // ------------------------------------------------------------------------------ SSE streams

  /**
   * One SSE stream and its resumptions: a request's stream ({@code requestId} set) until the
   * response to it arrived, or the listening stream.
   */
  private final class SseStream implements Flow.Subscriber<String> {
    final Object requestId;
    final String session;
    final boolean listen;
    volatile boolean started;
    volatile boolean sse;
    volatile boolean answered;
    volatile boolean stopped;
    /** The request's caller gave up: the stream is read to its end but never resumed. */
    volatile boolean abandoned;
    volatile String lastEventId;
    volatile long retryMillis = -1;
    /** Resumptions or failed reconnections in a row without an event. */
    volatile int attempts;
    /** When the last GET was answered with a stream (System.nanoTime()). */
    private volatile long connectedAt;
    private volatile Flow.Subscription subscription;
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private String event;

    SseStream(Object requestId, String session, boolean listen) {
      this.requestId = requestId;
      this.session = session;
      this.listen = listen;
      // a POSTed notification or response waits for nothing
      this.answered = !listen && requestId == null;
    }

    boolean listening() {
      return listen;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      if (stopped) {
        s.cancel();
      } else {
        s.request(Long.MAX_VALUE);
      }
    }

    @Override
    public void onNext(String line) {
      if (line.isEmpty()) {
        dispatch();
        return;
      }
      if (line.startsWith(":")) {
        return;
      }
      int colon = line.indexOf(':');
      String field = colon < 0 ? line : line.substring(0, colon);
      String value = colon < 0 ? "" : line.substring(colon + 1);
      if (value.startsWith(" ")) {
        value = value.substring(1);
      }
      switch (field) {
        case "data" -> {
          if (hasData) {
            data.append('\n');
          }
          data.append(value);
          hasData = true;
        }
        case "event" -> event = value;
        case "id" -> {
          if (value.indexOf('\0') < 0) {
            lastEventId = value;
          }
        }
        case "retry" -> {
          if (!value.isEmpty() && value.chars().allMatch(Character::isDigit)) {
            try {
              retryMillis = Long.parseLong(value);
            } catch (NumberFormatException ignored) {
              // too large: keep the previous value
            }
          }
        }
        default -> {}
      }
    }

    private void dispatch() {
      String type = event;
      String text = hasData ? data.toString() : "";
      data.setLength(0);
      hasData = false;
      event = null;
      if (text.isBlank() || (type != null && !type.isEmpty() && !type.equals("message"))) {
        return; // e.g. the priming event: an id and no data
      }
      attempts = 0;
      if (text.contains(DIRECT_ID_PREFIX)) {
        try {
          JsonNode tree = McpJson.OBJECT_MAPPER.readTree(text);
          if (answeredDirect(tree)) {
            answered = answered || Objects.equals(tree.path("id").asText(), String.valueOf(requestId));
            return;
          }
        } catch (IOException e) {
          // reported below
        }
      }
      McpSchema.JSONRPCMessage message;
      try {
        message = McpSchema.deserializeJsonRpcMessage(json, text);
      } catch (IOException e) {
        reportException(new McpTransportException("unreadable JSON-RPC message from the MCP server", e));
        return;
      }
      if (requestId != null
          && message instanceof McpSchema.JSONRPCResponse r
          && Objects.equals(String.valueOf(r.id()), String.valueOf(requestId))) {
        answered = true;
      }
      deliver(message);
    }

    @Override
    public void onError(Throwable t) {
      // ended() is called from the response future, with the cause
    }

    @Override
    public void onComplete() {
      // ended() is called from the response future
    }

    void stop() {
      stopped = true;
      Flow.Subscription s = subscription;
      if (s != null) {
        s.cancel();
      }
    }

    /** The stream ended ({@code error} null: the server closed it): resume it if it must be. */
    void ended(Throwable error) {
      if (closed || stopped || answered || abandoned) {
        return;
      }
      if (listening() && !Objects.equals(session, sessionId)) {
        return; // a stream of a session that is gone
      }
      if (listening() && connectedAt != 0 && System.nanoTime() - connectedAt > STABLE_NANOS) {
        attempts = 0; // it was up a good while: a drop, not a server that refuses it
      }
      attempts++;
      int limit = listening() ? MAX_LISTEN_FAILURES : MAX_RESUME_ATTEMPTS;
      if (!listening() && lastEventId == null) {
        fail("the MCP server ended the response stream before the response, without an event id to resume from");
        return;
      }
      if (attempts > limit) {
        if (listening()) {
          LOG.warn("MCP listening stream given up after {} failed reconnections", limit);
          listening.compareAndSet(this, null);
        } else {
          fail("the MCP server's response stream could not be resumed (" + limit + " attempts)");
        }
        return;
      }
      long delay = retryMillis >= 0 ? retryMillis : listening() && attempts > 1 ? McpConnector.backoff(attempts - 1).toMillis() : DEFAULT_RETRY_MILLIS;
      if (error != null) {
        LOG.debug("MCP SSE stream failed ({}); resuming in {} ms", error.getClass().getSimpleName(), delay);
      }
      Schedulers.parallel().schedule(this::resume, delay, TimeUnit.MILLISECONDS);
    }

    /** GET with Last-Event-ID (if any), and read on into this same stream state. */
    void resume() {
      if (closed || stopped) {
        return;
      }
      String s = listening() ? session : sessionId;
      HttpRequest.Builder request = base(s).header("Accept", EVENT_STREAM).GET();
      if (lastEventId != null) {
        request.header(LAST_EVENT_ID, lastEventId);
      }
      http.sendAsync(request.build(), this::onGetResponse)
          .whenComplete(
              (response, error) -> {
                if (error != null) {
                  Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                  ended(cause);
                } else if (response.body() == Boolean.TRUE) {
                  ended(null);
                }
              });
    }

    /** TRUE: an SSE body was read to its end; FALSE: no stream to read (and none to resume). */
    private HttpResponse.BodySubscriber<Boolean> onGetResponse(HttpResponse.ResponseInfo info) {
      int status = info.statusCode();
      String type = info.headers().firstValue("Content-Type").orElse("").toLowerCase(java.util.Locale.ROOT);
      if (status >= 200 && status < 300 && type.contains(EVENT_STREAM)) {
        data.setLength(0);
        hasData = false;
        event = null;
        connectedAt = System.nanoTime();
        return HttpResponse.BodySubscribers.fromLineSubscriber(this, x -> Boolean.TRUE, StandardCharsets.UTF_8, null);
      }
      if (listening()) {
        if (status == 405) {
          LOG.debug("MCP server offers no listening stream (405)");
        } else {
          LOG.warn("MCP server answered the listening stream's GET with HTTP {}", status);
        }
        listening.compareAndSet(this, null);
      } else {
        fail("the MCP server answered the resumption GET with HTTP " + status);
      }
      return HttpResponse.BodySubscribers.replacing(Boolean.FALSE);
    }

    /** The request's response will not come: answer it with an error, so the call need not time out. */
    private void fail(String why) {
      if (answered) {
        return;
      }
      answered = true;
      LOG.warn("MCP request {}: {}", requestId, why);
      deliver(
          new McpSchema.JSONRPCResponse(
              McpSchema.JSONRPC_VERSION,
              requestId,
              null,
              new McpSchema.JSONRPCResponse.JSONRPCError(McpSchema.ErrorCodes.INTERNAL_ERROR, why, null)));
    }
  }

  private void startListening() {
    String session = sessionId;
    if (session == null || closed) {
      return;
    }
    SseStream stream = new SseStream(null, session, true);
    SseStream previous = listening.getAndSet(stream);
    if (previous != null) {
      previous.stop();
    }
    stream.resume();
  }

  private void stopListening() {
    SseStream previous = listening.getAndSet(null);
    if (previous != null) {
      previous.stop();
    }
  }

  // ---------------------------------------------------------------------------------- closing

  @Override
  public Mono<Void> closeGracefully() {
    return Mono.defer(
        () -> {
          if (closed) {
            return Mono.empty();
          }
          closed = true;
          ready = false;
          stopListening();
          direct.values().forEach(f -> f.completeExceptionally(new McpTransportException("transport is closed")));
          direct.clear();
          inOrder(lane::dispose, false); // after what is already in it
          String session = sessionId;
          if (session == null) {
            return Mono.empty();
          }
          HttpRequest request = base(session).DELETE().timeout(Duration.ofSeconds(5)).build();
          return Mono.fromFuture(() -> http.sendAsync(request, HttpResponse.BodyHandlers.discarding()))
              .doOnNext(r -> {
                if (r.statusCode() >= 400 && r.statusCode() != 405 && r.statusCode() != 404) {
                  LOG.debug("MCP server answered DELETE with HTTP {}", r.statusCode());
                }
              })
              .onErrorResume(e -> {
                LOG.debug("DELETE of the MCP session failed: {}", e.getClass().getSimpleName());
                return Mono.empty();
              })
              .then();
        });
  }

}
