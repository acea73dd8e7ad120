package dev.gatehouse.activities.text;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Locale;

/**
 * What Gatehouse reads of JSON an upstream wrote (an MCP server's messages, an HTTP tool's or a
 * provider's answer): Jackson's limits (nesting depth 1,000, a number of 1,000 characters), and at
 * most {@link #MAX_TOKENS} tokens in one message. The size caps bound the bytes, not what they
 * expand to: 16 MiB of nested empty arrays is 16 million tokens, which took 4 to 5 s of CPU and
 * 886 MB of heap to read into a tree; at this limit the read stops after a million, in a tenth of
 * a second. A million tokens is more than a real answer of that size holds (text is one token per
 * string, a table of ten thousand rows of ten columns about 220,000).
 */
public final class UpstreamJson {
  /** The most JSON tokens (brackets, names, values) read of one upstream message. */
  public static final long MAX_TOKENS = 1_000_000;

  private static final StreamReadConstraints LIMITS = StreamReadConstraints.builder().maxTokenCount(MAX_TOKENS).build();

  private UpstreamJson() {}

  /** What a refusal says the limits are (one of them was passed; Jackson's message is not shown). */
  public static String limits() {
    return "nesting depth, the length of a number or string, or " + String.format(Locale.ROOT, "%,d", MAX_TOKENS) + " JSON tokens";
  }

  /** {@code mapper}, whose parsers now stop at {@link #MAX_TOKENS} tokens. */
  public static <M extends ObjectMapper> M bounded(M mapper) {
    mapper.getFactory().setStreamReadConstraints(LIMITS);
    return mapper;
  }
}
