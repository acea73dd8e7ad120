package dev.gatehouse.activities.mcp;

import dev.gatehouse.activities.sse.SseEvent;
import dev.gatehouse.activities.sse.SseParser;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.scheduler.Schedulers;

/**
 * One SSE stream from an MCP server and its resumptions (SEP-1699): a request's stream, until the
 * response to the request arrived, or a session's listening GET stream. The stream's event ids and
 * {@code retry:} are remembered; when it ends (normally or not) while it is still needed it is
 * resumed with GET and {@code Last-Event-ID} after the retry delay, a bounded number of times in a
 * row without an event: a request that cannot get its response is answered with an error, a
 * listening stream is given up. A direct request's POST body is read on the calling thread ({@link
 * #readUntilAnswered}), other bodies on the HTTP client's selector thread; resumptions wait on
 * Reactor's parallel scheduler.
 */
final class ResumableSseStream implements Flow.Subscriber<List<ByteBuffer>> {
  private static final Logger LOG = LoggerFactory.getLogger(ResumableSseStream.class);
  static final String EVENT_STREAM = "text/event-stream";
  private static final String LAST_EVENT_ID = "Last-Event-ID";
  private static final long DEFAULT_RETRY_MILLIS = 1000;
  /** Resumptions of one request's stream that brought nothing new, before the request fails. */
  private static final int MAX_RESUME_ATTEMPTS = 5;
  /** Failed (re)connections of the listening stream in a row, before it is given up. */
  private static final int MAX_LISTEN_FAILURES = 8;
  /** Bytes read from a response body at a time on the calling thread ({@link #readUntilAnswered}). */
  private static final int READ_CHUNK = 2048;
  /** A listening stream that stayed up this long counts as working when it drops. */
  private static final long STABLE_NANOS = TimeUnit.SECONDS.toNanos(10);
  /**
   * The shortest wait before the listening stream is reopened, whatever {@code retry:} the server
   * sent: a server asking for {@code retry: 0} and ending each stream at once had every session
   * reconnect in a loop.
   */
  static final long MIN_LISTEN_RETRY_MILLIS = 1000;
  /**
   * The shortest wait before a request's stream is resumed again: its first resumption comes after
   * the server's {@code retry:} (0 allowed), each later one at least this long after the one before
   * ended. A server that answered each resumption with one event and ended it, with {@code retry:
   * 0}, had the request reconnect in a loop until its timeout (each new event counts as progress).
   */
  static final long MIN_REPEAT_RESUME_MILLIS = 250;

  /** What a stream needs of its transport. */
  interface Owner {
    boolean closed();

    /** The session now: a request's stream is resumed in it. */
    String sessionId();

    /** A request to the server with the transport's headers, in {@code session} (null: none). */
    HttpRequest.Builder request(String session);

    HttpClient http();

    /** One message event's data; true when it is the response to {@code requestId}. */
    boolean received(String data, Object requestId);

    /** Request {@code requestId}'s response will not come: answer it with an error. */
    void failed(Object requestId, String why);

    /**
     * Request {@code requestId}'s stream carried an event over {@code maxEventBytes}: its response
     * is not read; answer it with an error.
     */
    default void tooLarge(Object requestId, int maxEventBytes) {
      failed(requestId, "the MCP server sent an SSE event over " + maxEventBytes + " bytes");
    }

    /** The listening stream {@code stream} is given up. */
    void listeningEnded(ResumableSseStream stream);
  }

  private final Owner owner;
  private final Object requestId;
  private final String session;
  private final boolean listen;
  private final SseParser parser;
  private volatile boolean accepted;
  private volatile boolean sse;
  private volatile boolean answered;
  private volatile boolean stopped;
  /** The request's caller gave up: the stream is read to its end but never resumed. */
  private volatile boolean abandoned;
  /** Resumptions or failed reconnections in a row without an event. */
  private volatile int attempts;
  /** When the last GET was answered with a stream (System.nanoTime()). */
  private volatile long connectedAt;
  /** When the last GET was sent (System.nanoTime()). */
  private volatile long resumedAt;
  /**
   * Times in a row the listening stream ended (or failed to open) within {@link #STABLE_NANOS} of
   * its GET, events or not: the wait before the next GET backs off with them.
   */
  private volatile int quickEnds;
  private volatile Flow.Subscription subscription;
  /** The body {@link #readUntilAnswered} stopped reading at the response, until {@link #readRest}. */
  private InputStream rest;
  private byte[] restBuffer;

