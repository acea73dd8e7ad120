package dev.gatehouse.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** Text Gatehouse accepts: no NUL, no lone surrogate, found by its path in JSON. */
class TextsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String text) throws Exception {
    return JSON.readTree(text);
  }

  @Test
  void cleanJsonHasNoProblem() throws Exception {
    assertThat(Texts.firstProblem(json("{\"a\":{\"b\":[\"x\",1,{\"c\":\"\\ud83d\\ude00\"}]},\"d\":null}"), "the body")).isNull();
    assertThat(Texts.firstProblem(json("\"plain\""), "the body")).isNull();
    assertThat(Texts.firstProblem(null, "the body")).isNull();
  }

  @Test
  void aProblemIsNamedByItsPath() throws Exception {
    assertThat(Texts.firstProblem(json("{\"a\":{\"b\":[\"x\",{\"c\":\"\\u0000\"}]}}"), "the body"))
        .isEqualTo("'a.b[1].c' contains a NUL character (U+0000), which is not allowed in text");
    assertThat(Texts.firstProblem(json("{\"ok\":\"x\",\"list\":[\"y\",\"\\udc00\"]}"), "the body"))
        .isEqualTo("'list[1]' contains a lone surrogate (U+DC00), which is not Unicode text");
    assertThat(Texts.firstProblem(json("{\"a\":{\"\\u0000k\":1}}"), "the body"))
        .isEqualTo("a field name in 'a' contains a NUL character (U+0000), which is not allowed in text");
    assertThat(Texts.firstProblem(json("\"\\u0000\""), "the body"))
        .isEqualTo("the body contains a NUL character (U+0000), which is not allowed in text");
  }

  /** 1e400 parses as infinity, which a writer then sends on as the string "Infinity". */
  @Test
  void aNumberNoReaderCanHoldIsAProblem() throws Exception {
    assertThat(Texts.firstProblem(json("{\"temperature\":1e400}"), "the body"))
        .isEqualTo("'temperature' is a number out of range (its magnitude must be below 1.8e308)");
    assertThat(Texts.firstProblem(json("{\"a\":[1,-1e400]}"), "the body")).startsWith("'a[1]' is a number out of range");
    assertThat(Texts.firstProblem(json("{\"a\":1.7e308,\"b\":-1e-400,\"c\":123456789012345678901234567890}"), "the body")).isNull();
  }
}
