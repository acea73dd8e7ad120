package dev.gatehouse.activities.http;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.channels.SocketChannel;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.impl.DefaultConnectionKeepAliveStrategy;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.URIScheme;
import org.apache.hc.core5.http.impl.io.DefaultBHttpClientConnection;
import org.apache.hc.core5.http.impl.io.HttpRequestExecutor;
import org.apache.hc.core5.http.protocol.HttpProcessor;
import org.apache.hc.core5.http.protocol.HttpProcessorBuilder;
import org.apache.hc.core5.http.protocol.RequestConnControl;
import org.apache.hc.core5.http.protocol.RequestContent;
import org.apache.hc.core5.http.protocol.RequestTargetHost;
import org.apache.hc.core5.http.protocol.RequestUserAgent;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.net.URIAuthority;
import org.apache.hc.core5.pool.PoolEntry;

/**
 * HTTP/1.1 exchanges with an upstream on the calling thread: the request is written and its answer
 * read by the thread that needs it, over pooled keep-alive connections ({@link
 * UpstreamConnections}). On the direct path that thread is the agent's request thread, which waits for
 * the answer anyway; an asynchronous client hands each exchange to its selector thread and back,
 * which on a small machine cost more CPU than the rest of the call (docs/benchmarks.md).
 *
 * <p>An exchange has a deadline: when it passes, the exchange is aborted (its connection closed,
 * whatever the thread was blocked on fails) and {@link Exchange#timedOut()} says so. {@link
 * Exchange#cancel()} aborts it from any thread, and so does interrupting the thread that waits on
 * it. No redirects are followed, nothing is retried, no cookies are kept and no compression is
 * asked for: the caller decides all of that. TLS uses the JVM's default context, as the JDK client
 * does.
 *
 * <p>An exchange is httpcore5's {@link HttpRequestExecutor} on a pooled connection, with the
 * request interceptors a client needs ({@code Content-Length} or chunking, {@code Host}, {@code
 * Connection}, {@code User-Agent}) and none that asks the server for an interim {@code 100
 * Continue}. Apache HttpClient's classic client, which this replaces, ran each exchange through
 * its execution chain (route, context, request copy, redirect, retry, cookie and protocol steps)
 * whose work, all of it switched off or unused here, was about half of the client's CPU per
 * call (docs/benchmarks.md).
 *
 * <p>The deadlines are kept by one thread ({@link DeadlineSweeper}), not by socket time-outs: a socket
 * read with a time-out is a non-blocking read, then a {@code poll}, then the read again, where an
 * untimed read is one blocking system call. The sockets are those of {@link SocketChannel}s, which
 * go back to blocking mode after a timed operation (the connect, a pooled connection's staleness
 * check); a plain {@link java.net.Socket} on JDK 17 stays non-blocking for good after its first.
 * On the direct path this saves two or three system calls per upstream call (docs/benchmarks.md).
 */
public final class BlockingHttp {
  /** {@code application/json}, as sent (no charset parameter: JSON is UTF-8 by definition). */
  public static final ContentType JSON = ContentType.create("application/json");

  /** Fires the deadlines of all open exchanges; it only closes connections, never runs a caller's code. */
  private static final DeadlineSweeper DEADLINES = new DeadlineSweeper();

  /** The exchange each thread is in, so that interrupting the thread aborts it ({@link #interrupt}). */
  private static final Map<Thread, Exchange> ACTIVE = new ConcurrentHashMap<>();

  /** What every request gets before it is sent; no {@code Expect: 100-continue} (see the class comment). */
  private static final HttpProcessor REQUESTS =
      HttpProcessorBuilder.create()
          .add(new RequestContent())
          .add(new RequestTargetHost())
          .add(new RequestConnControl())
          .add(new RequestUserAgent("gatehouse"))
          .build();

  private static final HttpRequestExecutor EXECUTOR = new HttpRequestExecutor();

  private final UpstreamConnections connections;

  /**
   * With TLS from {@code tls} instead of the JVM's default context and at most {@code
   * maxPerUpstream} connections to one upstream (tests trust their own certificate and fill the pool).
   */
  BlockingHttp(Duration connectTimeout, SSLSocketFactory tls, int maxPerUpstream) {
    this.connections = new UpstreamConnections(connectTimeout, tls, maxPerUpstream);
  }

