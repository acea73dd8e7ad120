package dev.gatehouse.activities.mcp;

import dev.gatehouse.activities.http.BlockingHttp;
import dev.gatehouse.activities.sse.SseParser;
import io.modelcontextprotocol.spec.McpTransportException;
import io.modelcontextprotocol.spec.McpTransportSessionNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * The HTTP side of one Streamable HTTP transport: its session with the server (the session id the
 * server gave, the protocol version, whether it is initialized), the POST of each message and what
 * its answer is ({@code 202}, a JSON body, or an SSE stream read by {@link ResumableSseStream}),
 * the listening GET stream opened once the session exists, and the DELETE that ends it. A {@code
 * 404} to a request that carried a session id is a {@link McpTransportSessionNotFoundException}.
 * Error messages name the method and status, never a header (they carry credentials).
 */
final class StreamableHttpSession {
  private static final Logger LOG = LoggerFactory.getLogger(StreamableHttpSession.class);
  private static final String SESSION_ID = "Mcp-Session-Id";
  private static final String PROTOCOL_VERSION = "MCP-Protocol-Version";
  private static final String JSON = "application/json";
  /** How long a request's stream may go on after its response before it is cut (with its connection). */
  private static final Duration ANSWERED_GRACE = Duration.ofMillis(200);
  /** The largest JSON body read on the calling thread: as large as one SSE event may be. */
  static final int MAX_JSON_BYTES = SseParser.DEFAULT_MAX_EVENT_BYTES;

  private final HttpClient http;
  private final BlockingHttp blocking;
  private final URI uri;
  private final Map<String, String> headers;
  private final ServerMessages messages;
  /** A server a tenant admin wrote: the direct path's exchanges connect to no internal address. */
  private final boolean egressGuarded;
  private final ResumableSseStream.Owner streams = new Streams();

  private volatile String sessionId;
  private volatile String protocolVersion;
  private volatile boolean closed;
  /** Whether the session is initialized (its initialize answered, and not lost since). */
  private volatile boolean ready;
  /** The listening GET stream of the current session, if one is open or being reopened. */
  private final AtomicReference<ResumableSseStream> listening = new AtomicReference<>();

  StreamableHttpSession(
      HttpClient http, BlockingHttp blocking, URI uri, Map<String, String> headers, ServerMessages messages, boolean egressGuarded) {
    this.egressGuarded = egressGuarded;
    this.http = http;
    this.blocking = blocking;
    this.uri = uri;
    this.headers = headers;
    this.messages = messages;
  }

  boolean ready() {
    return ready && !closed;
  }

  /** The protocol version the client negotiated, sent with every request from now on. */
  void negotiated(String version) {
    protocolVersion = version;
  }

  /** An initialize is about to be sent: a new session, so the old one (and its listening stream) is forgotten. */
  void restart() {
    if (!closed) {
      ready = false;
      sessionId = null;
      protocolVersion = null;
      stopListening();
    }
  }

  /** The server answered initialize (on the selector thread, before the client hears of it). */
  void initialized(String version, boolean ok) {
    if (version != null) {
      protocolVersion = version; // the client passes it too, once it has read it
    }
    ready = ok;
    // As the SDK's transport: open the listening stream as soon as the session exists (before
    // notifications/initialized), so nothing the server sends right after initializing is lost.
    startListening();
  }

