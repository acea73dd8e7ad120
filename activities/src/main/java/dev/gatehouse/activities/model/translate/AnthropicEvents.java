package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.ModelUsage;
import dev.gatehouse.activities.sse.SseEvent;

/**
 * Reading Anthropic's stream: an event's type, its mid-stream error, and the usage it reports, in
 * {@code message_start} (the input, and a first output count) and then in {@code message_delta}
 * (the output so far; newer models repeat the input counts there too). Each count a later event
 * reports replaces the earlier one.
 */
final class AnthropicEvents {
  private long input;
  private long cacheRead;
  private long cacheCreation;
  private long output;
  private boolean reported;
  /** An event reported a count that is not one: the usage is unknown, and the call's tokens are estimated. */
  private boolean bad;
  private boolean inputCounted;
  private boolean outputCounted;

  /** What an event type may be: Anthropic's are lower-case words joined by underscores. */
  private static final java.util.regex.Pattern TYPE = java.util.regex.Pattern.compile("[a-z_]{1,64}");

  /**
   * The event's type: its data's {@code type}, else its SSE event name. It names the event relayed
   * to an Anthropic caller, so one that is not a plain name ({@code [a-z_]{1,64}}: a line break in it
   * would cut the stream) ends the stream as {@code upstream_error}.
   */
  static String type(SseEvent event, ObjectNode data) {
    String type = Json.text(data, "type");
    type = type != null ? type : event.event();
    if (type == null || !TYPE.matcher(type).matches()) {
      throw Json.upstream("the stream sent an event whose type is not a plain name", false);
    }
    return type;
  }

  /** Takes the usage from {@code message_start} and {@code message_delta}; other events are ignored. */
  void tap(String type, ObjectNode data) {
    JsonNode usage =
        switch (type) {
          case "message_start" -> data.path("message").get("usage");
          case "message_delta" -> data.get("usage");
          default -> null;
        };
    if (usage == null || !usage.isObject()) {
      return;
    }
    reported = true;
    bad |= Usages.badAnthropic(usage);
    inputCounted |= usage.path("input_tokens").isNumber();
    outputCounted |= "message_delta".equals(type) && usage.path("output_tokens").isNumber();
    input = usage.hasNonNull("input_tokens") ? Json.count(usage, "input_tokens") : input;
    cacheRead = usage.hasNonNull("cache_read_input_tokens") ? Json.count(usage, "cache_read_input_tokens") : cacheRead;
    cacheCreation = usage.hasNonNull("cache_creation_input_tokens") ? Json.count(usage, "cache_creation_input_tokens") : cacheCreation;
    output = usage.hasNonNull("output_tokens") ? Json.count(usage, "output_tokens") : output;
  }

  /**
   * Whether the usage reported is the whole answer's: its input was counted, and a {@code
   * message_delta} (which comes at the end) counted its output. A {@code message_start}'s output
   * count is where the answer began (1), and a {@code message_delta} without usage, or with an
   * empty one, said nothing more: the output is estimated from what was relayed then.
   */
  boolean usageFinal() {
    return inputCounted && outputCounted;
  }

  /** The usage reported so far; null before any, or when a count reported was not a count. */
  ModelUsage usage() {
    return reported && !bad ? Usages.anthropic(input, cacheRead, cacheCreation, output) : null;
  }

  /** The text a {@code content_block_delta} carries (text, tool input, thinking); null for other events. */
  static String deltaText(String type, ObjectNode data) {
    if (!"content_block_delta".equals(type)) {
      return null;
    }
    JsonNode delta = data.path("delta");
    return switch (String.valueOf(Json.text(delta, "type"))) {
      case "text_delta" -> Json.text(delta, "text");
      case "input_json_delta" -> Json.text(delta, "partial_json");
      case "thinking_delta" -> Json.text(delta, "thinking");
      default -> null;
    };
  }
}
