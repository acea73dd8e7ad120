package dev.gatehouse.activities.http;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SocketChannel;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SchemePortResolver;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.DefaultHttpClientConnectionOperator;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.io.HttpClientConnectionOperator;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.client5.http.ssl.TlsSocketStrategy;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.URIScheme;
import org.apache.hc.core5.http.config.RegistryBuilder;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * HTTP/1.1 exchanges with an upstream on the calling thread: the request is written and its answer
 * read by the thread that needs it, over pooled keep-alive connections (Apache HttpClient's
 * classic client). On the direct path that thread is the agent's request thread, which waits for
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

  /** Connections per upstream (host and port) and in all: beyond them a caller waits for one until its deadline. */
  private static final int MAX_PER_ROUTE = 512;
  private static final int MAX_TOTAL = 2048;
  /** A pooled connection idle this long is checked before it is reused (the server may have closed it). */
  private static final TimeValue VALIDATE_AFTER = TimeValue.ofMilliseconds(500);
  private static final TimeValue IDLE_EVICTION = TimeValue.ofSeconds(30);

  /** Fires the deadlines of all open exchanges; it only closes connections, never runs a caller's code. */
  private static final DeadlineSweeper DEADLINES = new DeadlineSweeper();

  /** The exchange each thread is in, so that interrupting the thread aborts it ({@link #interrupt}). */
  private static final Map<Thread, Exchange> ACTIVE = new ConcurrentHashMap<>();

  private final CloseableHttpClient client;

  public BlockingHttp(Duration connectTimeout) {
    SSLContext tls;
    try {
      tls = SSLContext.getDefault();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no default TLS context", e);
    }
    var connections =
        new ChannelSockets()
            .setMaxConnPerRoute(MAX_PER_ROUTE)
            .setMaxConnTotal(MAX_TOTAL)
            .setTlsSocketStrategy(ClientTlsStrategyBuilder.create().setSslContext(tls).buildClassic())
            .setDefaultSocketConfig(SocketConfig.custom().setSoTimeout(Timeout.DISABLED).build())
            .setDefaultConnectionConfig(
                ConnectionConfig.custom()
                    .setConnectTimeout(Timeout.of(connectTimeout))
                    .setSocketTimeout(Timeout.DISABLED)
                    .setValidateAfterInactivity(VALIDATE_AFTER)
                    .build())
            .build();
    this.client =
        HttpClients.custom()
            .setConnectionManager(connections)
            .disableAutomaticRetries()
            .disableRedirectHandling()
            .disableCookieManagement()
            .disableAuthCaching()
            .disableContentCompression()
            .setUserAgent("gatehouse")
            .evictIdleConnections(IDLE_EVICTION)
            .build();
  }

  /**
   * An exchange for {@code request}, not yet sent: its deadline counts from now and covers waiting
   * for a connection, connecting, sending and reading, until {@link Exchange#close()}. It can be
   * cancelled from now on.
   */
  public Exchange exchange(HttpUriRequestBase request, Duration timeout) {
    long millis = Math.max(1, timeout.toMillis());
    request.setConfig(
        RequestConfig.custom()
            .setConnectionRequestTimeout(Timeout.ofMilliseconds(millis))
            // The deadline bounds the exchange (the sweeper aborts it), and a stream's caller the
            // gaps between its events: the socket waits without a time-out of its own.
            .setResponseTimeout(Timeout.DISABLED)
            .build());
    Exchange exchange = new Exchange(this, request);
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
   * Interrupts {@code thread} and aborts the exchange it is in, if any: a thread blocked in socket
   * I/O does not notice an interrupt, so whoever means to stop a call (an activity told to stop)
   * interrupts through here.
   */
  public static void interrupt(Thread thread) {
    thread.interrupt();
    Exchange exchange = ACTIVE.get(thread);
    if (exchange != null) {
      exchange.cancel();
    }
  }

  /** One request and its answer; closing it ends the deadline and returns or drops the connection. */
  public static final class Exchange implements AutoCloseable {
    private final BlockingHttp http;
    private final HttpUriRequestBase request;
    /** When the exchange times out (System.nanoTime()); {@link #NONE}: never. */
    private volatile long deadline;
    /** When the exchange is cut after {@link #abortAfter}; {@link #NONE}: never. */
    private volatile long linger = NONE;
    private volatile ClassicHttpResponse response;
    private volatile boolean timedOut;
    private volatile boolean cancelled;
    private volatile boolean readToEnd;
    private volatile Thread owner;

    private Exchange(BlockingHttp http, HttpUriRequestBase request) {
      this.http = http;
      this.request = request;
    }

    /**
     * Sends the request and answers its response, whose body the caller then reads. An exchange
     * aborted before or while it is sent fails with an {@link IOException}.
     */
    public ClassicHttpResponse send() throws IOException {
      Thread thread = Thread.currentThread();
      ACTIVE.put(thread, this);
      owner = thread;
      if (thread.isInterrupted()) {
        cancel(); // interrupted before it was sent: it is not
      }
      try {
        response = http.client.executeOpen(null, request, null);
      } catch (java.util.concurrent.CancellationException e) {
        throw new java.io.InterruptedIOException("the exchange was aborted before it was sent");
      }
      return response;
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
     * Ends the exchange. A body read to its end ({@link #readToEnd()}) leaves its connection in
     * the pool; otherwise the connection is closed, never drained (a stream the server keeps open
     * would not end).
     */
    @Override
    public void close() {
      DEADLINES.close(this);
      if (!readToEnd) {
        request.cancel();
      }
      Thread t = owner;
      if (t != null) {
        ACTIVE.remove(t, this);
      }
      ClassicHttpResponse r = response;
      if (r != null) {
        try {
          r.close();
        } catch (IOException ignored) {
          // the connection is gone either way
        }
      }
    }
  }

  /**
   * The pooling connection manager, with connections on {@link SocketChannel} sockets (see the
   * class comment); a SOCKS proxy, which Gatehouse does not configure, would get a plain socket.
   */
  private static final class ChannelSockets extends PoolingHttpClientConnectionManagerBuilder {
    @Override
    protected HttpClientConnectionOperator createConnectionOperator(
        SchemePortResolver ports, DnsResolver dns, TlsSocketStrategy tlsStrategy) {
      return new DefaultHttpClientConnectionOperator(
          proxy -> proxy == null ? SocketChannel.open().socket() : new java.net.Socket(proxy),
          ports,
          dns,
          RegistryBuilder.<TlsSocketStrategy>create().register(URIScheme.HTTPS.id, tlsStrategy).build());
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
