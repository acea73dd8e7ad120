package dev.gatehouse.frontend.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.frontend.core.errors.ApiException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Client mistakes described in JSON's terms, and text no store can hold refused by path. */
class JsonProblemsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final JsonBodies bodies = new JsonBodies(JSON, 1024);

  record Step(String id, List<String> dependsOn, int attempts, boolean on) {}

  record Body(String name, List<Step> steps) {}

  private String problem(String body) {
    try {
      bodies.convert(JSON.readTree(body), Body.class);
    } catch (ApiException e) {
      return e.getMessage();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("accepted: " + body);
  }

  @Test
  void wrongTypesAreNamedByPathAndJsonType() {
    assertThat(problem("{\"steps\":{}}")).endsWith("'steps' must be an array, not an object");
    assertThat(problem("{\"steps\":[\"x\"]}")).endsWith("'steps[0]' must be an object, not a string");
    assertThat(problem("{\"steps\":[{\"id\":[1]}]}")).endsWith("'steps[0].id' must be a string, not an array");
    assertThat(problem("{\"steps\":[{\"dependsOn\":true}]}")).endsWith("'steps[0].dependsOn' must be an array, not a boolean");
    assertThat(problem("{\"steps\":[{\"attempts\":\"many\"}]}")).endsWith("'steps[0].attempts' must be an integer, not a string");
    assertThat(problem("{\"steps\":[{\"on\":{}}]}")).endsWith("'steps[0].on' must be a boolean, not an object");
    assertThat(problem("{\"name\":5}")).endsWith("'name' must be a string, not an integer");
    assertThat(problem("{\"name\":true}")).endsWith("'name' must be a string, not a boolean");
    assertThat(problem("{\"steps\":[{\"id\":1.5}]}")).endsWith("'steps[0].id' must be a string, not a number");
    assertThat(problem("{\"steps\":[{\"attempts\":\"5\"}]}")).endsWith("'steps[0].attempts' must be an integer, not a string");
    assertThat(problem("{\"steps\":[{\"on\":\"false\"}]}")).endsWith("'steps[0].on' must be a boolean, not a string");
    assertThat(problem("{\"nmae\":\"x\"}")).endsWith("'nmae' is not a known field (known here: name, steps)");
  }

  private String refusedBody(String body) {
    return refusedBody(bodies, body);
  }

  private static String refusedBody(JsonBodies bodies, String body) {
    try {
      bodies.read(new java.io.ByteArrayInputStream(body.getBytes(java.nio.charset.StandardCharsets.UTF_8)), Body.class);
    } catch (ApiException e) {
      return e.error().code() + ": " + e.getMessage();
    }
    throw new AssertionError("accepted: " + body);
  }

  @Test
  void aBodyBeyondTheReadersLimitsIsSaidSoNotCalledInvalid() {
    JsonBodies roomy = new JsonBodies(JSON, 64 * 1024);
    assertThat(refusedBody(roomy, "[".repeat(1_001) + "]".repeat(1_001))).isEqualTo("invalid_json: the body nests deeper than 1000 levels");
    assertThat(refusedBody(roomy, "{\"name\":" + "9".repeat(1_001) + "}"))
        .isEqualTo("invalid_json: the body holds a number longer than 1000 characters");
    assertThat(refusedBody("[[[]]]")).as("within the limits, the shape is what is wrong").startsWith("invalid_request: ");
    assertThat(refusedBody("{\"name\":")).isEqualTo("invalid_json: the body is not valid JSON");
  }

  @Test
  void aBodyOfOnlyWhiteSpaceIsNotJson() {
    assertThat(refusedBody(" \n\t ")).startsWith("invalid_json: ");
  }

  @Test
  void aMemberGivenTwiceOrAFractionForAWholeNumberIsRefused() {
    // Last-wins would let a body mean one thing here and another to a parser further on.
    assertThat(refusedBody("{\"name\":\"a\",\"name\":\"b\"}")).isEqualTo("invalid_json: the body gives the member 'name' twice");
    assertThat(refusedBody("{\"steps\":[{\"id\":\"a\",\"id\":\"a\"}]}")).isEqualTo("invalid_json: the body gives the member 'id' twice");
    assertThat(refusedBody("{\"steps\":[{\"attempts\":2.5}]}")).startsWith("invalid_request: ").contains("'steps[0].attempts'");
  }

  @Test
  void noMessageNamesAJavaType() {
    for (String body : new String[] {"{\"steps\":{}}", "{\"steps\":[1]}", "{\"name\":{}}", "{\"steps\":[{\"attempts\":99999999999}]}", "{\"steps\":[{\"attempts\":1e400}]}"}) {
      assertThat(JsonProblems.looksJava(problem(body))).as(problem(body)).isFalse();
    }
  }

  @Test
  void aLibrarysJacksonMessageIsRewrittenFromItsText() {
    String sdk =
        "Invalid message format: Cannot deserialize value of type `io.modelcontextprotocol.spec.McpSchema$ClientCapabilities` "
            + "from Array value (token `JsonToken.START_ARRAY`)\n at [Source: UNKNOWN; byte offset: #UNKNOWN] "
            + "(through reference chain: io.modelcontextprotocol.spec.McpSchema$InitializeRequest[\"capabilities\"])";
    assertThat(JsonProblems.clean(sdk, "fallback")).isEqualTo("'capabilities' must be an object, not an array");
    String list =
        "Cannot deserialize value of type `java.util.ArrayList<java.lang.String>` from Integer value (token `JsonToken.VALUE_NUMBER_INT`)"
            + " (through reference chain: x.Y[\"a\"]->java.util.ArrayList[0]->x.Z[\"b\"])";
    assertThat(JsonProblems.clean(list, "fallback")).isEqualTo("'a[0].b' must be an array, not an integer");
    assertThat(JsonProblems.clean("Unknown prompt: x", "fallback")).isEqualTo("Unknown prompt: x");
    assertThat(JsonProblems.clean("boom in dev.gatehouse.Thing", "fallback")).isEqualTo("fallback");
    assertThat(JsonProblems.looksJava("McpSchema$JSONRPCRequest")).isTrue();
    assertThat(JsonProblems.looksJava("'steps[0].tool' must be a string")).isFalse();
  }

  @Test
  void nulAndLoneSurrogatesAreRefusedByPath() throws Exception {
    assertThatThrownBy(() -> bodies.read(stream("{\"a\":[{\"b\":\"x\\u0000\"}]}")))
        .isInstanceOf(ApiException.class)
        .hasMessage("'a[0].b' contains a NUL character (U+0000), which is not allowed in text");
    assertThatThrownBy(() -> bodies.read(stream("{\"a\\u0000\":1}"))).hasMessageStartingWith("a field name in the body contains a NUL");
    assertThatThrownBy(() -> bodies.read(stream("\"\\ud800\""))).hasMessageStartingWith("the body contains a lone surrogate (U+D800)");
    assertThatThrownBy(() -> bodies.read(stream("{\"a\":\"\\udc00x\"}"))).hasMessageContaining("lone surrogate (U+DC00)");
    // A pair is one character (an emoji), not a problem.
    JsonNode ok = bodies.read(stream("{\"a\":\"\\ud83d\\ude00\"}"));
    assertThat(ok.path("a").asText()).isEqualTo("\uD83D\uDE00");
  }

  @Test
  void timesOutsideTheYears1To9999AreRefusedNamingTheField() {
    assertThat(TimeInputs.parse("9999-12-31T23:59:59Z", "t")).isEqualTo(java.time.Instant.parse("9999-12-31T23:59:59Z"));
    assertThatThrownBy(() -> TimeInputs.parse("+10000-01-01T00:00:00Z", "expiresAt")).hasMessageContaining("'expiresAt'");
    assertThatThrownBy(() -> TimeInputs.parse("-0001-01-01T00:00:00Z", "since")).hasMessageContaining("'since'");
    assertThatThrownBy(() -> TimeInputs.parse("tomorrow", "until")).hasMessageContaining("ISO-8601");
  }

  private static java.io.InputStream stream(String s) {
    return new java.io.ByteArrayInputStream(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
  /**
   * Bodies for a face whose limit outgrows the common one take a string as long as the body (the
   * reader's default, 20 million characters, refused a base64 document of about 15 MB), and are
   * weighed by their tokens before a tree is built.
   */
  @Test
  void aLargerFaceTakesStringsAsLongAsItsBodiesAndTokensAreCountedWithoutATree() throws Exception {
    String big = "{\"data\":\"" + "A".repeat(21_000_000) + "\"}";
    java.io.ByteArrayInputStream in = new java.io.ByteArrayInputStream(big.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThatThrownBy(() -> new JsonBodies(JSON, 32 << 20).read(in))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage()).contains("limit"));
    JsonBodies larger = new JsonBodies(JSON, 1024).withMaxBytes(32 << 20);
    assertThat(larger.maxBytes()).isEqualTo(32 << 20);
    assertThat(larger.read(new java.io.ByteArrayInputStream(big.getBytes(java.nio.charset.StandardCharsets.UTF_8))).get("data").textValue())
        .hasSize(21_000_000);
    // The common bodies are left as they were.
    assertThat(JSON.getFactory().streamReadConstraints().getMaxStringLength()).isEqualTo(20_000_000);

    assertThat(bodies.tokens("{\"a\":[{},{},1],\"b\":\"x\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8))).isEqualTo(12);
    assertThat(bodies.tokens("{\"a\":[{},".getBytes(java.nio.charset.StandardCharsets.UTF_8))).as("up to the first error").isEqualTo(5);
  }
}
