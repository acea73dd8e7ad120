package dev.gatehouse.frontend.core.http;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Whether a body is well-formed UTF-8 (RFC 3629), as JSON must be (RFC 8259). Jackson's parser
 * decodes some ill-formed sequences instead of refusing them: an overlong {@code C0 AF} became
 * "/", so two spellings of one name passed as different bodies and one name as two. The JDK's
 * decoder, asked to report, refuses every ill-formed sequence (overlong forms, surrogates, code
 * points past U+10FFFF, truncated sequences). A body of ASCII alone is passed over in one scan.
 */
public final class Utf8 {
  private Utf8() {}

  public static boolean wellFormed(byte[] bytes) {
    return wellFormed(bytes, 0, bytes.length);
  }

  /**
   * Whether a JSON body is UTF-8 that Jackson reads as UTF-8: well-formed, and no NUL among its
   * first four bytes. From NULs there Jackson takes the bytes for UTF-16 or UTF-32 without a
   * byte-order mark and decodes them so, which the UTF-8 check cannot see (NUL is well-formed
   * UTF-8): two readers would disagree about one body. JSON text holds no NUL byte anyway.
   */
  public static boolean json(byte[] bytes) {
    for (int i = 0; i < Math.min(4, bytes.length); i++) {
      if (bytes[i] == 0) {
        return false;
      }
    }
    return wellFormed(bytes);
  }

  public static boolean wellFormed(byte[] bytes, int offset, int length) {
    int end = offset + length;
    int first = offset;
    while (first < end && bytes[first] >= 0) {
      first++;
    }
    if (first == end) {
      return true;
    }
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, first, end - first));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }
}
