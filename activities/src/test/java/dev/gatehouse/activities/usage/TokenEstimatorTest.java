package dev.gatehouse.activities.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.EncodingType;
import dev.gatehouse.activities.model.Dialect;
import org.junit.jupiter.api.Test;

class TokenEstimatorTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ObjectNode body(String json) throws Exception {
    return (ObjectNode) JSON.readTree(json);
  }

  @Test
  void countsTextWithOpenAisO200kEncoding() {
    // o200k_base: "Hello" "," " world" "!"
    assertThat(TokenEstimator.tokens("Hello, world!")).isEqualTo(4);
    assertThat(TokenEstimator.tokens("The quick brown fox jumps over the lazy dog.")).isEqualTo(10);
    assertThat(TokenEstimator.tokens("tiktoken is great!")).isEqualTo(6);
    // Special-token text is ordinary text to an estimate (jtokkit's plain encode would throw).
    assertThat(TokenEstimator.tokens("<|endoftext|> hi")).isEqualTo(8);
    assertThat(TokenEstimator.tokens("")).isZero();
    assertThat(TokenEstimator.tokens(null)).isZero();
  }

  @Test
  void longTextCountedInChunksCountsAsTheWholeDoes() {
    StringBuilder text = new StringBuilder();
    for (int i = 0; text.length() < 100_000; i++) {
      text.append("word").append(i % 977).append(i % 7 == 0 ? ".\n\n" : " ");
    }
    long whole = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE).countTokensOrdinary(text.toString());
    assertThat(TokenEstimator.tokens(text)).isEqualTo(whole);
  }

  /**
   * Past {@link TokenEstimator#MAX_EXACT_CHARS} characters nothing more is tokenized (jtokkit alone
   * takes seconds on a million letters in one run): the rest is extrapolated at the rate of what
   * was counted. Shown by what is counted, not by a timing: a text whose tail tokenizes far more
   * cheaply than its head is counted at the head's rate.
   */
  @Test
  void hugeTextIsCountedUpToABoundAndExtrapolated() {
    String han = "漢字".repeat(2_500_000); // 5 million characters, a token each
    assertThat((double) TokenEstimator.tokens(han)).isCloseTo(5_000_000, within(50_000.0));

    String spaces = " ".repeat(3_000_000);
    assertThat(TokenEstimator.tokens(" ".repeat(100_000))).as("spaces counted exactly are cheap").isLessThan(10_000);
    String headThenSpaces = "漢字".repeat(TokenEstimator.MAX_EXACT_CHARS / 2) + spaces;
    assertThat((double) TokenEstimator.tokens(headThenSpaces))
        .as("the spaces past the bound are not tokenized, but extrapolated at the head's rate")
        .isCloseTo(TokenEstimator.MAX_EXACT_CHARS + 3_000_000, within(50_000.0));
  }

  @Test
  void anOpenAiMessageCountsItsFramingRoleAndText() throws Exception {
    // 3 (message) + 1 ("user") + 4 ("Hello, world!") + 3 (reply priming)
    assertThat(TokenEstimator.inputTokens(Dialect.OPENAI, body("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world!\"}]}")))
        .isEqualTo(11);
    // The same text as a content part.
    assertThat(TokenEstimator.inputTokens(Dialect.OPENAI,
            body("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hello, world!\"}]}]}")))
        .isEqualTo(11);
    assertThat(TokenEstimator.inputTokens(Dialect.OPENAI, body("{}"))).isZero();
    assertThat(TokenEstimator.inputTokens(Dialect.OPENAI, null)).isZero();
  }

  @Test
  void anAnthropicRequestCountsItsSystemPromptAndMessages() throws Exception {
    assertThat(TokenEstimator.inputTokens(Dialect.ANTHROPIC,
            body("{\"model\":\"m\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world!\"}]}")))
        .isEqualTo(11);
    long system = TokenEstimator.tokens("Be brief.");
    assertThat(TokenEstimator.inputTokens(Dialect.ANTHROPIC,
            body("{\"system\":\"Be brief.\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hello, world!\"}]}]}")))
        .isEqualTo(11 + system);
    assertThat(TokenEstimator.inputTokens(Dialect.ANTHROPIC,
            body("{\"system\":[{\"type\":\"text\",\"text\":\"Be brief.\"}],\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world!\"}]}")))
        .isEqualTo(11 + system);
    // Structured output's schema is input too, in the GA member as in the beta's.
    String format = "{\"type\":\"json_schema\",\"schema\":{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}}}}";
    long schema = TokenEstimator.tokens(format);
    String message = "\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world!\"}]";
    assertThat(TokenEstimator.inputTokens(Dialect.ANTHROPIC, body("{" + message + ",\"output_config\":{\"format\":" + format + "}}")))
        .isEqualTo(11 + schema);
    assertThat(TokenEstimator.inputTokens(Dialect.ANTHROPIC, body("{" + message + ",\"output_format\":" + format + "}")))
        .isEqualTo(11 + schema);
  }

  @Test
  void toolDefinitionsToolCallsAndResultsCountInBothDialects() throws Exception {
    String openAiTool = "{\"type\":\"function\",\"function\":{\"name\":\"weather\",\"description\":\"The weather in a city\","
        + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}";
    String plain = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world!\"}]}";
    String withTool = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world!\"}],\"tools\":[" + openAiTool + "]}";
    assertThat(TokenEstimator.inputTokens(Dialect.OPENAI, body(withTool)) - TokenEstimator.inputTokens(Dialect.OPENAI, body(plain)))
        .isEqualTo(TokenEstimator.tokens(openAiTool));

    ObjectNode openAiCall = body("{\"messages\":[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\","
        + "\"type\":\"function\",\"function\":{\"name\":\"weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
        + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"Sunny, 21 degrees\"}]}");
    long expected = 2 * 3 + TokenEstimator.tokens("assistant") + TokenEstimator.tokens("weather")
        + TokenEstimator.tokens("{\"city\":\"Paris\"}") + TokenEstimator.tokens("tool") + TokenEstimator.tokens("call_1")
        + TokenEstimator.tokens("Sunny, 21 degrees") + 3;
    assertThat(TokenEstimator.inputTokens(Dialect.OPENAI, openAiCall)).isEqualTo(expected);

    ObjectNode anthropicCall = body("{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_1\","
        + "\"name\":\"weather\",\"input\":{\"city\":\"Paris\"}}]},{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\","
        + "\"tool_use_id\":\"toolu_1\",\"content\":[{\"type\":\"text\",\"text\":\"Sunny, 21 degrees\"}]}]}],"
        + "\"tools\":[{\"name\":\"weather\",\"input_schema\":{\"type\":\"object\"}}]}");
    long anthropicExpected = 2 * 3 + TokenEstimator.tokens("assistant") + TokenEstimator.tokens("weather")
        + TokenEstimator.tokens("{\"city\":\"Paris\"}") + TokenEstimator.tokens("user") + TokenEstimator.tokens("Sunny, 21 degrees")
        + 3 + TokenEstimator.tokens("{\"name\":\"weather\",\"input_schema\":{\"type\":\"object\"}}");
    assertThat(TokenEstimator.inputTokens(Dialect.ANTHROPIC, anthropicCall)).isEqualTo(anthropicExpected);
  }

  @Test
  void anImageCountsAFixedAmountWhateverItsDataLength() throws Exception {
    String data = "A".repeat(200_000);
    ObjectNode openAi = body("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
        + "\"data:image/png;base64," + data + "\"}}]}]}");
    assertThat(TokenEstimator.inputTokens(Dialect.OPENAI, openAi)).isEqualTo(3 + 1 + TokenEstimator.IMAGE_TOKENS + 3);
    ObjectNode anthropic = body("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"base64\","
        + "\"media_type\":\"image/png\",\"data\":\"" + data + "\"}}]}]}");
    assertThat(TokenEstimator.inputTokens(Dialect.ANTHROPIC, anthropic)).isEqualTo(3 + 1 + TokenEstimator.IMAGE_TOKENS + 3);
  }

  @Test
  void anAnthropicTextDocumentCountsItsTextAndABase64OneByItsSize() throws Exception {
    String text = "The quick brown fox jumps over the lazy dog. ".repeat(2_000);
    ObjectNode textDocument = body("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\","
        + "\"source\":{\"type\":\"text\",\"media_type\":\"text/plain\",\"data\":\"" + text + "\"}}]}]}");
    assertThat(TokenEstimator.inputTokens(Dialect.ANTHROPIC, textDocument)).isEqualTo(3 + 1 + TokenEstimator.tokens(text) + 3);
    ObjectNode contentDocument = body("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\","
        + "\"source\":{\"type\":\"content\",\"content\":[{\"type\":\"text\",\"text\":\"" + text + "\"}]}}]}]}");
    assertThat(TokenEstimator.inputTokens(Dialect.ANTHROPIC, contentDocument)).isEqualTo(3 + 1 + TokenEstimator.tokens(text) + 3);
    ObjectNode pdf = body("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\","
        + "\"source\":{\"type\":\"base64\",\"media_type\":\"application/pdf\",\"data\":\"" + "A".repeat(200_000) + "\"}}]}]}");
    // A probe's 300 KB PDF counted 765 tokens, and concurrent calls each spent far past their reservations.
    assertThat(TokenEstimator.inputTokens(Dialect.ANTHROPIC, pdf)).isEqualTo(3 + 1 + 200_000 / TokenEstimator.BASE64_CHARS_PER_TOKEN + 1 + 3);
    ObjectNode titled = body("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\",\"title\":\"" + text + "\","
        + "\"source\":{\"type\":\"base64\",\"media_type\":\"application/pdf\",\"data\":\"AAAA\"}}]}]}");
    assertThat(TokenEstimator.inputTokens(Dialect.ANTHROPIC, titled))
        .as("a small PDF counts at least an image, and its title as text").isEqualTo(3 + 1 + TokenEstimator.IMAGE_TOKENS + TokenEstimator.tokens(text) + 3);
  }

  /**
   * A PDF whose page objects show counts by its pages, not its size: a probe's one-page PDF of
   * 1.7 MB counted 783,000 tokens, and Claude Code's context, counted so, overflowed at once.
   */
  @Test
  void aPdfCountsItsPagesWhenTheyShow() throws Exception {
    String pdf = "%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type/Pages/Kids[3 0 R 4 0 R]/Count 2>> endobj\n"
        + "3 0 obj <</Type /Page /Parent 2 0 R>> endobj\n4 0 obj <</Parent 2 0 R/Type\n/Page>> endobj\n"
        + "5 0 obj <</Type /PageLabels>> endobj\n6 0 obj <</Length 300000>> stream\n" + "x".repeat(300_000) + "\nendstream endobj\n%%EOF";
    String data = java.util.Base64.getMimeEncoder().encodeToString(pdf.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)).replace("\r\n", "\\n");
    ObjectNode anthropic = body("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\","
        + "\"source\":{\"type\":\"base64\",\"media_type\":\"application/pdf\",\"data\":\"" + data + "\"}}]}]}");
    assertThat(TokenEstimator.inputTokens(Dialect.ANTHROPIC, anthropic)).isEqualTo(3 + 1 + 2 * TokenEstimator.PDF_PAGE_TOKENS + 3);
    ObjectNode openai = body("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"file\",\"file\":{\"filename\":\"a.pdf\","
        + "\"file_data\":\"data:application/pdf;base64," + data + "\"}}]}]}");
    assertThat(TokenEstimator.inputTokens(Dialect.OPENAI, openai)).isEqualTo(3 + 1 + 2 * TokenEstimator.PDF_PAGE_TOKENS + 3);
  }

  /** What a provider reads as input besides the messages counts too: a probe's schema of 20,000 words counted nothing. */
  @Test
  void schemasFilesAndReasoningSentBackCount() throws Exception {
    String words = "word ".repeat(20_000);
    ObjectNode schema = body("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"response_format\":{\"type\":\"json_schema\","
        + "\"json_schema\":{\"name\":\"x\",\"description\":\"" + words + "\",\"schema\":{\"type\":\"object\"}}}}");
    assertThat(TokenEstimator.inputTokens(Dialect.OPENAI, schema)).isGreaterThan(20_000);
    ObjectNode file = body("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"file\",\"file\":{\"filename\":\"a.pdf\","
        + "\"file_data\":\"data:application/pdf;base64," + "A".repeat(300_000) + "\"}}]}]}");
    assertThat(TokenEstimator.inputTokens(Dialect.OPENAI, file)).isGreaterThan(100_000);
    ObjectNode reasoning = body("{\"messages\":[{\"role\":\"assistant\",\"content\":\"ok\",\"reasoning_content\":\"" + words + "\"}]}");
    assertThat(TokenEstimator.inputTokens(Dialect.OPENAI, reasoning)).isGreaterThan(20_000);
    ObjectNode servers = body("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"mcp_servers\":[{\"type\":\"url\",\"name\":\"" + words + "\"}]}");
    assertThat(TokenEstimator.inputTokens(Dialect.ANTHROPIC, servers)).isGreaterThan(20_000);
  }

  @Test
  void aHugeRequestBodyTakesBoundedWork() throws Exception {
    ObjectNode big = JSON.createObjectNode();
    var messages = big.putArray("messages");
    for (int i = 0; i < 200; i++) {
      messages.addObject().put("role", "user").put("content", "x".repeat(50_000)); // 10 million characters in all
    }
    TokenEstimator.tokens("warm up");
    long start = System.nanoTime();
    long n = TokenEstimator.inputTokens(Dialect.OPENAI, big);
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(2_000);
    // 50,000 x's are 6,250 tokens of 8 x's each: about 1.25 million tokens.
    assertThat((double) n).isCloseTo(1_250_000, within(25_000.0));
  }
}
