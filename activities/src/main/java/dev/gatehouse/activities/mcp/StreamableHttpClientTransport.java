package dev.gatehouse.activities.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.http.AfterAnswer;
import dev.gatehouse.activities.http.BlockingHttp;
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
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * An MCP client transport for Streamable HTTP (spec 2025-11-25), on {@link HttpClient}: what the
 * SDK client sees. Each message is POSTed in the transport's {@link StreamableHttpSession}, which
 * also keeps the session id, opens the listening GET stream and resumes SSE streams that end early
 * ({@link ResumableSseStream}, SEP-1699). What the server sends reaches the client's handlers
 * through {@link ServerMessages}, in order and off the HTTP client's thread ({@link
 * DeliveryLane}). {@link #call} sends a tools/call (or any request) past the SDK client, on the
 * caller's thread ({@link BlockingHttp}), and answers its response as JSON ({@link
 * DirectRequests}), telling the server with {@code
 * notifications/cancelled} when the caller gives up. A {@code 404} to a request that carried a
 * session id is a {@link McpTransportSessionNotFoundException}; error messages never carry a
 * header.
 */
public final class StreamableHttpClientTransport implements McpClientTransport {
  private static final Logger LOG = LoggerFactory.getLogger(StreamableHttpClientTransport.class);
  private static final List<String> VERSIONS =
      List.of(
          ProtocolVersions.MCP_2024_11_05,
          ProtocolVersions.MCP_2025_03_26,
          ProtocolVersions.MCP_2025_06_18,
          ProtocolVersions.MCP_2025_11_25);

  private final McpJsonMapper json;
  private final DeliveryLane lane = new DeliveryLane();
  private final DirectRequests direct = new DirectRequests(lane);
  private final ServerMessages messages;
  private final StreamableHttpSession session;

  private StreamableHttpClientTransport(Builder b) {
    this.json = b.json == null ? McpJson.MAPPER : b.json;
    this.messages = new ServerMessages(json, lane, direct, this::initialized);
    this.session =
        new StreamableHttpSession(
            b.httpClient != null ? b.httpClient : newHttpClient(b.connectTimeout),
            b.blockingHttp != null ? b.blockingHttp : new BlockingHttp(b.connectTimeout),
            Objects.requireNonNull(b.uri, "uri"),
            Map.copyOf(b.headers),
            messages,
            b.egressGuarded);
  }