  private ResumableSseStream(Owner owner, Object requestId, String session, boolean listen) {
    this.owner = owner;
    this.requestId = requestId;
    this.session = session;
    this.listen = listen;
    // a POSTed notification or response waits for nothing
    this.answered = !listen && requestId == null;
    this.parser =
        new SseParser(
            new SseParser.Listener() {
              @Override
              public void event(SseEvent event) {
                onEvent(event);
              }

              @Override
              public void tooLarge(int maxEventBytes) {
                onTooLarge(maxEventBytes);
              }
            });
  }

  /** The stream of a POSTed message; {@code requestId} null for a notification or a response. */
  static ResumableSseStream ofPost(Owner owner, Object requestId) {
    return new ResumableSseStream(owner, requestId, null, false);
  }

  /** The listening stream of {@code session}, not yet opened: {@link #resume} opens it. */
  static ResumableSseStream listening(Owner owner, String session) {
    return new ResumableSseStream(owner, null, session, true);
  }

  /** The server accepted the POST (2xx): from now on a failure ends the stream, not the send. */
  void accepted() {
    accepted = true;
  }

  boolean isAccepted() {
    return accepted;
  }

  /** Whether the POST was answered with a stream (rather than JSON or nothing). */
  boolean isSse() {
    return sse;
  }

  /** Reads the POST's SSE body into this stream. */
  HttpResponse.BodySubscriber<Void> readPost() {
    sse = true;
    return HttpResponse.BodySubscribers.fromSubscriber(this, s -> null);
  }

  /**
   * Reads the POST's SSE body from {@code body} on the calling thread until the response has come
   * or the body ended; events are handled as they come, as {@link #readPost()}'s are. True when
   * the response came first: what follows it (the server should end the stream now) is read by
   * {@link #readRest}. When the body ended first, the caller calls {@link #ended}.
   */
  boolean readUntilAnswered(InputStream body) throws IOException {
    sse = true;
    // Small: most answers are a few hundred bytes, and the client's own buffer is behind this one.
    byte[] buffer = new byte[READ_CHUNK];
    for (int n; (n = body.read(buffer)) >= 0; ) {
      parser.feed(buffer, 0, n);
      if (answered) {
        rest = body;
        restBuffer = buffer;
        return true;
      }
    }
    return false;
  }

  /** Whether {@link #readUntilAnswered} left the end of a body to read. */
  boolean hasRest() {
    return rest != null;
  }

  /**
   * Reads what {@link #readUntilAnswered} left of the body to its end, handling its events; false
   * when it left nothing.
   */
  boolean readRest() throws IOException {
    InputStream body = rest;
    if (body == null) {
      return false;
    }
    rest = null;
    byte[] buffer = restBuffer;
    restBuffer = null;
    for (int n; (n = body.read(buffer)) >= 0; ) {
      parser.feed(buffer, 0, n);
    }
    return true;
  }

  /** The request's caller gave up: read on to the end, but never resume. */
  void abandon() {
    abandoned = true;
  }

