package dev.gatehouse.frontend.core.sse;

import java.io.IOException;
import java.io.Writer;

/**
 * A writer of JSON text that writes a lone UTF-16 surrogate (half of a pair, without the other) as
 * its JSON escape, six ASCII characters, and every other character as it is. In JSON a lone
 * surrogate can only stand inside a string, where the escape means the same to a reader; written as
 * UTF-8 it has no bytes (a servlet's writer wrote three that are not UTF-8, which clients read as
 * replacement characters). A high surrogate that ends one write is held for the next, which may
 * begin with its pair; a flush or close writes it escaped. For what the MCP SDK writes through the
 * response's writer ({@link SseEncoder} does the same for the streams Gatehouse encodes itself).
 * Not thread-safe, as the writer it wraps.
 */
public final class LoneSurrogateEscapes extends Writer {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final Writer out;
  /** A high surrogate that ended the last write, or 0. */
  private char held;

  public LoneSurrogateEscapes(Writer out) {
    super(out);
    this.out = out;
  }

  @Override
  public void write(char[] cbuf, int off, int len) throws IOException {
    int end = off + len;
    int from = off;
    if (held != 0 && len > 0) {
      if (Character.isLowSurrogate(cbuf[off])) {
        out.write(new char[] {held, cbuf[off]});
        from++;
      } else {
        escape(held);
      }
      held = 0;
    }
    for (int i = from; i < end; i++) {
      char c = cbuf[i];
      if (!Character.isSurrogate(c)) {
        continue;
      }
      if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(cbuf[i + 1])) {
        i++; // a pair: written as it is
        continue;
      }
      out.write(cbuf, from, i - from);
      from = i + 1;
      if (Character.isHighSurrogate(c) && i + 1 == end) {
        held = c; // the last character: its pair may begin the next write
      } else {
        escape(c);
      }
    }
    out.write(cbuf, from, end - from);
  }

  @Override
  public void flush() throws IOException {
    release();
    out.flush();
  }

  @Override
  public void close() throws IOException {
    release();
    out.close();
  }

  private void release() throws IOException {
    if (held != 0) {
      escape(held);
      held = 0;
    }
  }

  private void escape(char c) throws IOException {
    out.write(escaped(c));
  }

  /** {@code c} as the six ASCII characters of its JSON escape. */
  static char[] escaped(char c) {
    return new char[] {'\\', 'u', HEX[(c >> 12) & 0xF], HEX[(c >> 8) & 0xF], HEX[(c >> 4) & 0xF], HEX[c & 0xF]};
  }
}
