package dev.gatehouse.activities.http;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.apache.hc.client5.http.ConnectExceptionSupport;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.impl.IdleConnectionEvictor;
import org.apache.hc.core5.http.ConnectionRequestTimeoutException;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.URIScheme;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.impl.io.DefaultBHttpClientConnection;
import org.apache.hc.core5.http.impl.io.DefaultHttpResponseParserFactory;
import org.apache.hc.core5.http.io.SessionInputBuffer;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.pool.PoolEntry;
import org.apache.hc.core5.pool.PoolReusePolicy;
import org.apache.hc.core5.pool.StrictConnPool;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * The keep-alive connections of one {@link BlockingHttp}: httpcore5's pool of HTTP/1.1 client
 * connections (per upstream host and port, and in all), each on a {@link SocketChannel}'s socket
 * (see {@link BlockingHttp}), TLS through the JVM's default context with the host name verified.
 *
 * <p>What Apache HttpClient's classic client did around the pool, kept here: a connection idle
 * for more than {@link #VALIDATE_AFTER} is checked before it is reused (the server may have closed
 * it; without the check the next request fails with a broken pipe), connections idle for {@link
 * #IDLE_EVICTION} are closed, and a connection the server asked to keep for a while (a {@code
 * Keep-Alive: timeout} header) is not reused after it.
 *
 * <p>A pool route is the upstream and whether the exchange is egress-guarded ({@link Route}): a
 * guarded exchange connects only to addresses {@link Egress#reachable} leaves, and never reuses a
 * connection an unguarded one opened (to the same name, it may have reached an internal address).
 */
final class UpstreamConnections {
  /**
   * Where a pooled connection goes: the upstream's scheme, host and port, and whether it was
   * opened for egress-guarded exchanges (only those reuse it).
   */
  record Route(HttpHost target, boolean guarded) {}

  /** Connections per upstream (host and port) and in all: beyond them a caller waits for one until its deadline. */
  static final int MAX_PER_ROUTE = 512;
  private static final int MAX_TOTAL = 2048;
  /** A pooled connection idle this long is checked before it is reused (the server may have closed it). */
  static final TimeValue VALIDATE_AFTER = TimeValue.ofMilliseconds(500);
  private static final TimeValue IDLE_EVICTION = TimeValue.ofSeconds(30);

  private final StrictConnPool<Route, DefaultBHttpClientConnection> pool;
  private final SSLSocketFactory tls;
  private final int connectMillis;

  UpstreamConnections(Duration connectTimeout, SSLSocketFactory tls, int maxPerRoute) {
    this.pool = new StrictConnPool<>(maxPerRoute, MAX_TOTAL, TimeValue.NEG_ONE_MILLISECOND, PoolReusePolicy.LIFO, null);
    this.connectMillis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, connectTimeout.toMillis()));
    this.tls = tls;
    new IdleConnectionEvictor(pool, IDLE_EVICTION, IDLE_EVICTION).start();
  }

  /**
   * A pool entry for {@code route} with an open connection, waiting at most {@code millis} for
   * one; {@code request} cancelled meanwhile (before or during the wait, or while connecting) ends
   * the wait with an {@link InterruptedIOException}. A guarded route with no address it may reach
   * fails with an {@link EgressRefusedException}.
   */
  PoolEntry<Route, DefaultBHttpClientConnection> lease(Route route, long millis, HttpUriRequestBase request)
      throws IOException {
    HttpHost target = route.target();
    Future<PoolEntry<Route, DefaultBHttpClientConnection>> lease =
        pool.lease(route, null, Timeout.ofMilliseconds(millis), null);
    request.setDependency(() -> lease.cancel(true));
    PoolEntry<Route, DefaultBHttpClientConnection> entry;
    try {
      entry = lease.get(millis, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      giveUp(lease);
      throw new ConnectionRequestTimeoutException(
          "no connection to " + target.toHostString() + " became free within " + millis + " ms");
    } catch (CancellationException e) {
      throw aborted();
    } catch (InterruptedException e) {
      giveUp(lease);
      Thread.currentThread().interrupt();
      throw aborted();
    } catch (ExecutionException e) {
      throw new IOException("no connection to " + target.toHostString(), e.getCause());
    }
    boolean ok = false;
    try {
      if (request.isCancelled()) {
        throw aborted();
      }
      DefaultBHttpClientConnection c = entry.getConnection();
      if (c != null
          && (!c.isOpen()
              || (System.currentTimeMillis() - entry.getUpdated() > VALIDATE_AFTER.toMilliseconds() && c.isStale()))) {
        entry.discardConnection(CloseMode.IMMEDIATE);
      }
      if (!entry.hasConnection()) {
        entry.assignConnection(connect(route, request));
      }
      ok = true;
      return entry;
    } finally {
      if (!ok) {
        entry.discardConnection(CloseMode.IMMEDIATE);
        pool.release(entry, false);
      }
    }
  }

  /** Puts {@code entry} back: its connection kept for {@code keepAlive} when {@code reusable}, else closed. */
  void release(PoolEntry<Route, DefaultBHttpClientConnection> entry, boolean reusable, TimeValue keepAlive) {
    if (reusable) {
      entry.updateExpiry(keepAlive);
    } else {
      entry.discardConnection(CloseMode.IMMEDIATE);
    }
    pool.release(entry, reusable);
  }

  /** A lease given up on (timed out, interrupted): if it was granted meanwhile, its entry goes back. */
  private void giveUp(Future<PoolEntry<Route, DefaultBHttpClientConnection>> lease) {
    if (!lease.cancel(true) && lease.isDone()) {
      try {
        pool.release(lease.get(), true);
      } catch (InterruptedException | ExecutionException | CancellationException ignored) {
        // nothing was granted
      }
    }
  }

  private static InterruptedIOException aborted() {
    return new InterruptedIOException("the exchange was aborted before it was sent");
  }

  /**
   * A new connection to {@code route}'s upstream, trying its addresses in turn (a guarded route's
   * only those it may reach); cancelling {@code request} closes it.
   */
  private DefaultBHttpClientConnection connect(Route route, HttpUriRequestBase request) throws IOException {
    HttpHost target = route.target();
    InetAddress[] addresses = Egress.reachable(target.getHostName(), InetAddress.getAllByName(target.getHostName()), route.guarded());
    boolean secure = URIScheme.HTTPS.same(target.getSchemeName());
    for (int i = 0; ; i++) {
      Socket socket = SocketChannel.open().socket();
      request.setDependency(() -> {
        closeQuietly(socket);
        return true;
      });
      try {
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(addresses[i], target.getPort()), connectMillis);
        if (!secure) {
          Connection c = new Connection();
          c.bind(socket);
          return c;
        }
        SSLSocket ssl = (SSLSocket) tls.createSocket(socket, target.getHostName(), target.getPort(), true);
        request.setDependency(() -> {
          closeQuietly(ssl);
          return true;
        });
        SSLParameters params = ssl.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host
        ssl.setSSLParameters(params);
        ssl.setSoTimeout(connectMillis);
        ssl.startHandshake();
        ssl.setSoTimeout(0);
        Connection c = new Connection();
        c.bind(ssl, socket);
        return c;
      } catch (ConnectException | SocketTimeoutException e) {
        closeQuietly(socket);
        if (request.isCancelled()) {
          throw aborted();
        }
        if (i == addresses.length - 1) {
          throw ConnectExceptionSupport.enhance(e, target, addresses);
        }
      } catch (IOException | RuntimeException e) {
        closeQuietly(socket);
        if (request.isCancelled()) {
          throw aborted();
        }
        throw e;
      }
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing is all that is left to do
    }
  }

  /**
   * httpcore5's client connection (its defaults, as its connection factory builds it, but for the
   * bounds of an answer's head), whose response bodies tell their reader when a read is about to
   * go to the network: every byte of the answer received so far has been read ({@link BlockingHttp.Body#beforeNetworkRead}). A stream's
   * relay flushes there. httpcore5's own {@code available()} cannot tell it: a chunked body's says
   * 0 at the end of each chunk, though the next chunks may have come in the same read.
   */
  static final class Connection extends DefaultBHttpClientConnection {
    /**
     * The longest line of an answer's head (its status line, a header line, a chunk's size line,
     * a trailer): httpcore5's default has no limit, and an upstream that sent a line without end, or
     * headers without end, filled the heap of the process in seconds.
     */
    static final int MAX_LINE = 16 * 1024;
    /** The most header lines of an answer (and trailer lines of a chunked body). */
    static final int MAX_HEADERS = 100;
    static final Http1Config LIMITS =
        Http1Config.custom().setMaxLineLength(MAX_LINE).setMaxHeaderCount(MAX_HEADERS).build();

    /** Set and run by the thread that reads the current body; cleared when its exchange ends (on any thread). */
    private volatile Runnable beforeNetworkRead;

    Connection() {
      // The response parser gets the bounds itself: the connection's own constructors give theirs to
      // its line reader only, and the parser's default counts no header lines.
      super(LIMITS, null, null, null, null, null, new DefaultHttpResponseParserFactory(LIMITS));
    }

    void beforeNetworkRead(Runnable hook) {
      this.beforeNetworkRead = hook;
    }

    @Override
    protected InputStream createContentInputStream(long length, SessionInputBuffer buffer, InputStream socket) {
      // httpcore5 reads the body through its buffer, and reads `socket` only when the buffer is empty.
      return super.createContentInputStream(
          length,
          buffer,
          new FilterInputStream(socket) {
            @Override
            public int read() throws IOException {
              networkRead();
              return super.read();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
              networkRead();
              return super.read(b, off, len);
            }
          });
    }

    private void networkRead() {
      Runnable hook = beforeNetworkRead;
      if (hook != null) {
        hook.run();
      }
    }
  }
}
