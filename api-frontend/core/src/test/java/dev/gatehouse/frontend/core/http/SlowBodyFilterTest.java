package dev.gatehouse.frontend.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.http.HttpServletRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.http.BadMessageException;
import org.junit.jupiter.api.Test;

/**
 * The floor on how fast a body comes counts only the time reads wait for the client (the
 * end-to-end cut-off of a trickled body, and a paused one that is served: ProtocolRefusalsTest).
 */
class SlowBodyFilterTest {
  private static final long KIB = 1024;

  /** A body whose reads each wait {@code waitMillis} for the client, then give {@code perRead} bytes; {@code total} in all. */
  private static ServletInputStream client(int total, int perRead, long waitMillis) {
    return new ServletInputStream() {
      private int sent;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0];
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (sent >= total) {
          return -1;
        }
        pause(waitMillis);
        int n = Math.min(Math.min(len, perRead), total - sent);
        java.util.Arrays.fill(b, off, off + n, (byte) 'x');
        sent += n;
        return n;
      }

      @Override
      public boolean isFinished() {
        return sent >= total;
      }

      @Override
      public boolean isReady() {
        return true;
      }

      @Override
      public void setReadListener(ReadListener listener) {}
    };
  }

  /** The body's stream as a handler behind the filter gets it. */
  private static InputStream throughFilter(ServletInputStream body, long bytesPerSecond, Duration grace) throws Exception {
    HttpServletRequest request =
        (HttpServletRequest)
            Proxy.newProxyInstance(
                SlowBodyFilterTest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class},
                (proxy, method, args) ->
                    switch (method.getName()) {
                      case "getContentLengthLong" -> 1_000_000L;
                      case "getInputStream" -> body;
                      default -> null;
                    });
    AtomicReference<ServletRequest> seen = new AtomicReference<>();
    new SlowBodyFilter(bytesPerSecond, grace).doFilter(request, null, (req, res) -> seen.set(req));
    return seen.get().getInputStream();
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void aBodyTrickledSlowerThanTheRateIsCutOffOnceTheGraceIsSpent() throws Exception {
    // A byte per 50 ms (20 B/s) against 1 KiB/s, after 200 ms of waiting.
    InputStream in = throughFilter(client(1_000, 1, 50), KIB, Duration.ofMillis(200));
    long started = System.nanoTime();

    assertThatThrownBy(() -> in.readAllBytes())
        .isInstanceOf(BadMessageException.class)
        .satisfies(e -> assertThat(((BadMessageException) e).getCode()).isEqualTo(408));

    assertThat(Duration.ofNanos(System.nanoTime() - started)).as("cut off, not read to its end").isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void aBodyThatArrivedIsNotCutOffHoweverSlowlyTheServerReadsIt() throws Exception {
    // Every byte is there (reads do not wait); the handler takes 300 ms between reads, over a grace
    // of 100 ms: measured from the first byte, as Jetty's own floor is, this is 44 bytes in 900 ms.
    InputStream in = throughFilter(client(44, 11, 0), KIB, Duration.ofMillis(100));
    ByteArrayOutputStream read = new ByteArrayOutputStream();
    byte[] buffer = new byte[64];
    int n;
    while ((n = in.read(buffer)) >= 0) {
      read.write(buffer, 0, n);
      pause(300);
    }
    assertThat(read.size()).isEqualTo(44);
  }

  @Test
  void aBodyFasterThanTheRateIsReadWhole() throws Exception {
    // 4,000 bytes per 20 ms wait (about 200 KB/s, 1 KiB/s the floor): far above it however long a sleep overshoots.
    InputStream in = throughFilter(client(100_000, 4_000, 20), KIB, Duration.ofMillis(100));
    assertThat(in.readAllBytes()).hasSize(100_000);
  }

  @Test
  void aRequestWithoutABodyIsPassedOnAsItIs() throws Exception {
    HttpServletRequest request =
        (HttpServletRequest)
            Proxy.newProxyInstance(
                SlowBodyFilterTest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class},
                (proxy, method, args) -> method.getName().equals("getContentLengthLong") ? -1L : null);
    AtomicReference<ServletRequest> seen = new AtomicReference<>();
    new SlowBodyFilter(KIB).doFilter(request, null, (req, res) -> seen.set(req));
    assertThat(seen.get()).isSameAs(request);
  }
}