  public BlockingHttp(Duration connectTimeout) {
    this(connectTimeout, defaultTls(), UpstreamConnections.MAX_PER_ROUTE);
  }

  static SSLSocketFactory defaultTls() {
    try {
      return SSLContext.getDefault().getSocketFactory();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no default TLS context", e);
    }
  }

  /**
   * An exchange for {@code request}, not yet sent: its deadline counts from now and covers waiting
   * for a connection, connecting, sending and reading, until {@link Exchange#close()}. It can be
   * cancelled from now on.
   */
  public Exchange exchange(HttpUriRequestBase request, Duration timeout) {
    return exchange(request, timeout, false);
  }

  /**
   * As {@link #exchange(HttpUriRequestBase, Duration)}, for a record a tenant admin wrote when
   * {@code egressGuarded}: the exchange connects only to addresses that are not internal ({@link
   * Egress}), on connections no unguarded exchange used, and {@link Exchange#send()} fails with an
   * {@link EgressRefusedException} when the host has no other.
   */
  public Exchange exchange(HttpUriRequestBase request, Duration timeout, boolean egressGuarded) {
    // The deadline bounds the exchange (the sweeper aborts it), and a stream's caller the gaps
    // between its events: the socket waits without a time-out of its own.
    long millis = Math.max(1, timeout.toMillis());
    Exchange exchange = new Exchange(this, request, millis, egressGuarded);
    exchange.deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    DEADLINES.open(exchange);
    return exchange;
  }

  /** The first value of header {@code name} of {@code response}; null when it has none. */
  public static String header(ClassicHttpResponse response, String name) {
    var h = response.getFirstHeader(name);
    return h == null ? null : h.getValue();
  }

  /**
   * Aborts the exchange {@code thread} is in, if any, and interrupts it: whoever means to stop a
   * call (an activity told to stop) interrupts through here, so that the exchange ends as
   * cancelled whatever the thread is blocked on, and an exchange the thread is about to send is
   * not sent. The look-up and the interrupt are one step against {@link Exchange#send()}'s
   * registration of the thread's exchange (both lock the thread's entry): an exchange registered
   * before is cancelled here, one registered after sees the interrupt and cancels itself, and one
   * the thread opens after it has seen and cleared the interrupt is left alone. (A second look-up
   * after the interrupt, which this replaces, found and cancelled the thread's next exchange when
   * the interrupting thread lost its core in between.) The thread is interrupted before its
   * exchange is cancelled, so that it has the interrupt when it wakes from the cancel.
   */
  public static void interrupt(Thread thread) {
    ACTIVE.compute(
        thread,
        (t, exchange) -> {
          t.interrupt();
          if (exchange != null) {
            exchange.cancel();
          }
          return exchange;
        });
  }

  /** One request and its answer; closing it ends the deadline and returns or drops the connection. */
  public static final class Exchange implements AutoCloseable {
    private final BlockingHttp http;
    private final HttpUriRequestBase request;
    /** When the exchange times out (System.nanoTime()); {@link #NONE}: never. */
    private volatile long deadline;
    /** When the exchange is cut after {@link #abortAfter}; {@link #NONE}: never. */
    private volatile long linger = NONE;
    /** How long {@link #send()} waits for a pooled connection (the deadline bounds it too). */
    private final long leaseMillis;
    private volatile ClassicHttpResponse response;
    private volatile boolean timedOut;
    private volatile boolean cancelled;
    private volatile boolean readToEnd;
    private volatile Thread owner;
    /** The pooled connection the exchange holds from {@link #send()} to {@link #close()}; null before and after. */
    private PoolEntry<UpstreamConnections.Route, DefaultBHttpClientConnection> entry;
    private boolean closed;
    /** The connection can serve another exchange once the body is read (the response allows it). */
    private volatile boolean reusable;
    private volatile HttpClientContext context;

    /** Whether the exchange is for an egress-guarded record (see {@link Egress}). */
    private final boolean guarded;

