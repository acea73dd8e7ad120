package dev.gatehouse.activities.sse;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * An incremental parser of a {@code text/event-stream} body (Server-Sent Events), by the WHATWG
 * HTML standard's rules for EventSource. It knows only the stream format, nothing of what the
 * events carry, so any client of an SSE API can use it.
 *
 * <p>Feed it the body's bytes in whatever chunks they arrive ({@link #feed(ByteBuffer)}), or lines
 * some reader already split ({@link #line(String)}); each event goes to the listener as soon as
 * the blank line that ends it is read. As the standard says: lines end with CR, LF or CRLF (a CRLF
 * split between two chunks is still one line end); one byte order mark at the start of the stream
 * is skipped; a line starting with {@code :} is a comment; a line without a colon is a field name
 * with an empty value; one space after the colon is not part of the value; the fields are {@code
 * data} (lines joined with {@code \n}), {@code event}, {@code id} (ignored when it contains NUL)
 * and {@code retry} (ASCII digits only); an event without data is not dispatched, but its id
 * still becomes the last event id; text is UTF-8, malformed bytes read as U+FFFD.
 *
 * <p>It never holds more than {@code maxEventBytes} of one event (its lines together, comments
 * aside), so a server cannot make it buffer without limit: an event that goes over is dropped up
 * to the blank line that ends it, and the listener is told.
 *
 * <p>Not thread-safe: feed it from one thread at a time. {@link #lastEventId()} and {@link
 * #retry()} may be read from any thread.
 */
public final class SseParser {
  /**
   * The default limit: generous, since one event may carry a whole answer (an MCP tool result
   * with an image in it), yet bounded.
   */
  public static final int DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;

  private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
  /** Buffers that grew past this for one big event are let go once it is done. */
  private static final int KEEP_CAPACITY = 64 * 1024;

  /** Where the events go. */
  public interface Listener {
    void event(SseEvent event);

    /** An event went over {@code maxEventBytes}: it is dropped, up to the blank line that ends it. */
    void tooLarge(int maxEventBytes);
  }

  private final int maxEventBytes;
  private final Listener listener;

  private byte[] line = new byte[256];
  private int lineLength;
  /** The rest of the current line is not kept: a comment, or a line of a dropped event. */
  private boolean skippingLine;
  private boolean afterCr;
  /** Bytes of a byte order mark matched at the stream's start so far; -1 once past the start. */
  private int bomMatched;
  /** Bytes of the current event's lines read so far (comments aside). */
  private int eventBytes;
  /** The current event went over the limit: its lines are skipped up to the blank line. */
  private boolean dropping;
  /** The current event's data lines, joined with LF, once it has more than one. */
  private final StringBuilder data = new StringBuilder();
  /** Whether the current event has a data line (an empty one counts). */
  private boolean hasData;
  /** The current event's one data line, while it has only one. */
  private String singleData;
  private String eventType = "";
  private String idBuffer;
  private volatile String lastEventId;
  private volatile Long retry;

  public SseParser(Listener listener) {
    this(DEFAULT_MAX_EVENT_BYTES, listener);
  }

  public SseParser(int maxEventBytes, Listener listener) {
    if (maxEventBytes < 1) {
      throw new IllegalArgumentException("maxEventBytes must be positive");
    }
    this.maxEventBytes = maxEventBytes;
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /** The last event id (of the last event dispatched, with or without data); null if none. */
  public String lastEventId() {
    return lastEventId;
  }

  /** The reconnection delay in milliseconds the stream set last; null if none. */
  public Long retry() {
    return retry;
  }

  /**
   * The stream ended, or a new one (a reconnection) begins: a line or event not yet complete is
   * dropped (as the standard drops it at the end of the stream), and a byte order mark is
   * expected again. The last event id and the reconnection delay are kept.
   */
  public void reset() {
    lineLength = 0;
    skippingLine = false;
    afterCr = false;
    bomMatched = 0;
    eventBytes = 0;
    dropping = false;
    clearEvent();
    idBuffer = lastEventId;
  }

  /** Reads all of {@code bytes} (position to limit). */
  public void feed(ByteBuffer bytes) {
    while (bytes.hasRemaining()) {
      next(bytes.get());
    }
  }

  public void feed(byte[] bytes, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, bytes.length);
    int end = offset + length;
    int i = offset;
    while (i < end) {
      if (lineLength == 0 || bomMatched >= 0 || skippingLine || afterCr) {
        next(bytes[i++]); // a line's first byte, and every state but the middle of a kept line, byte by byte
        continue;
      }
      // The middle of a line that is kept: its bytes up to the line end in one copy, when they fit the limit.
      int j = i;
      while (j < end && bytes[j] != '\n' && bytes[j] != '\r') {
        j++;
      }
      int n = j - i;
      if ((long) eventBytes + lineLength + n > maxEventBytes) {
        next(bytes[i++]); // near the limit: byte by byte, which drops the event where the limit says
        continue;
      }
      if (lineLength + n > line.length) {
        line = java.util.Arrays.copyOf(line, Math.max(lineLength + n, (int) Math.min((long) line.length * 2, maxEventBytes)));
      }
      System.arraycopy(bytes, i, line, lineLength, n);
      lineLength += n;
      i = j;
      if (i < end) {
        next(bytes[i++]); // the line end
      }
    }
  }

  public void feed(byte[] bytes) {
    feed(bytes, 0, bytes.length);
  }

  /**
   * Reads one line that a line reader already split (without its line end). Not to be mixed with
   * {@link #feed} within one stream.
   */
  public void line(String text) {
    if (bomMatched >= 0) {
      bomMatched = -1;
      if (text.startsWith("\uFEFF")) {
        text = text.substring(1);
      }
    }
    if (text.isEmpty()) {
      dispatch();
      return;
    }
    if (dropping || text.charAt(0) == ':') {
      return;
    }
    int bytes = utf8Length(text);
    if (eventBytes + bytes > maxEventBytes) {
      drop();
      return;
    }
    eventBytes += bytes;
    field(text);
  }

  private void next(byte b) {
    if (bomMatched >= 0) {
      if (b == BOM[bomMatched]) {
        if (++bomMatched == BOM.length) {
          bomMatched = -1;
        }
        return;
      }
      int matched = bomMatched;
      bomMatched = -1;
      for (int i = 0; i < matched; i++) {
        next(BOM[i]); // not a byte order mark after all: those bytes are text
      }
    }
    if (b == '\r') {
      endLine();
      afterCr = true;
      return;
    }
    if (b == '\n') {
      if (afterCr) {
        afterCr = false; // the second half of a CRLF
      } else {
        endLine();
      }
      return;
    }
    afterCr = false;
    if (skippingLine) {
      return;
    }
    if (lineLength == 0 && (b == ':' || dropping)) {
      skippingLine = true; // a comment is never buffered, nor a line of a dropped event
      return;
    }
    if (eventBytes + lineLength >= maxEventBytes) {
      skippingLine = true;
      drop();
      return;
    }
    if (lineLength == line.length) {
      line = java.util.Arrays.copyOf(line, (int) Math.min((long) line.length * 2, maxEventBytes));
    }
    line[lineLength++] = b;
  }

  private void endLine() {
    if (skippingLine) {
      skippingLine = false;
      return;
    }
    if (lineLength == 0) {
      dispatch();
      return;
    }
    eventBytes += lineLength;
    if (isDataLine()) {
      // The usual line: its value decoded once, with no field name or whole line made.
      int from = lineLength > 5 && line[5] == ' ' ? 6 : 5;
      String value = new String(line, from, lineLength - from, StandardCharsets.UTF_8);
      endOfLine();
      data(value);
      return;
    }
    String text = new String(line, 0, lineLength, StandardCharsets.UTF_8);
    endOfLine();
    field(text);
  }

  private boolean isDataLine() {
    return lineLength >= 5 && line[0] == 'd' && line[1] == 'a' && line[2] == 't' && line[3] == 'a' && line[4] == ':';
  }

  private void endOfLine() {
    lineLength = 0;
    if (line.length > KEEP_CAPACITY) {
      line = new byte[256];
    }
  }

  /** A data line: an event of one line (the usual) keeps its value as it is; more are joined with LF. */
  private void data(String value) {
    if (!hasData) {
      hasData = true;
      singleData = value;
      return;
    }
    if (singleData != null) {
      data.append(singleData);
      singleData = null;
    }
    data.append('\n').append(value);
  }

  private void field(String text) {
    int colon = text.indexOf(':');
    String name = colon < 0 ? text : text.substring(0, colon);
    String value = colon < 0 ? "" : text.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    switch (name) {
      case "data" -> data(value);
      case "event" -> eventType = value;
      case "id" -> {
        if (value.indexOf('\0') < 0) {
          idBuffer = value;
        }
      }
      case "retry" -> {
        if (!value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
          try {
            retry = Long.parseLong(value);
          } catch (NumberFormatException tooLarge) {
            // keep the delay set before
          }
        }
      }
      default -> {} // unknown fields are ignored
    }
  }

  /** A blank line: the event is complete. */
  private void dispatch() {
    eventBytes = 0;
    if (dropping) {
      dropping = false;
      clearEvent();
      return;
    }
    lastEventId = idBuffer;
    if (!hasData) {
      clearEvent();
      return;
    }
    String text = singleData != null ? singleData : data.toString();
    String type = eventType.isEmpty() ? "message" : eventType;
    clearEvent();
    listener.event(new SseEvent(lastEventId, type, text, retry));
  }

  private void drop() {
    dropping = true;
    lineLength = 0;
    clearEvent();
    idBuffer = lastEventId; // an id read before the event went over goes with it
    listener.tooLarge(maxEventBytes);
  }

  private void clearEvent() {
    hasData = false;
    singleData = null;
    if (data.capacity() > KEEP_CAPACITY) {
      data.setLength(0);
      data.trimToSize();
    } else {
      data.setLength(0);
    }
    eventType = "";
  }

  private static int utf8Length(String text) {
    return (int) utf8Length(text, Long.MAX_VALUE);
  }

  /**
   * The length of {@code text} in UTF-8 (a surrogate pair 4 bytes, a lone surrogate 3), counted
   * only until it passes {@code stopAbove}: then some value above it.
   */
  public static long utf8Length(CharSequence text, long stopAbove) {
    long bytes = 0;
    for (int i = 0; i < text.length() && bytes <= stopAbove; i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes++;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }
}