  /**
   * The server answered initialize. A method, not a lambda on {@code session}: the session is made
   * after the messages that call back into it (no message arrives before both exist).
   */
  private void initialized(String version, boolean ok) {
    session.initialized(version, ok);
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
    private BlockingHttp blockingHttp;
    private boolean egressGuarded;

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

    /** The client {@link #call} uses; many transports may share one. */
    public Builder blockingHttp(BlockingHttp blockingHttp) {
      this.blockingHttp = blockingHttp;
      return this;
    }

    /**
     * For a server a tenant admin wrote: {@link #call}'s exchanges connect to no internal address
     * (see {@link BlockingHttp#exchange(org.apache.hc.client5.http.classic.methods.HttpUriRequestBase,
     * Duration, boolean)}); the {@link HttpClient} given must be a {@link
     * dev.gatehouse.activities.http.GuardedHttpClient} too.
     */
    public Builder egressGuarded(boolean egressGuarded) {
      this.egressGuarded = egressGuarded;
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
    return Mono.fromRunnable(() -> messages.handler(handler));
  }

  @Override
  public void setExceptionHandler(Consumer<Throwable> handler) {
    messages.exceptionHandler(handler);
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
            session.negotiated(negotiated);
          }
          boolean initialize =
              message instanceof McpSchema.JSONRPCRequest r && McpSchema.METHOD_INITIALIZE.equals(r.method());
          if (initialize) {
            session.restart();
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
            messages.initializing(requestId);
          }
          // The SDK client's continuations run in the lane, never on the HTTP client's thread.
          session.post(
              body,
              requestId,
              message instanceof McpSchema.JSONRPCNotification,
              () -> lane.run(sink::success),
              e -> lane.run(() -> sink.error(e)));
        });
  }

  /**
   * Sends a request past the SDK client's bookkeeping, on the calling thread, and answers its
   * response message (a JSON object with {@code result} or {@code error}); null when {@code
   * cancelled} fired first. What the server sends on the request's stream before the response
   * (progress, log messages, requests to the client) goes to the client's handlers as for any
   * request, and the stream is resumed the same way. The session must be initialized (through the
   * client). Gatehouse's direct path calls tools this way: one serialization each way, and the
   * exchange written and read by the caller's thread. It returns as soon as the response came: on
   * an SSE stream, what the server sends after it (the stream's end) is read once the caller's
   * own answer is written, if the caller opened an {@link AfterAnswer} scope, or else before this
   * returns. When the caller gives up (cancelled, or {@code timeout} passed) the server is told
   * with {@code notifications/cancelled}.
   *
   * @throws TimedOut when no response came within {@code timeout}
   * @throws McpTransportSessionNotFoundException when the server no longer knows the session
   * @throws McpTransportException when the request could not be sent or answered
   */
  public JsonNode call(String method, JsonNode params, Duration timeout, Mono<?> cancelled) {
    return call(method, params, timeout, cancelled, 0);
  }

  /**
   * As {@link #call(String, JsonNode, Duration, Mono)}, with a response of more than {@code
   * maxAnswerBytes} (UTF-8, the whole JSON-RPC message; 0: no cap) refused: the call then fails
   * with {@link McpAnswerRefusedException}, as it does when the response cannot be read.
   */
  public JsonNode call(String method, JsonNode params, Duration timeout, Mono<?> cancelled, int maxAnswerBytes) {
    long deadline = System.nanoTime() + timeout.toNanos();
    DirectRequests.Call call = direct.open(method, params, maxAnswerBytes);
    BlockingHttp.Exchange exchange = session.exchange(timeout);
    Runnable giveUp =
        () -> {
          call.answer().cancel(false);
          exchange.cancel();
        };
    // Any value (or a failure of the signal itself) means the caller gave up.
    Disposable onCancel = cancelled.subscribe(signal -> giveUp.run(), failure -> giveUp.run());
    ResumableSseStream stream = null;
    try {
      stream = session.postHere(call.body(), call.id(), exchange, call.answer()::completeExceptionally);
      CompletableFuture<JsonNode> answer = call.answer();
      if (!answer.isDone() && !exchange.cancelled() && !exchange.timedOut()) {
        // The stream ended before the response and is being resumed: wait for it.
        try {
          answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException | CancellationException e) {
          // settled below
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          answer.cancel(false);
        }
      }
      if (answer.isDone() && !answer.isCompletedExceptionally()) {
        return answer.join();
      }
      if (answer.isCompletedExceptionally() && !answer.isCancelled()) {
        try {
          answer.join();
        } catch (CompletionException e) {
          throw e.getCause() instanceof RuntimeException r ? r : new McpTransportException(e.getCause());
        }
      }
      // The caller gave up (cancelled, or its thread interrupted), or the time is up: the server
      // is told, the stream not resumed.
      stream.abandon();
      cancelUpstream(call.id());
      if (answer.isCancelled() || exchange.cancelled()) {
        return null;
      }
      throw new TimedOut(timeout);
    } finally {
      onCancel.dispose();
      direct.forget(call.id());
      // The end of a stream the response came on is read after the caller's own answer is written
      // when it can be (AfterAnswer), else now.
      ResumableSseStream posted = stream;
      if (posted == null || !posted.hasRest() || !AfterAnswer.defer(() -> StreamableHttpSession.finish(posted, exchange))) {
        StreamableHttpSession.finish(posted, exchange);
      }
    }
  }

  /** No response came within the time the caller gave it. */
  public static final class TimedOut extends McpTransportException {
    TimedOut(Duration timeout) {
      super("the MCP server did not answer within " + timeout.toMillis() + " ms");
    }
  }

  /** True once the session is initialized, until it is lost: {@link #request} can be used. */
  public boolean ready() {
    return session.ready();
  }

  private void cancelUpstream(String requestId) {
    session.post(
        DirectRequests.cancellation(requestId),
        null,
        true,
        () -> {},
        e -> LOG.debug("could not tell the MCP server a request was cancelled: {}", e.toString()));
  }

  @Override
  public Mono<Void> closeGracefully() {
    return Mono.defer(
        () -> {
          if (!session.close()) {
            return Mono.empty();
          }
          direct.closed();
          lane.close(); // after what is already in it
          return session.delete();
        });
  }
}