  /** Stops reading now and never resumes (a listening stream whose session is over). */
  void stop() {
    stopped = true;
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
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
  public void onNext(List<ByteBuffer> buffers) {
    for (ByteBuffer buffer : buffers) {
      parser.feed(buffer);
    }
  }

  @Override
  public void onError(Throwable t) {
    // ended() is called from the response future, with the cause
  }

  @Override
  public void onComplete() {
    // ended() is called from the response future
  }

  private void onEvent(SseEvent event) {
    if (event.data().isBlank() || !event.event().equals("message")) {
      return; // e.g. the priming event: an id and no data
    }
    attempts = 0;
    if (owner.received(event.data(), requestId)) {
      answered = true;
    }
  }

  private void onTooLarge(int limit) {
    String why = "the MCP server sent an SSE event over " + limit + " bytes";
    if (listen) {
      LOG.warn("MCP listening stream: {}; the event is dropped", why);
    } else if (!answered) {
      answered = true;
      LOG.warn("MCP request {}: {}", requestId, why);
      owner.tooLarge(requestId, limit);
    }
  }

  /** The stream ended ({@code error} null: the server closed it): resume it if it must be. */
  void ended(Throwable error) {
    if (owner.closed() || stopped || answered || abandoned) {
      return;
    }
    if (listen && !Objects.equals(session, owner.sessionId())) {
      return; // a stream of a session that is gone
    }
    if (listen && connectedAt != 0 && System.nanoTime() - connectedAt > STABLE_NANOS) {
      attempts = 0; // it was up a good while: a drop, not a server that refuses it
    }
    attempts++;
    int limit = listen ? MAX_LISTEN_FAILURES : MAX_RESUME_ATTEMPTS;
    if (!listen && parser.lastEventId() == null) {
      fail("the MCP server ended the response stream before the response, without an event id to resume from");
      return;
    }
    if (attempts > limit) {
      if (listen) {
        LOG.warn("MCP listening stream given up after {} failed reconnections", limit);
        owner.listeningEnded(this);
      } else {
        fail("the MCP server's response stream could not be resumed (" + limit + " attempts)");
      }
      return;
    }
    Long retry = parser.retry();
    long delay;
    if (listen) {
      // At least MIN_LISTEN_RETRY_MILLIS, and backing off while the streams keep ending soon
      // after they opened, even when each carried an event (which resets the failures above).
      quickEnds = resumedAt != 0 && System.nanoTime() - resumedAt < STABLE_NANOS ? quickEnds + 1 : 0;
      delay = Math.max(MIN_LISTEN_RETRY_MILLIS, retry != null ? retry : DEFAULT_RETRY_MILLIS);
      int backingOff = Math.max(quickEnds, attempts) - 1;
      if (backingOff > 0) {
        delay = Math.max(delay, McpConnector.backoff(backingOff).toMillis());
      }
    } else {
      delay = retry != null ? retry : DEFAULT_RETRY_MILLIS;
      if (resumedAt != 0) {
        delay = Math.max(delay, MIN_REPEAT_RESUME_MILLIS);
      }
    }
    if (error != null) {
      LOG.debug("MCP SSE stream failed ({}); resuming in {} ms", error.getClass().getSimpleName(), delay);
    }
    Schedulers.parallel().schedule(this::resume, delay, TimeUnit.MILLISECONDS);
  }

  /** GET with Last-Event-ID (if any), and read on into this same stream. */
  void resume() {
    if (owner.closed() || stopped) {
      return;
    }
    String s = listen ? session : owner.sessionId();
    resumedAt = System.nanoTime();
    HttpRequest.Builder request = owner.request(s).header("Accept", EVENT_STREAM).GET();
    String lastEventId = parser.lastEventId();
    if (lastEventId != null) {
      request.header(LAST_EVENT_ID, lastEventId);
    }
    owner
        .http()
        .sendAsync(request.build(), this::onGetResponse)
        .whenComplete(
            (response, error) -> {
              if (error != null) {
                ended(error instanceof CompletionException && error.getCause() != null ? error.getCause() : error);
              } else if (response.body() == Boolean.TRUE) {
                ended(null);
              }
            });
  }

  /** TRUE: an SSE body was read to its end; FALSE: no stream to read (and none to resume). */
  private HttpResponse.BodySubscriber<Boolean> onGetResponse(HttpResponse.ResponseInfo info) {
    int status = info.statusCode();
    String type = info.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
    if (status >= 200 && status < 300 && type.contains(EVENT_STREAM)) {
      parser.reset(); // what the last connection left half-read is dropped
      connectedAt = System.nanoTime();
      return HttpResponse.BodySubscribers.fromSubscriber(this, s -> Boolean.TRUE);
    }
    if (listen) {
      if (status == 405) {
        LOG.debug("MCP server offers no listening stream (405)");
      } else {
        LOG.warn("MCP server answered the listening stream's GET with HTTP {}", status);
      }
      owner.listeningEnded(this);
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
    owner.failed(requestId, why);
  }
}
