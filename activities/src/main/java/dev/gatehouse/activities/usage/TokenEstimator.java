package dev.gatehouse.activities.usage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.gatehouse.activities.model.Dialect;

/**
 * Token counts Gatehouse makes itself, when a provider reported none (a stream the client
 * abandoned before the provider's usage arrived). Text is counted with OpenAI's {@code o200k_base}
 * encoding (jtokkit), exact for OpenAI's current models and an estimate for others. Special-token
 * text such as {@code <|endoftext|>} counts as ordinary text.
 *
 * <p>The work is bounded whatever the input: text is tokenized in chunks of at most {@value
 * #CHUNK} characters (jtokkit slows down badly on one long run of letters or spaces), and only the
 * first {@value #MAX_EXACT_CHARS} characters of one count are tokenized; the rest is counted at
 * the tokens per character measured so far.
 */
public final class TokenEstimator {
  /** The most characters one count tokenizes; past this it extrapolates. */
  public static final int MAX_EXACT_CHARS = 256 * 1024;
  /** What one image or document part counts for: OpenAI's count for a 1024x1024 image at high detail. */
  public static final int IMAGE_TOKENS = 765;
  /** A base64 document or file whose pages do not show counts one token per this many characters of its data. */
  public static final int BASE64_CHARS_PER_TOKEN = 3;
  /**
   * A PDF page counts this many tokens: the most a provider takes for a page's text and its image
   * (Anthropic says 1,500 to 3,000), so that what a call reserves of a budget is not short.
   */
  public static final int PDF_PAGE_TOKENS = 3_000;
  /** Per message: the tokens that frame a message in OpenAI's chat format. */
  static final int PER_MESSAGE = 3;
  /** Per request: the tokens that prime the reply. */
  static final int PER_REPLY = 3;
  static final int CHUNK = 8192;

  private TokenEstimator() {}

  /** Loaded on first use (the encoding's table takes most of a second to read). */
  private static final class Holder {
    static final Encoding ENCODING = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
  }

  /** The tokens of {@code text} (an OpenAI encoding); 0 for null. */
  public static long tokens(CharSequence text) {
    Count count = new Count();
    count.text(text);
    return count.total();
  }

  /**
   * The input tokens of a request body in {@code dialect}: its messages (a few tokens each for
   * the framing, the role, the text, reasoning sent back, tool calls and results), system prompt,
   * tool definitions and the other members a provider reads as input (a {@code response_format}'s,
   * {@code output_format}'s or {@code output_config.format}'s schema, Anthropic's {@code
   * mcp_servers}: their JSON); each image or audio part counts {@value #IMAGE_TOKENS}, a text
   * document its text, and a base64 document or file (a PDF) {@value #PDF_PAGE_TOKENS} a page (a
   * provider reads a PDF's text and an image of each page, some 1,500 to 3,000 tokens a page) when
   * its page objects show, else one token per {@value #BASE64_CHARS_PER_TOKEN} characters of its
   * data, and at least {@value #IMAGE_TOKENS}. 0 for a null body.
   */
  public static long inputTokens(Dialect dialect, ObjectNode body) {
    if (body == null) {
      return 0;
    }
    Count count = new Count();
    if (dialect == Dialect.ANTHROPIC) {
      anthropic(body, count);
    } else {
      openai(body, count);
    }
    return count.total();
  }

  private static void openai(ObjectNode body, Count count) {
    JsonNode messages = body.path("messages");
    for (JsonNode m : messages) {
      count.add(PER_MESSAGE);
      count.text(m.path("role"));
      if (m.path("name").isTextual()) {
        count.add(1);
        count.text(m.path("name"));
      }
      openaiContent(m.path("content"), count);
      count.text(m.path("refusal"));
      count.text(m.path("reasoning_content"));
      count.text(m.path("reasoning"));
      for (JsonNode call : m.path("tool_calls")) {
        count.text(call.path("function").path("name"));
        count.text(call.path("function").path("arguments"));
      }
      count.text(m.path("function_call").path("name"));
      count.text(m.path("function_call").path("arguments"));
      count.text(m.path("tool_call_id"));
    }
    if (!messages.isEmpty()) {
      count.add(PER_REPLY);
    }
    for (JsonNode tool : body.path("tools")) {
      count.json(tool);
    }
    for (JsonNode function : body.path("functions")) {
      count.json(function);
    }
    count.json(body.get("response_format"));
    // Embeddings: the input is text or a list of texts (token arrays are counted by their length).
    JsonNode input = body.path("input");
    if (input.isTextual()) {
      count.text(input);
    } else if (input.isArray()) {
      for (JsonNode i : input) {
        if (i.isTextual()) {
          count.text(i);
        } else if (i.isArray()) {
          count.add(i.size());
        } else if (i.isNumber()) {
          count.add(1);
        }
      }
    }
  }

  private static void openaiContent(JsonNode content, Count count) {
    if (content.isTextual()) {
      count.text(content);
      return;
    }
    for (JsonNode part : content) {
      String type = part.path("type").asText("");
      if (part.path("text").isTextual()) {
        count.text(part.path("text"));
      } else if (type.equals("file")) {
        count.add(base64Tokens(part.path("file").path("file_data")));
      } else if (type.startsWith("image") || type.equals("input_audio")) {
        count.add(IMAGE_TOKENS);
      } else {
        count.json(part);
      }
    }
  }