    private Exchange(BlockingHttp http, HttpUriRequestBase request, long leaseMillis, boolean guarded) {
      this.http = http;
      this.request = request;
      this.leaseMillis = leaseMillis;
      this.guarded = guarded;
    }

    /**
     * Sends the request and answers its response, whose body the caller then reads. An exchange
     * aborted before or while it is sent fails with an {@link IOException}.
     */
    public ClassicHttpResponse send() throws IOException {
      Thread thread = Thread.currentThread();
      owner = thread;
      ACTIVE.compute(
          thread,
          (t, previous) -> {
            if (t.isInterrupted()) {
              cancel(); // interrupted before it was sent: it is not
            }
            return this;
          });
      HttpHost target = target(request);
      var leased = http.connections.lease(new UpstreamConnections.Route(target, guarded), leaseMillis, request);
      synchronized (this) {
        if (closed) { // closed by another thread while this one waited for the connection
          http.connections.release(leased, false, null);
          throw new InterruptedIOException("the exchange was aborted before it was sent");
        }
        entry = leased;
      }
      DefaultBHttpClientConnection connection = leased.getConnection();
      // From now on cancelling the request (cancel, the deadline, an interrupt) closes the
      // connection, and whatever this thread is blocked on fails.
      request.setDependency(() -> {
        connection.close(CloseMode.IMMEDIATE);
        return true;
      });
      if (request.isCancelled()) {
        throw new InterruptedIOException("the exchange was aborted before it was sent");
      }
      context = HttpClientContext.create();
      try {
        EXECUTOR.preProcess(request, REQUESTS, context);
        ClassicHttpResponse r = EXECUTOR.execute(request, connection, context);
        reusable = EXECUTOR.keepAlive(request, r, connection, context);
        response = r;
        return r;
      } catch (HttpException e) {
        throw new IOException(e.getMessage(), e); // a malformed answer: the connection is closed with the exchange
      }
    }

    /** Where the request goes: its URI's scheme, host and port (the default port of the scheme when it names none). */
    private static HttpHost target(HttpUriRequestBase request) throws IOException {
      URIAuthority authority = request.getAuthority();
      String scheme = request.getScheme();
      if (authority == null || scheme == null) {
        throw new IOException("the request names no scheme and host"); // (its URI is not repeated: it may carry a secret)
      }
      if (authority.getUserInfo() != null) {
        // never sent in the Host header; Gatehouse sends credentials as headers it chooses
        authority = new URIAuthority(authority.getHostName(), authority.getPort());
        request.setAuthority(authority);
      }
      int port = authority.getPort();
      if (port < 0) {
        port = URIScheme.HTTPS.same(scheme) ? 443 : 80;
      }
      return new HttpHost(scheme, authority.getHostName(), port);
    }

    /** True once the deadline passed and the exchange was aborted for it. */
    public boolean timedOut() {
      return timedOut;
    }

    /** True once {@link #cancel()} aborted the exchange. */
    public boolean cancelled() {
      return cancelled;
    }

    /** Aborts the exchange from any thread: a read or write blocked on it fails at once. */
    public void cancel() {
      cancelled = true;
      request.cancel();
    }

    /**
     * The caller has what it came for, but the body has not ended: it may read on for {@code
     * grace} (to keep the connection), after which the exchange is aborted. Not a time-out.
     */
    public void abortAfter(Duration grace) {
      if (linger == NONE) {
        linger = System.nanoTime() + grace.toNanos();
      }
    }

    /** The request, to fill in before {@link #send()}. */
    public HttpUriRequestBase request() {
      return request;
    }

    /**
     * The deadline no longer applies (a stream whose headers came in time: its caller bounds the
     * gaps between its events); {@link #cancel()} still does.
     */
    public void endDeadline() {
      deadline = NONE;
    }

    /** Aborts the exchange if its deadline or its grace passed by {@code now}. */
    void sweep(long now) {
      if (deadline != NONE && now - deadline >= 0) {
        deadline = NONE;
        expire();
      } else if (linger != NONE && now - linger >= 0) {
        linger = NONE;
        request.cancel();
      }
    }

