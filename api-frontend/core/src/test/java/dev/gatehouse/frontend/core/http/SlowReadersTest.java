package dev.gatehouse.frontend.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.FutureCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The floor on how fast a client reads its answer, on a real Jetty server and loopback sockets: a
 * handler writes its answer as a request thread does (each write blocks until it has gone), and
 * the test sees when that thread is free again. The connector's idle timeout is 30 s, so whatever
 * ends a write sooner is the floor. The rate is 64 KiB/s after 200 ms of waiting, to keep it short.
 */
class SlowReadersTest {
  private static final long RATE = 64 * 1024;
  private static final Duration GRACE = Duration.ofMillis(200);

  private Server server;
  private final AtomicInteger cutOff = new AtomicInteger();
  /** How the handler's writing ended: null when the whole answer went, else what failed it. */
  private final CompletableFuture<Throwable> written = new CompletableFuture<>();

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.stop();
    }
  }

  /** A server answering every request with {@code pieces} writes of {@code pieceSize} bytes, {@code pauseMillis} apart. */
  private int start(int pieces, int pieceSize, long pauseMillis) throws Exception {
    server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    connector.setIdleTimeout(30_000);
    server.addConnector(connector);
    Handler answer =
        new Handler.Abstract() {
          @Override
          public boolean handle(Request request, Response response, Callback callback) {
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, (long) pieces * pieceSize);
            try {
              for (int i = 0; i < pieces; i++) {
                if (i > 0 && pauseMillis > 0) {
                  Thread.sleep(pauseMillis);
                }
                FutureCallback wrote = new FutureCallback();
                response.write(i == pieces - 1, ByteBuffer.wrap(new byte[pieceSize]), wrote);
                wrote.get(60, TimeUnit.SECONDS);
              }
              written.complete(null);
              callback.succeeded();
            } catch (Exception e) {
              written.complete(e);
              callback.failed(e);
            }
            return true;
          }
        };
    server.setHandler(new SlowReaders(answer, RATE, GRACE, cutOff::incrementAndGet));
    server.start();
    return connector.getLocalPort();
  }

  /** A client with a small receive buffer (so the answer cannot hide in it) that has sent its request. */
  private static Socket client(int port) throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096);
    socket.connect(new InetSocketAddress("127.0.0.1", port));
    socket.setSoTimeout(30_000);
    socket.getOutputStream().write("GET /answer HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    return socket;
  }

  /** Reads the answer to its end (or the connection's), {@code chunk} bytes at a time with {@code pauseMillis} between reads. */
  private static byte[] read(Socket socket, int chunk, long pauseMillis) throws Exception {
    return read(socket, chunk, pauseMillis, () -> true);
  }

  /** As {@link #read(Socket, int, long)}, pausing only while {@code slow} holds. */
  private static byte[] read(Socket socket, int chunk, long pauseMillis, java.util.function.BooleanSupplier slow) throws Exception {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[chunk];
    int n;
    while ((n = in.read(buffer)) >= 0) {
      all.write(buffer, 0, n);
      if (pauseMillis > 0 && slow.getAsBoolean()) {
        Thread.sleep(pauseMillis);
      }
    }
    return all.toByteArray();
  }

  private static int bodyLength(byte[] answer) {
    String text = new String(answer, StandardCharsets.ISO_8859_1);
    int head = text.indexOf("\r\n\r\n");
    assertThat(head).as("an answer's head").isPositive();
    return answer.length - head - 4;
  }

  @Test
  void aClientThatStopsReadingIsCutOffAndTheWritingThreadIsFree() throws Exception {
    int port = start(1, 8 * 1024 * 1024, 0); // one write of 8 MiB, as a model answer goes
    try (Socket socket = client(port)) {
      Throwable failure = written.get(15, TimeUnit.SECONDS); // well within the 30 s idle timeout
      assertThat(failure).as("the write failed rather than waited on").isNotNull();
      assertThat(cutOff).hasValue(1);
      assertThat(bodyLength(read(socket, 64 * 1024, 0))).as("the connection ended before the answer did").isLessThan(8 * 1024 * 1024);
    }
  }

  @Test
  void aClientTakingAFewBytesAtATimeIsCutOffThoughItNeverIdles() throws Exception {
    int port = start(1, 4 * 1024 * 1024, 0);
    try (Socket socket = client(port)) {
      CompletableFuture<byte[]> trickle =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  // About 10 KiB/s, never idle, far under the rate; once cut off, what the socket's
                  // buffers still hold is read at once.
                  return read(socket, 512, 50, () -> !written.isDone());
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      Throwable failure = written.get(15, TimeUnit.SECONDS);
      assertThat(failure).isNotNull();
      assertThat(cutOff).hasValue(1);
      assertThat(bodyLength(trickle.get(30, TimeUnit.SECONDS))).isLessThan(4 * 1024 * 1024);
    }
  }

  @Test
  void aClientReadingAtItsOwnPaceAboveTheRateGetsTheWholeAnswer() throws Exception {
    int port = start(1, 1024 * 1024, 0);
    try (Socket socket = client(port)) {
      // A read every 10 ms, each of at most 4 KiB (the receive buffer): at most 400 KiB/s, slower
      // than the server writes, so its writes wait, but well above 64 KiB/s. About 3 s in all,
      // more than ten times the grace.
      assertThat(bodyLength(read(socket, 4096, 10))).isEqualTo(1024 * 1024);
      assertThat(written.get(5, TimeUnit.SECONDS)).isNull();
      assertThat(cutOff).hasValue(0);
    }
  }

  @Test
  void aServerThatWritesNowAndThenIsNotCountedAgainstItsClient() throws Exception {
    // A stream: 30 small writes 100 ms apart, 3 s in all, with nothing waiting for the client.
    int port = start(30, 100, 100);
    try (Socket socket = client(port)) {
      assertThat(bodyLength(read(socket, 4096, 0))).isEqualTo(3_000);
      assertThat(written.get(5, TimeUnit.SECONDS)).isNull();
      assertThat(cutOff).hasValue(0);
    }
  }
}
