package dev.gatehouse.activities.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The SSE parser against the WHATWG EventSource parsing rules, whole and in chunks. */
class SseParserTest {

  /** Collects what a parser hands out. */
  private static final class Collector implements SseParser.Listener {
    final List<SseEvent> events = new ArrayList<>();
    int tooLarge;

    @Override
    public void event(SseEvent event) {
      events.add(event);
    }

    @Override
    public void tooLarge(int maxEventBytes) {
      tooLarge++;
    }
  }

  private static List<SseEvent> parse(String stream) {
    return parse(stream.getBytes(StandardCharsets.UTF_8));
  }

  private static List<SseEvent> parse(byte[] stream) {
    Collector c = new Collector();
    new SseParser(c).feed(stream);
    return c.events;
  }

  private static SseEvent message(String data) {
    return new SseEvent(null, "message", data, null);
  }

  @Test
  void anEventEndsAtABlankLine() {
    Collector c = new Collector();
    SseParser parser = new SseParser(c);
    parser.feed("data: hello\n".getBytes(StandardCharsets.UTF_8));
    assertThat(c.events).isEmpty();
    parser.feed("\n".getBytes(StandardCharsets.UTF_8));
    assertThat(c.events).containsExactly(message("hello"));
  }

  @Test
  void dataLinesAreJoinedWithNewlines() {
    assertThat(parse("data: a\ndata\ndata: b\n\n")).containsExactly(message("a\n\nb"));
    assertThat(parse("data: {\"x\":\ndata: 1}\n\n")).containsExactly(message("{\"x\":\n1}"));
  }

  @Test
  void onlyOneLeadingSpaceIsDropped() {
    assertThat(parse("data:  two\n\ndata:none\n\ndata: a:b \n\n"))
        .containsExactly(message(" two"), message("none"), message("a:b "));
  }

  @Test
  void aFieldWithoutColonHasAnEmptyValue() {
    // "data" alone adds an empty line: the event is dispatched with empty data
    assertThat(parse("data\n\n")).containsExactly(message(""));
    assertThat(parse("data:\n\n")).containsExactly(message(""));
    Collector c = new Collector();
    SseParser parser = new SseParser(c);
    parser.feed("id: 1\n\nid\n\n".getBytes(StandardCharsets.UTF_8));
    assertThat(parser.lastEventId()).isEmpty();
  }

  @Test
  void commentsAndUnknownFieldsAreIgnored() {
    assertThat(parse(": ping\n\n:\n\nfoo: bar\ndata: x\n: inside\nDATA: y\n\n")).containsExactly(message("x"));
  }

  @Test
  void withoutDataThereIsNoEvent() {
    assertThat(parse("event: add\n\nretry: 10\n\n\n\n")).isEmpty();
  }

  @Test
  void eventTypeAppliesToOneEvent() {
    assertThat(parse("event: add\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\n"))
        .containsExactly(
            new SseEvent(null, "add", "1", null), message("2"), message("3"));
  }

  @Test
  void theLastEventIdCarriesOverAndNulIsIgnored() {
    Collector c = new Collector();
    SseParser parser = new SseParser(c);
    parser.feed("id: 1\ndata: a\n\ndata: b\n\nid: x\u0000y\ndata: c\n\nid: 2\n\n".getBytes(StandardCharsets.UTF_8));
    assertThat(c.events)
        .containsExactly(
            new SseEvent("1", "message", "a", null),
            new SseEvent("1", "message", "b", null),
            new SseEvent("1", "message", "c", null));
    assertThat(parser.lastEventId()).as("an event without data still sets the last event id").isEqualTo("2");
  }

  @Test
  void anIdBecomesTheLastEventIdOnlyWhenItsEventIsComplete() {
    Collector c = new Collector();
    SseParser parser = new SseParser(c);
    parser.feed("id: 1\n\nid: 2\ndata: lost".getBytes(StandardCharsets.UTF_8));
    assertThat(parser.lastEventId()).isEqualTo("1");
    parser.reset(); // the stream ended mid-event; a reconnection reads on
    parser.feed("data: next\n\n".getBytes(StandardCharsets.UTF_8));
    assertThat(c.events).containsExactly(new SseEvent("1", "message", "next", null));
  }

  @Test
  void retryTakesAsciiDigitsOnly() {
    Collector c = new Collector();
    SseParser parser = new SseParser(c);
    assertThat(parser.retry()).isNull();
    parser.feed("retry: 300\n\n".getBytes(StandardCharsets.UTF_8));
    assertThat(parser.retry()).isEqualTo(300L);
    for (String bad : List.of("retry: 3a0\n", "retry: -5\n", "retry:\n", "retry: \u0663\n", "retry: 99999999999999999999\n", "retry:  5\n")) {
      parser.feed(bad.getBytes(StandardCharsets.UTF_8));
      assertThat(parser.retry()).as(bad).isEqualTo(300L);
    }
    parser.feed("retry:0\ndata: x\n\n".getBytes(StandardCharsets.UTF_8));
    assertThat(c.events).containsExactly(new SseEvent(null, "message", "x", 0L));
  }

  @Test
  void crLfAndCrlfAllEndLines() {
    assertThat(parse("data: a\rdata: b\r\n\r\ndata: c\n\ndata: d\r\rdata: e\n\r\n"))
        .containsExactly(message("a\nb"), message("c"), message("d"), message("e"));
  }

