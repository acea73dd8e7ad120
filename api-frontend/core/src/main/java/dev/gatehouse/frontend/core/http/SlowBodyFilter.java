package dev.gatehouse.frontend.core.http;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UnsupportedEncodingException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.eclipse.jetty.http.BadMessageException;

/**
 * Cuts off a request body that comes slower than {@code limits.minRequestBodyRate}: without a
 * floor, a client sending a body a byte at a time, each within the idle timeout, holds a request
 * thread as long as it likes. The read that finds the body behind fails with Jetty's 408 {@code
 * BadMessageException}, which every face answers as {@code request_timeout}.
 *
 * <p>Only the time a read waited for the client counts: a body is behind when, after more than
 * {@link #GRACE} of such waiting, fewer bytes have come than the rate times that waiting less the
 * grace. Jetty's own {@code minRequestDataRate} (what this replaces) counts every moment since the
 * body's first byte, so a small body that had wholly arrived failed with 408 when the server was
 * slow to read its end: a 44-byte body read 43 ms after its first byte, under load or across a
 * collection pause, failed at 1 KiB/s.
 */
public final class SlowBodyFilter implements Filter {
  /** How long reads may wait for the client before the rate applies. */
  public static final Duration GRACE = Duration.ofSeconds(2);

  private final long bytesPerSecond;
  private final long graceNanos;

  public SlowBodyFilter(long bytesPerSecond) {
    this(bytesPerSecond, GRACE);
  }

  SlowBodyFilter(long bytesPerSecond, Duration grace) {
    if (bytesPerSecond <= 0) {
      throw new IllegalArgumentException("a rate of at least one byte a second");
    }
    this.bytesPerSecond = bytesPerSecond;
    this.graceNanos = grace.toNanos();
  }

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    if (request instanceof HttpServletRequest http
        && (http.getContentLengthLong() > 0 || http.getHeader("Transfer-Encoding") != null)) {
      chain.doFilter(new Metered(http), response);
    } else {
      chain.doFilter(request, response);
    }
  }

  /** The request, its body read through {@link MeteredStream}. */
  private final class Metered extends HttpServletRequestWrapper {
    private MeteredStream in;
    private BufferedReader reader;

    Metered(HttpServletRequest request) {
      super(request);
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
      if (reader != null) {
        throw new IllegalStateException("the body is being read as characters");
      }
      if (in == null) {
        in = new MeteredStream(super.getInputStream());
      }
      return in;
    }

    @Override
    public BufferedReader getReader() throws IOException {
      if (reader == null) {
        if (in != null) {
          throw new IllegalStateException("the body is being read as bytes");
        }
        Charset charset;
        String name = getCharacterEncoding();
        try {
          charset = name == null ? StandardCharsets.UTF_8 : Charset.forName(name);
        } catch (IllegalArgumentException e) {
          throw new UnsupportedEncodingException("unsupported charset");
        }
        reader = new BufferedReader(new InputStreamReader(new MeteredStream(super.getInputStream()), charset));
      }
      return reader;
    }
  }

  /** The body's stream, timing each read. */
  private final class MeteredStream extends ServletInputStream {
    private final ServletInputStream in;
    private long waitedNanos;
    private long bytes;

    MeteredStream(ServletInputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      long start = System.nanoTime();
      int b = in.read();
      came(start, b < 0 ? -1 : 1);
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      long start = System.nanoTime();
      int n = in.read(buffer, offset, length);
      came(start, n);
      return n;
    }

    private void came(long start, int n) {
      waitedNanos += System.nanoTime() - start;
      if (n <= 0) {
        return;
      }
      bytes += n;
      long behindMillis = (waitedNanos - graceNanos) / 1_000_000;
      if (behindMillis > 0 && bytes < behindMillis * bytesPerSecond / 1_000) {
        throw new BadMessageException(408, "request body slower than " + bytesPerSecond + " bytes/s");
      }
    }

    @Override
    public int available() throws IOException {
      return in.available();
    }

    @Override
    public boolean isFinished() {
      return in.isFinished();
    }

    @Override
    public boolean isReady() {
      return in.isReady();
    }

    @Override
    public void setReadListener(ReadListener listener) {
      in.setReadListener(listener);
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