    /**
     * The response's body as a stream that knows when it was read to its end; closing it closes
     * the exchange (from any thread: a read blocked on it fails at once).
     */
    public Body body() throws IOException {
      var entity = response.getEntity();
      return new Body(this, entity == null ? InputStream.nullInputStream() : entity.getContent());
    }

    /** The caller read the body to its end: the connection can serve another exchange. */
    public void readToEnd() {
      readToEnd = true;
    }

    private void expire() {
      timedOut = true;
      request.cancel();
    }

    /**
     * Ends the exchange. A body read to its end ({@link #readToEnd()}), or an answer without one,
     * leaves its connection in the pool; otherwise the connection is closed, never drained (a
     * stream the server keeps open would not end). Closing twice, or from another thread while
     * the exchange is being sent, is safe: the connection goes back once.
     */
    @Override
    public void close() {
      DEADLINES.close(this);
      ClassicHttpResponse r = response;
      boolean bodyDone = readToEnd || (r != null && r.getEntity() == null);
      if (!bodyDone) {
        request.cancel(); // closes the connection under whatever still reads or writes it
      }
      Thread t = owner;
      if (t != null) {
        ACTIVE.remove(t, this);
      }
      PoolEntry<UpstreamConnections.Route, DefaultBHttpClientConnection> e;
      synchronized (this) {
        closed = true;
        e = entry;
        entry = null;
      }
      if (e != null) {
        DefaultBHttpClientConnection c = e.getConnection();
        if (c instanceof UpstreamConnections.Connection uc) {
          uc.beforeNetworkRead(null); // the body's reader is done with it
        }
        boolean keep = bodyDone && reusable && !request.isCancelled() && c != null && c.isOpen();
        http.connections.release(e, keep, keep ? DefaultConnectionKeepAliveStrategy.INSTANCE.getKeepAliveDuration(r, context) : null);
      }
    }
  }

  /** A deadline or a grace never reached. */
  private static final long NONE = Long.MIN_VALUE;

  /** A response body read on the caller's thread; see {@link Exchange#body()}. */
  public static final class Body extends FilterInputStream {
    private final Exchange exchange;
    /** The thread that reads the body; another that closes it only aborts the exchange. */
    private final Thread reader = Thread.currentThread();

    private Body(Exchange exchange, InputStream in) {
      super(in);
      this.exchange = exchange;
    }

    /**
     * Runs {@code hook} on the reading thread whenever a read of this body is about to go to the
     * network because every byte of the answer received so far has been read: the read may now
     * wait. A relay flushes there what it has written, so events that came in together leave
     * together and none waits for the next (httpcore5's {@code available()} cannot tell: a chunked
     * body's says 0 at the end of each chunk, though the next chunks may have come in the same
     * read). What the hook throws, an unchecked exception, ends the read it came before. Only the
     * thread that reads the body may set it; it holds until the exchange is closed.
     */
    public void beforeNetworkRead(Runnable hook) {
      PoolEntry<UpstreamConnections.Route, DefaultBHttpClientConnection> e = exchange.entry;
      if (e != null && e.getConnection() instanceof UpstreamConnections.Connection c) {
        c.beforeNetworkRead(hook);
      }
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b < 0) {
        exchange.readToEnd();
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n < 0) {
        exchange.readToEnd();
      }
      return n;
    }

    /**
     * The caller has all it wanted, and the server should end the body now: reads on to its end
     * (for at most {@code grace} and {@code maxBytes}) so the connection can be reused, then
     * closes. A body that does not end in time is cut, with its connection.
     */
    public void finish(Duration grace, int maxBytes) {
      exchange.abortAfter(grace);
      try {
        byte[] skip = new byte[4096];
        for (int total = 0, n; total <= maxBytes && (n = read(skip)) >= 0; total += n) {
          // discarded
        }
      } catch (IOException e) {
        // cut: closed below with its connection
      }
      close();
    }

    /**
     * Closes the exchange. Closed by another thread than its reader's (a watchdog), the exchange
     * is only aborted: the blocked read fails, and the reader closes it for good.
     */
    @Override
    public void close() {
      if (Thread.currentThread() != reader) {
        exchange.request.cancel();
      } else {
        exchange.close();
      }
    }
  }
}
