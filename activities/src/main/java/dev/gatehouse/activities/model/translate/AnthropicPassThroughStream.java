package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.StreamSink;
import dev.gatehouse.activities.sse.SseEvent;
import java.io.IOException;

/**
 * Anthropic to Anthropic: each event goes on as the provider sent it, under its type as the event
 * name; the stream is only tapped. Thinking counts in the relayed text: it is output the provider
 * bills.
 */
final class AnthropicPassThroughStream extends StreamTap {
  private final AnthropicEvents events = new AnthropicEvents();

  AnthropicPassThroughStream() {
    super(Dialect.ANTHROPIC);
  }

  @Override
  public void accept(SseEvent upstream, StreamSink out) throws IOException {
    if (complete) {
      return; // nothing follows message_stop (a provider that sends more in the same read)
    }
    ObjectNode data = parse(upstream);
    String type = AnthropicEvents.type(upstream, data);
    checkAnthropicError(type, data);
    events.tap(type, data);
    usage = events.usage();
    usageFinal = events.usageFinal();
    relay(AnthropicEvents.deltaText(type, data));
    if ("message_stop".equals(type)) {
      complete = true;
    }
    out.event(type, upstream.data());
  }

  @Override
  public void finish(StreamSink out) {
    // Anthropic's stream needs no closing event that the provider did not send.
  }
}
