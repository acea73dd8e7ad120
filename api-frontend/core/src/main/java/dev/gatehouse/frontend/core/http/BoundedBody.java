package dev.gatehouse.frontend.core.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/** Reading a request body without ever holding more than a limit of it. */
public final class BoundedBody {
  private BoundedBody() {}

  /** The whole body, or null when it is longer than {@code max} bytes (what was read is dropped). */
  public static byte[] read(InputStream in, long max) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    long total = 0;
    int n;
    while ((n = in.read(buf)) > 0) {
      total += n;
      if (total > max) {
        return null;
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  /**
   * As {@link #read(InputStream, long)}, for a body whose declared length ({@code Content-Length},
   * -1 when unknown) is {@code declared}: a body that fits is read into an array of its size (no
   * 8 KiB buffer and copies per request). What comes after the declared length (a body Jetty
   * inflated from gzip is longer than its Content-Length) is read as well, within {@code max}.
   */
  public static byte[] read(InputStream in, long max, long declared) throws IOException {
    if (declared <= 0 || declared > max) {
      return read(in, max);
    }
    byte[] body = in.readNBytes((int) declared);
    if (body.length < declared) {
      return body;
    }
    int next = in.read();
    if (next < 0) {
      return body;
    }
    if (body.length >= max) {
      return null;
    }
    byte[] rest = read(in, max - body.length - 1);
    if (rest == null) {
      return null;
    }
    byte[] all = java.util.Arrays.copyOf(body, body.length + 1 + rest.length);
    all[body.length] = (byte) next;
    System.arraycopy(rest, 0, all, body.length + 1, rest.length);
    return all;
  }

  /**
   * What a refusal with HTTP {@code status} does with what is left of the body before it is
   * written: {@link #drain} it, so the keep-alive connection stays usable, unless the refusal is
   * that the body did not come (408 {@code request_timeout}): the connection's idle timeout ran
   * out on a read already, or the body came slower than the minimum rate, and another read would
   * only wait as long again. Jetty closes that connection.
   */
  public static void drainBefore(int status, InputStream in, long max) {
    if (status != 408) {
      drain(in, max);
    }
  }

  /**
   * Reads and drops what is left of a refused body, up to {@code max} bytes, so a client that is
   * still sending sees the error answer instead of a reset connection; a larger body is left to
   * Jetty, which closes the connection.
   */
  public static void drain(InputStream in, long max) {
    byte[] buf = new byte[8192];
    long left = max;
    try {
      int n;
      while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
        left -= n;
      }
    } catch (IOException | RuntimeException e) {
      // the client went away, or the rest is unreadable (broken chunk, bad gzip): nothing to drain
    }
  }
}
