package dev.gatehouse.frontend.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Utf8Test {
  private static byte[] bytes(int... b) {
    byte[] out = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = (byte) b[i];
    }
    return out;
  }

  @Test
  void wellFormedTextPasses() {
    assertThat(Utf8.wellFormed("{\"a\":\"plain\"}".getBytes(StandardCharsets.UTF_8))).isTrue();
    assertThat(Utf8.wellFormed("Åsa, 東京, 😀".getBytes(StandardCharsets.UTF_8))).isTrue();
    assertThat(Utf8.wellFormed(new byte[0])).isTrue();
    assertThat(Utf8.wellFormed(bytes(0xF4, 0x8F, 0xBF, 0xBF))).as("U+10FFFF").isTrue();
  }

  /** Jackson reads a body with NULs in its first bytes as UTF-16 or UTF-32: such a body is not UTF-8 JSON. */
  @Test
  void aJsonBodyInUtf16OrUtf32WithoutAByteOrderMarkIsRefused() {
    String body = "{\"workflow\":\"pipeline\"}";
    assertThat(Utf8.json(body.getBytes(StandardCharsets.UTF_8))).isTrue();
    assertThat(Utf8.json(body.getBytes(StandardCharsets.UTF_16LE))).isFalse();
    assertThat(Utf8.json(body.getBytes(StandardCharsets.UTF_16BE))).isFalse();
    assertThat(Utf8.json(body.getBytes(java.nio.charset.Charset.forName("UTF-32LE")))).isFalse();
    assertThat(Utf8.wellFormed(body.getBytes(StandardCharsets.UTF_16LE))).as("NUL is well-formed UTF-8").isTrue();
    assertThat(Utf8.json(bytes(0x31))).as("a body shorter than four bytes").isTrue();
  }

  @Test
  void illFormedSequencesAreRefused() {
    assertThat(Utf8.wellFormed(bytes(0xC0, 0xAF))).as("overlong /").isFalse();
    assertThat(Utf8.wellFormed(bytes(0xC0, 0x80))).as("overlong NUL").isFalse();
    assertThat(Utf8.wellFormed(bytes(0xC1, 0xBF))).as("overlong DEL").isFalse();
    assertThat(Utf8.wellFormed(bytes(0xE0, 0x80, 0xAF))).as("three-byte overlong").isFalse();
    assertThat(Utf8.wellFormed(bytes(0xF0, 0x80, 0x80, 0xAF))).as("four-byte overlong").isFalse();
    assertThat(Utf8.wellFormed(bytes(0xED, 0xA0, 0x80))).as("a surrogate").isFalse();
    assertThat(Utf8.wellFormed(bytes(0xF4, 0x90, 0x80, 0x80))).as("past U+10FFFF").isFalse();
    assertThat(Utf8.wellFormed(bytes(0xFF))).isFalse();
    assertThat(Utf8.wellFormed(bytes(0x61, 0xE2, 0x82))).as("truncated at the end").isFalse();
    assertThat(Utf8.wellFormed(bytes(0x80))).as("a lone continuation byte").isFalse();
  }

  @Test
  void onlyTheGivenRangeIsRead() {
    byte[] b = bytes(0xFF, 0x61, 0x62, 0xFF);
    assertThat(Utf8.wellFormed(b, 1, 2)).isTrue();
    assertThat(Utf8.wellFormed(b, 0, 2)).isFalse();
  }
}
