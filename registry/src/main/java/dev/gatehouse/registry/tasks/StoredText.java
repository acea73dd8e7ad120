package dev.gatehouse.registry.tasks;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * How {@code task_results} keeps text: UTF-8, gzip-compressed. Bytes, not a text column, so a
 * result holding a NUL character (which PostgreSQL text cannot) is kept as it is; a lone
 * surrogate, which is not Unicode text, becomes {@code ?} (as UTF-8 encoding replaces it).
 */
public final class StoredText {
  /** The most bytes of a text's UTF-8 one character takes (a surrogate pair: four for two). */
  private static final int MAX_BYTES_PER_CHAR = 3;

  private StoredText() {}

  public static byte[] encode(String text) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(Math.max(64, text.length() / 4));
    try (Writer out = new OutputStreamWriter(new GZIPOutputStream(bytes), StandardCharsets.UTF_8)) {
      out.write(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** All the text {@code encoded} holds. */
  public static String decode(byte[] encoded) {
    return read(encoded, Integer.MAX_VALUE, false);
  }

  /**
   * At most the first {@code maxChars} characters of the text whose encoding starts with {@code
   * start}: the first {@link #startBytes startBytes(maxChars)} bytes of an {@link #encode}d text
   * (or all of them, when it has fewer) hold them. A cut never leaves half a surrogate pair.
   */
  public static String decodeStart(byte[] start, int maxChars) {
    return read(start, maxChars, true);
  }

  /**
   * How many bytes at the start of an encoded text hold its first {@code chars} characters: the
   * UTF-8 of that many characters, the gzip header, and the headers of deflate's blocks (deflate
   * never makes a block larger than the bytes it holds and a few).
   */
  public static int startBytes(int chars) {
    long bytes = (long) MAX_BYTES_PER_CHAR * chars + 1024 + ((long) MAX_BYTES_PER_CHAR * chars / 16_384 + 1) * 8;
    return (int) Math.min(Integer.MAX_VALUE - 8, bytes);
  }

  private static String read(byte[] encoded, int maxChars, boolean mayEndEarly) {
    long wanted = maxChars == Integer.MAX_VALUE ? Long.MAX_VALUE : (long) MAX_BYTES_PER_CHAR * maxChars + MAX_BYTES_PER_CHAR;
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    boolean whole = false;
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(encoded))) {
      byte[] buffer = new byte[8192];
      while (raw.size() < wanted) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, wanted - raw.size()));
        if (n < 0) {
          whole = true;
          break;
        }
        raw.write(buffer, 0, n);
      }
    } catch (EOFException e) {
      if (!mayEndEarly) {
        throw new UncheckedIOException(e);
      }
      // The bytes ended inside the compressed stream: what they held is the text's start.
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    byte[] bytes = raw.toByteArray();
    CharsetDecoder decoder =
        StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    CharBuffer chars = CharBuffer.allocate(bytes.length);
    // Unless the text was read whole, a character cut at the end of the bytes is left undecoded.
    decoder.decode(ByteBuffer.wrap(bytes), chars, whole);
    if (whole) {
      decoder.flush(chars);
    }
    chars.flip();
    String text = chars.toString();
    if (text.length() <= maxChars) {
      return text;
    }
    int end = Character.isHighSurrogate(text.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
    return text.substring(0, end);
  }
}
