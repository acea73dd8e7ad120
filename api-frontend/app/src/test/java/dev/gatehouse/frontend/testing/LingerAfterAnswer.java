package dev.gatehouse.frontend.testing;

import io.dropwizard.core.setup.Environment;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.CountDownLatch;

/**
 * A filter of the tests' own, in front of what Gatehouse serves ({@link TestGatehouse#start(
 * java.util.function.Consumer, java.util.function.Consumer)}): a request sent with {@link #HEADER}
 * pauses {@link #PAUSE} after each write of its answer's body has returned, before its request
 * ends. An answer with a Content-Length is wholly out when its last write returns, so a test can
 * see what the server still holds for a request whose client already has its answer (a direct
 * call's admission slot). One request at a time: {@link #reset} before each.
 */
public final class LingerAfterAnswer implements Filter {
  public static final String HEADER = "X-Test-Linger";
  public static final Duration PAUSE = Duration.ofMillis(800);
  private volatile CountDownLatch lingering = new CountDownLatch(1);
  private volatile CountDownLatch ended = new CountDownLatch(1);

  /** Puts this filter in front of {@code paths} of {@code env}'s application. */
  public LingerAfterAnswer install(Environment env, String... paths) {
    env.servlets().addFilter("test-linger", this).addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, paths);
    return this;
  }

  public void reset() {
    lingering = new CountDownLatch(1);
    ended = new CountDownLatch(1);
  }

  /** Counted down when the request's first write has returned and its pause begins. */
  public CountDownLatch lingering() {
    return lingering;
  }

  /** Counted down when the request has ended (its servlet and every filter after this one returned). */
  public CountDownLatch ended() {
    return ended;
  }

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain) throws IOException, ServletException {
    if (((HttpServletRequest) request).getHeader(HEADER) == null) {
      chain.doFilter(request, response);
      return;
    }
    CountDownLatch pausing = lingering;
    CountDownLatch done = ended;
    try {
      chain.doFilter(
          request,
          new HttpServletResponseWrapper((HttpServletResponse) response) {
            private ServletOutputStream pausingOut;

            @Override
            public ServletOutputStream getOutputStream() throws IOException {
              if (pausingOut == null) {
                pausingOut = pausing(super.getOutputStream(), pausing);
              }
              return pausingOut;
            }
          });
    } finally {
      done.countDown();
    }
  }

  private static ServletOutputStream pausing(ServletOutputStream out, CountDownLatch pausing) {
    return new ServletOutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        pausing.countDown();
        try {
          Thread.sleep(PAUSE.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }

      @Override
      public void flush() throws IOException {
        out.flush();
      }

      @Override
      public boolean isReady() {
        return out.isReady();
      }

      @Override
      public void setWriteListener(WriteListener listener) {
        out.setWriteListener(listener);
      }
    };
  }
}