  private static void anthropic(ObjectNode body, Count count) {
    JsonNode system = body.path("system");
    if (system.isTextual()) {
      count.text(system);
    } else {
      anthropicBlocks(system, count);
    }
    JsonNode messages = body.path("messages");
    for (JsonNode m : messages) {
      count.add(PER_MESSAGE);
      count.text(m.path("role"));
      JsonNode content = m.path("content");
      if (content.isTextual()) {
        count.text(content);
      } else {
        anthropicBlocks(content, count);
      }
    }
    if (!messages.isEmpty()) {
      count.add(PER_REPLY);
    }
    for (JsonNode tool : body.path("tools")) {
      count.json(tool);
    }
    count.json(body.get("output_format"));
    count.json(body.path("output_config").get("format"));
    count.json(body.get("mcp_servers"));
  }

  /**
   * A base64 document's or file's tokens (a data URL's too): {@value #PDF_PAGE_TOKENS} a page when
   * it is a PDF whose page objects show ({@link PdfPages}); else, by its size, one per {@link
   * #BASE64_CHARS_PER_TOKEN} characters; at least {@link #IMAGE_TOKENS}.
   */
  private static long base64Tokens(JsonNode data) {
    String text = data.isTextual() ? data.textValue() : "";
    if (text.startsWith("data:")) {
      int comma = text.indexOf(',');
      text = comma < 0 ? "" : text.substring(comma + 1);
    }
    long pages = PdfPages.count(text);
    long bySize = (text.length() + BASE64_CHARS_PER_TOKEN - 1) / BASE64_CHARS_PER_TOKEN;
    return Math.max(IMAGE_TOKENS, pages > 0 ? Math.min(bySize, pages * PDF_PAGE_TOKENS) : bySize);
  }

  private static void anthropicBlocks(JsonNode blocks, Count count) {
    for (JsonNode block : blocks) {
      switch (block.path("type").asText("")) {
        case "text" -> count.text(block.path("text"));
        case "image" -> count.add(IMAGE_TOKENS);
        case "document" -> {
          // A text document is text (it can be as long as any message); a base64 one (a PDF) by its size.
          JsonNode source = block.path("source");
          switch (source.path("type").asText("")) {
            case "text" -> count.text(source.path("data"));
            case "content" -> anthropicBlocks(source.path("content"), count);
            case "base64" -> count.add(base64Tokens(source.path("data")));
            default -> count.add(IMAGE_TOKENS);
          }
          count.text(block.path("title"));
          count.text(block.path("context"));
        }
        case "tool_use", "server_tool_use" -> {
          count.text(block.path("name"));
          count.json(block.path("input"));
        }
        case "tool_result" -> {
          JsonNode content = block.path("content");
          if (content.isTextual()) {
            count.text(content);
          } else {
            anthropicBlocks(content, count);
          }
        }
        case "thinking" -> count.text(block.path("thinking"));
        case "redacted_thinking" -> {} // opaque to anyone but the provider; counted by it
        default -> count.json(block);
      }
    }
  }

  /** Tokens counted exactly up to {@link #MAX_EXACT_CHARS} characters, the rest extrapolated. */
  private static final class Count {
    private long tokens;
    private long exactChars;
    private long uncountedChars;

    void add(long n) {
      tokens += n;
    }

    void text(JsonNode node) {
      if (node != null && node.isTextual()) {
        text(node.textValue());
      }
    }

    void json(JsonNode node) {
      if (node == null || node.isMissingNode() || node.isNull()) {
        return;
      }
      if (exactChars >= MAX_EXACT_CHARS) {
        uncountedChars += roughLength(node, 0);
        return;
      }
      text(node.toString());
    }

    void text(CharSequence s) {
      if (s == null) {
        return;
      }
      int n = s.length();
      int exact = (int) Math.min(n, MAX_EXACT_CHARS - exactChars);
      int start = 0;
      while (start < exact) {
        int end = split(s, start, exact);
        tokens += Holder.ENCODING.countTokensOrdinary(s.subSequence(start, end).toString());
        start = end;
      }
      exactChars += exact;
      uncountedChars += n - exact;
    }

    long total() {
      if (uncountedChars == 0) {
        return tokens;
      }
      double perChar = exactChars > 0 ? (double) tokens / exactChars : 0.25; // 4 characters a token
      return tokens + (long) Math.ceil(uncountedChars * perChar);
    }

    /**
     * Where the chunk from {@code start} ends: at {@code limit}, or before it at a space between a
     * letter or digit and a letter, where the encoding's own split into pieces always cuts (so the
     * chunks count as the whole would); failing that, anywhere but between the halves of a
     * surrogate pair.
     */
    private static int split(CharSequence s, int start, int limit) {
      int end = start + CHUNK;
      if (end >= limit) {
        return limit;
      }
      for (int i = end; i > end - CHUNK / 4; i--) {
        if (i + 1 < s.length()
            && s.charAt(i) == ' '
            && Character.isLetterOrDigit(s.charAt(i - 1))
            && Character.isLetter(s.charAt(i + 1))) {
          return i;
        }
      }
      return Character.isHighSurrogate(s.charAt(end - 1)) ? end - 1 : end;
    }

    /** About how long a node's JSON is, without writing it out (for what is past the budget). */
    private static long roughLength(JsonNode node, int depth) {
      if (node.isTextual()) {
        return node.textValue().length() + 2;
      }
      if (!node.isContainerNode()) {
        return node.asText().length();
      }
      if (depth > 64) {
        return 2;
      }
      long n = 2;
      for (var it = node.fields(); it.hasNext(); ) {
        var e = it.next();
        n += e.getKey().length() + 4 + roughLength(e.getValue(), depth + 1);
      }
      if (node.isArray()) {
        for (JsonNode e : node) {
          n += 1 + roughLength(e, depth + 1);
        }
      }
      return n;
    }
  }
}
