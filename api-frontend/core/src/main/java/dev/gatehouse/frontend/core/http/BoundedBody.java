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