  /**
   * POSTs one message; {@code sent} runs once the server accepted it, else {@code failed}. Returns
   * the stream that reads the answer.
   */
  ResumableSseStream post(String body, Object requestId, boolean notification, Runnable sent, Consumer<Throwable> failed) {
    ResumableSseStream stream = ResumableSseStream.ofPost(streams, requestId);
    if (closed) {
      failed.accept(new McpTransportException("transport is closed"));
      return stream;
    }
    String sentSession = sessionId;
    HttpRequest.Builder request =
        base(sentSession)
            .header("Accept", JSON + ", " + ResumableSseStream.EVENT_STREAM)
            .header("Content-Type", JSON)
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    http.sendAsync(request.build(), info -> onPostResponse(info, requestId, notification, sentSession, sent, failed, stream))
        .whenComplete(
            (response, error) -> {
              if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                if (!stream.isAccepted()) {
                  failed.accept(new McpTransportException(describe("POST", cause), cause));
                } else {
                  stream.ended(cause);
                }
              } else if (stream.isAccepted() && stream.isSse()) {
                stream.ended(null);
              }
            });
    return stream;
  }

  /** Decides from the status and content type what the POST's body is, and settles the send. */
  private HttpResponse.BodySubscriber<Void> onPostResponse(
      HttpResponse.ResponseInfo info,
      Object requestId,
      boolean notification,
      String sentSession,
      Runnable sent,
      Consumer<Throwable> failed,
      ResumableSseStream stream) {
    Body body =
        answered(
            info.statusCode(),
            info.headers().firstValue(SESSION_ID).orElse(null),
            info.headers().firstValue("Content-Type").orElse(null),
            sentSession,
            sent,
            failed,
            stream);
    return switch (body) {
      case SSE -> stream.readPost();
      case JSON ->
          // At most MAX_JSON_BYTES, as one SSE event: a larger answer fails its request at once
          // (the rest is not read; the connection is dropped), rather than filling the heap.
          new CappedJsonBody(
              MAX_JSON_BYTES,
              text -> {
                if (!notification && !text.isBlank()) {
                  messages.fromJsonBody(text, requestId); // (the SDK client's requests: never direct ones)
                } else if (!notification && requestId != null) {
                  messages.failed(requestId, EMPTY_BODY);
                }
              },
              () -> {
                if (notification || requestId == null) {
                  LOG.debug("MCP server answered a notification or response with a body over {} bytes; dropped", MAX_JSON_BYTES);
                } else {
                  messages.refused(requestId, McpAnswerRefusedException.tooLarge(MAX_JSON_BYTES));
                }
              });
      case NONE -> HttpResponse.BodySubscribers.replacing(null);
      case UNEXPECTED -> {
        if (!notification && requestId != null) {
          messages.failed(requestId, UNEXPECTED_BODY); // its response cannot come: it fails now, not at its timeout
        }
        yield HttpResponse.BodySubscribers.discarding();
      }
    };
  }

  /**
   * A JSON body read whole on the selector thread, up to {@code max} bytes: {@code read} gets it as
   * text at its end; a longer one is not read on (the subscription is cancelled, which drops the
   * connection) and {@code over} runs instead.
   */
  static final class CappedJsonBody implements HttpResponse.BodySubscriber<Void> {
    private final int max;
    private final Consumer<String> read;
    private final Runnable over;
    private final java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
    private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    private java.util.concurrent.Flow.Subscription subscription;
    private boolean stopped;

    CappedJsonBody(int max, Consumer<String> read, Runnable over) {
      this.max = max;
      this.read = read;
      this.over = over;
    }

    @Override
    public java.util.concurrent.CompletionStage<Void> getBody() {
      return done;
    }

    @Override
    public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(java.util.List<java.nio.ByteBuffer> buffers) {
      if (stopped) {
        return;
      }
      for (java.nio.ByteBuffer buffer : buffers) {
        int n = buffer.remaining();
        if ((long) bytes.size() + n > max) {
          stopped = true;
          subscription.cancel();
          try {
            over.run();
            done.complete(null);
          } catch (RuntimeException e) {
            done.completeExceptionally(e);
          }
          return;
        }
        byte[] chunk = new byte[n];
        buffer.get(chunk);
        bytes.write(chunk, 0, n);
      }
    }

    @Override
    public void onError(Throwable t) {
      if (!stopped) {
        stopped = true;
        done.completeExceptionally(t);
      }
    }

    @Override
    public void onComplete() {
      if (stopped) {
        return;
      }
      stopped = true;
      try {
        read.accept(bytes.toString(StandardCharsets.UTF_8));
        done.complete(null);
      } catch (RuntimeException e) {
        done.completeExceptionally(e);
      }
    }
  }

  /** What the body of a POST's answer is, to its reader. */
  /** The longest upstream session id kept. */
  static final int MAX_SESSION_ID = 1024;

  /** A session id as MCP has it: visible ASCII (0x21 to 0x7E), here at most {@link #MAX_SESSION_ID} of them. */
  static boolean saneSessionId(String id) {
    if (id.isEmpty() || id.length() > MAX_SESSION_ID) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  private enum Body {
    NONE,
    JSON,
    SSE,
    /** A 2xx other than 202 whose content type is neither JSON nor an event stream (or none): a request's response cannot come in it. */
    UNEXPECTED
  }

  /** Why a request answered with {@link Body#UNEXPECTED} fails (the server's content type is not quoted: it may be anything). */
  private static final String UNEXPECTED_BODY = "the MCP server answered the request with neither JSON nor an event stream";
  /** Why a request answered with an empty JSON body fails. */
  private static final String EMPTY_BODY = "the MCP server answered the request with an empty body";

  /**
   * Settles a POST from its answer's status and headers: a 2xx is accepted ({@code sent} runs and
   * the session id is kept) and its body is what its content type says; any other status fails
   * the send ({@code failed}), a lost session first forgotten here.
   */
  private Body answered(
      int status,
      String sessionHeader,
      String contentType,
      String sentSession,
      Runnable sent,
      Consumer<Throwable> failed,
      ResumableSseStream stream) {
    if (status >= 200 && status < 300) {
      if (sessionHeader != null && !saneSessionId(sessionHeader)) {
        // Kept, it would go back on every request of the session (a probe's was 200,000 characters).
        failed.accept(new McpTransportException(
            "the MCP server gave a session id Gatehouse does not keep (at most " + MAX_SESSION_ID + " visible ASCII characters)"));
        return Body.NONE;
      }
      if (sessionId == null && sessionHeader != null) {
        sessionId = sessionHeader;
      }
      String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
      stream.accepted();
      sent.run();
      if (status == 202) {
        return Body.NONE;
      }
      if (type.contains(ResumableSseStream.EVENT_STREAM)) {
        return Body.SSE;
      }
      if (type.contains(JSON)) {
        return Body.JSON;
      }
      return Body.UNEXPECTED;
    }
    RuntimeException error;
    if ((status == 404 || status == 400) && sentSession != null) {
      error = new McpTransportSessionNotFoundException("MCP session not found (HTTP " + status + ")");
      if (Objects.equals(sessionId, sentSession)) {
        ready = false;
        sessionId = null;
        stopListening();
      }
      messages.report(error);
    } else {
      error = new McpHttpStatusException("POST", status);
    }
    failed.accept(error);
    return Body.NONE;
  }

  /**
   * POSTs request {@code requestId} ({@code body}: its message in UTF-8) on the calling thread
   * and reads its answer there (the direct path: no handoff to another thread and back): a JSON
   * body to its end, an SSE stream until the response, leaving the rest to {@link #finish}. The
   * answer goes where an asynchronous POST's would: a JSON body or each event of an SSE stream to
   * the messages, which complete the request's {@link DirectRequests} answer; a failed send to
   * {@code failed}. A stream that ends before the response is resumed as any other
   * (asynchronously), unless the exchange was cancelled or timed out. Returns the request's
   * stream.
   */
  ResumableSseStream postHere(byte[] body, Object requestId, BlockingHttp.Exchange exchange, Consumer<Throwable> failed) {
    ResumableSseStream stream = ResumableSseStream.ofPost(streams, requestId);
    if (closed) {
      failed.accept(new McpTransportException("transport is closed"));
      return stream;
    }
    String sentSession = sessionId;
    HttpPost post = (HttpPost) exchange.request();
    sessionHeaders(sentSession, post::setHeader);
    post.setHeader("Accept", JSON + ", " + ResumableSseStream.EVENT_STREAM);
    post.setEntity(new ByteArrayEntity(body, BlockingHttp.JSON));
    try {
      ClassicHttpResponse response = exchange.send();
      Body kind =
          answered(
              response.getCode(),
              BlockingHttp.header(response, SESSION_ID),
              BlockingHttp.header(response, "Content-Type"),
              sentSession,
              () -> {},
              failed,
              stream);
      HttpEntity entity = response.getEntity();
      if (kind == Body.UNEXPECTED) {
        // Its response cannot come: the request fails now, not at its timeout. The body is not
        // read (the connection is dropped when the exchange closes).
        messages.failed(requestId, UNEXPECTED_BODY);
        return stream;
      }
      if (entity == null) {
        exchange.readToEnd(); // no body: the connection is kept
      } else if (kind == Body.JSON) {
        byte[] bytes = entity.getContent().readNBytes(MAX_JSON_BYTES + 1);
        if (bytes.length > MAX_JSON_BYTES) {
          // Not read to its end: the connection is dropped when the exchange closes.
          failed.accept(McpAnswerRefusedException.tooLarge(MAX_JSON_BYTES));
          return stream;
        }
        exchange.readToEnd();
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (!text.isBlank()) {
          messages.fromJsonBody(text, requestId);
        } else {
          messages.failed(requestId, EMPTY_BODY);
        }
      } else if (kind == Body.SSE) {
        if (stream.readUntilAnswered(entity.getContent())) {
          // The response came: the server should end the stream now; one that does not is cut.
          // What is left is read by finish(), after the caller has its answer.
          exchange.abortAfter(ANSWERED_GRACE);
          return stream;
        }
        exchange.readToEnd();
        stream.ended(null);
      }
    } catch (IOException | RuntimeException e) {
      if (exchange.cancelled() || exchange.timedOut()) {
        return stream; // the caller knows why; nothing is resumed
      }
      if (!stream.isAccepted()) {
        failed.accept(new McpTransportException(describe("POST", e), e));
      } else {
        stream.ended(e);
      }
    }
    return stream;
  }

  private HttpRequest.Builder base(String session) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri);
    sessionHeaders(session, b::header);
    return b;
  }

  /** What every request in {@code session} carries: the entry's headers first, then the transport's. */
  private void sessionHeaders(String session, BiConsumer<String, String> header) {
    headers.forEach(header);
    header.accept("Cache-Control", "no-cache");
    if (session != null) {
      header.accept(SESSION_ID, session);
    }
    String version = protocolVersion;
    if (version != null) {
      header.accept(PROTOCOL_VERSION, version);
    }
  }

  /** The method and the failure's kind and message: an HttpClient's messages carry no headers. */
  private static String describe(String method, Throwable cause) {
    return method + " to the MCP server failed: " + dev.gatehouse.activities.http.NetworkFailures.describe(cause);
  }

  private void startListening() {
    String session = sessionId;
    if (session == null || closed) {
      return;
    }
    ResumableSseStream stream = ResumableSseStream.listening(streams, session);
    ResumableSseStream previous = listening.getAndSet(stream);
    if (previous != null) {
      previous.stop();
    }
    stream.resume();
  }

  private void stopListening() {
    ResumableSseStream previous = listening.getAndSet(null);
    if (previous != null) {
      previous.stop();
    }
  }

  /** The session as its streams see it. */
  private final class Streams implements ResumableSseStream.Owner {
    @Override
    public boolean closed() {
      return closed;
    }

    @Override
    public String sessionId() {
      return sessionId;
    }

    @Override
    public HttpRequest.Builder request(String session) {
      return base(session);
    }

    @Override
    public HttpClient http() {
      return http;
    }

    @Override
    public boolean received(String data, Object requestId) {
      return messages.fromEvent(data, requestId);
    }

    @Override
    public void failed(Object requestId, String why) {
      messages.failed(requestId, why);
    }

    @Override
    public void tooLarge(Object requestId, int maxEventBytes) {
      messages.refused(requestId, McpAnswerRefusedException.tooLarge(maxEventBytes));
    }

    @Override
    public void listeningEnded(ResumableSseStream stream) {
      listening.compareAndSet(stream, null);
    }
  }

  /**
   * Ends {@code exchange}, the POST of {@code stream} ({@link #postHere}): what the server sent
   * after the response is read first (at most {@link #ANSWERED_GRACE} after the response came), so
   * a stream the server ended goes back to the pool; a failure to read it only closes the
   * connection, the answer having come.
   */
  static void finish(ResumableSseStream stream, BlockingHttp.Exchange exchange) {
    try {
      if (stream != null && stream.readRest()) {
        exchange.readToEnd();
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("MCP response stream failed after the response: {}", e.getClass().getSimpleName());
    } finally {
      exchange.close();
    }
  }

  /** A POST of {@code timeout} to the server, to send with {@link #postHere}. */
  BlockingHttp.Exchange exchange(Duration timeout) {
    return blocking.exchange(new HttpPost(uri), timeout, egressGuarded);
  }

  /** Closes the session's side here (no more requests, no listening stream); false if it already was. */
  boolean close() {
    if (closed) {
      return false;
    }
    closed = true;
    ready = false;
    stopListening();
    return true;
  }

  /** DELETEs the session at the server, if there is one; failures are only logged. */
  Mono<Void> delete() {
    String session = sessionId;
    if (session == null) {
      return Mono.empty();
    }
    HttpRequest request = base(session).DELETE().timeout(Duration.ofSeconds(5)).build();
    return Mono.fromFuture(() -> http.sendAsync(request, HttpResponse.BodyHandlers.discarding()))
        .doOnNext(
            r -> {
              if (r.statusCode() >= 400 && r.statusCode() != 405 && r.statusCode() != 404) {
                LOG.debug("MCP server answered DELETE with HTTP {}", r.statusCode());
              }
            })
        .onErrorResume(
            e -> {
              LOG.debug("DELETE of the MCP session failed: {}", e.getClass().getSimpleName());
              return Mono.empty();
            })
        .then();
  }
}
