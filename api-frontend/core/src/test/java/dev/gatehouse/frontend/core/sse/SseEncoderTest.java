package dev.gatehouse.frontend.core.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SseEncoderTest {
  private static String encoded(SseEncoder e) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    e.writeTo(out);
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void textLongerThanTheBufferInEveryWidthOfUtf8IsEncodedAsStringGetBytesWouldBe() throws IOException {
    String text = "a\u00e9\u20ac\ud83d\ude00".repeat(5_000) + " end";
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new SseEncoder().event("7", "delta", text).writeTo(out);
    byte[] expected = ("id: 7\nevent: delta\ndata: " + text + "\n\n").getBytes(StandardCharsets.UTF_8);
    assertThat(out.toByteArray()).isEqualTo(expected);
  }

  /** A provider split an emoji between two events: each half, written alone, reached the client as "?". */
  @Test
  void aLoneSurrogateIsWrittenAsItsJsonEscape() throws IOException {
    String high = "{\"t\":\"A" + (char) 0xD83D + "\"}";
    String low = "{\"t\":\"" + (char) 0xDE00 + "B" + (char) 0xD800 + (char) 0xDC00 + "\"}";
    assertThat(encoded(new SseEncoder().event(null, null, high))).isEqualTo("data: {\"t\":\"A\\ud83d\"}\n\n");
    assertThat(encoded(new SseEncoder().event(null, null, low)))
        .as("a pair stays UTF-8").isEqualTo("data: {\"t\":\"\\ude00B" + new String(Character.toChars(0x10000)) + "\"}\n\n");
    // Long text, the lone half past the first buffer's worth.
    String longer = "\u20ac".repeat(2_000) + (char) 0xDBFF;
    assertThat(encoded(new SseEncoder().event(null, null, longer))).isEqualTo("data: " + "\u20ac".repeat(2_000) + "\\udbff\n\n");
  }

  @Test
  void eachLineOfThePayloadIsItsOwnDataLineAndResetStartsAgain() throws IOException {
    SseEncoder e = new SseEncoder();
    e.event(null, null, "x").comment("ping");
    assertThat(encoded(e)).isEqualTo("data: x\n\n: ping\n\n");
    assertThat(encoded(e.reset().event(null, null, "one\r\ntwo\rthree\nfour"))).isEqualTo("data: one\ndata: two\ndata: three\ndata: four\n\n");
  }

  @Test
  void aFieldWithALineBreakIsRefusedAndNothingIsAppended() throws IOException {
    SseEncoder e = new SseEncoder().event(null, null, "kept");
    assertThatThrownBy(() -> e.event(null, "bad\nname", "x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> e.event("bad\0id", null, "x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> e.comment("a\rb")).isInstanceOf(IllegalArgumentException.class);
    assertThat(encoded(e)).isEqualTo("data: kept\n\n");
  }
}