  @Test
  void oneByteOrderMarkAtTheStartIsSkipped() {
    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    assertThat(parse(concat(bom, utf8("data: x\n\n")))).containsExactly(message("x"));
    // a second one, or one later in the stream, is text: "\uFEFFdata" is not a known field
    assertThat(parse(concat(bom, bom, utf8("data: x\n\n")))).isEmpty();
    assertThat(parse(concat(utf8("data: x\n\n"), bom, utf8("data: y\n\n")))).containsExactly(message("x"));
    // the start of one that is not one is text too
    assertThat(parse(concat(new byte[] {(byte) 0xEF, (byte) 0xBB}, utf8("\ndata: x\n\n")))).containsExactly(message("x"));
    // a reconnection's stream may start with one again
    Collector c = new Collector();
    SseParser parser = new SseParser(c);
    parser.feed(concat(bom, utf8("data: x\n\n")));
    parser.reset();
    parser.feed(concat(bom, utf8("data: y\n\n")));
    assertThat(c.events).containsExactly(message("x"), message("y"));
  }

  @Test
  void textIsUtf8AndMalformedBytesReadAsReplacementCharacters() {
    assertThat(parse("data: héllo € 😀\n\n")).containsExactly(message("héllo € 😀"));
    assertThat(parse(concat(utf8("data: a"), new byte[] {(byte) 0xC3}, utf8("\n\n")))).containsExactly(message("a\uFFFD"));
  }

  @Test
  void anIncompleteEventAtTheEndIsDropped() {
    Collector c = new Collector();
    SseParser parser = new SseParser(c);
    parser.feed(utf8("data: a\n\ndata: b\n"));
    parser.reset();
    parser.feed(utf8("\n"));
    assertThat(c.events).containsExactly(message("a"));
  }

  @Test
  void anEventOverTheLimitIsDroppedAndTheNextOneRead() {
    Collector c = new Collector();
    SseParser parser = new SseParser(16, c);
    parser.feed(utf8("data: 0123456789\n\n")); // exactly 16 bytes of lines
    parser.feed(utf8("id: 1\ndata: 0123456789abcdef\ndata: more\nid: 2\n\n")); // one line over
    parser.feed(utf8("data: 01234\ndata: 56789\n\n")); // 11 + 11 bytes of lines
    parser.feed(utf8(": a comment longer than sixteen bytes is not kept\ndata: ok\n\n"));
    assertThat(c.events).containsExactly(message("0123456789"), message("ok"));
    assertThat(c.tooLarge).isEqualTo(2);
    assertThat(parser.lastEventId()).as("the dropped event's ids are dropped with it").isNull();
  }

  @Test
  void theLimitHoldsForLinesGivenAsStrings() {
    Collector c = new Collector();
    SseParser parser = new SseParser(8, c);
    // "data: é" is 8 bytes in UTF-8 (7 characters)
    for (String line : List.of("data: é", "", "data: éx", "data: y", "", "data: z", "")) {
      parser.line(line);
    }
    assertThat(c.events).containsExactly(message("é"), message("z"));
    assertThat(c.tooLarge).isEqualTo(1);
    assertThatThrownBy(() -> new SseParser(0, c)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void linesGivenAsStringsReadAsBytesDo() {
    String stream = "\uFEFFid: 1\nretry: 50\ndata: a\n\n: c\nevent: e\ndata: b\ndata:  c\n\ndata\n\n";
    Collector c = new Collector();
    SseParser parser = new SseParser(c);
    for (String line : stream.split("\n", -1)) {
      parser.line(line);
    }
    assertThat(c.events).isEqualTo(parse(stream));
    assertThat(c.events).hasSize(3).first().isEqualTo(new SseEvent("1", "message", "a", 50L));
  }

  /** The same stream cut at every byte, and at every pair of bytes, gives the same events. */
  @Test
  void chunkBoundariesMayFallAnywhere() {
    byte[] stream =
        concat(
            new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
            utf8(": hello\r\nid: 1\r\nretry: 250\r\ndata: first\r\ndata:  line\r\n\r\n"),
            utf8("event: note\rdata: é€😀\r\rid: two\ndata\ndata: {\"a\": 1}\n\n"),
            utf8("id: x\u0000\ndata: last\r\n\n"));
    Collector whole = new Collector();
    SseParser reference = new SseParser(whole);
    reference.feed(stream);
    assertThat(whole.events)
        .containsExactly(
            new SseEvent("1", "message", "first\n line", 250L),
            new SseEvent("1", "note", "é€😀", 250L),
            new SseEvent("two", "message", "\n{\"a\": 1}", 250L),
            new SseEvent("two", "message", "last", 250L));
    for (int i = 0; i <= stream.length; i++) {
      for (int j = i; j <= stream.length; j++) {
        Collector c = new Collector();
        SseParser parser = new SseParser(c);
        parser.feed(ByteBuffer.wrap(stream, 0, i));
        parser.feed(ByteBuffer.wrap(stream, i, j - i));
        parser.feed(stream, j, stream.length - j);
        assertThat(c.events).as("cut at %d and %d", i, j).isEqualTo(whole.events);
        assertThat(parser.lastEventId()).isEqualTo("two");
      }
    }
    Collector bytewise = new Collector();
    SseParser parser = new SseParser(bytewise);
    for (byte b : stream) {
      parser.feed(new byte[] {b});
    }
    assertThat(bytewise.events).isEqualTo(whole.events);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
