package dev.gatehouse.workflows.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class TemplatesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final JsonNode context =
      json("{\"input\":{\"city\":\"Oslo\",\"n\":3,\"tags\":[\"a\",\"b\"]},"
          + "\"steps\":{\"s1\":{\"output\":{\"temp\":21.5,\"items\":[{\"v\":\"x\"}],\"ok\":true}}}}");

  @Test
  void aWholeExpressionKeepsItsJsonType() {
    JsonNode out = Templates.resolve(json("{\"t\":\"${steps.s1.output.temp}\",\"ok\":\"${steps.s1.output.ok}\",\"tags\":\"${input.tags}\"}"), context);
    assertThat(out.get("t").isDouble()).isTrue();
    assertThat(out.get("t").doubleValue()).isEqualTo(21.5);
    assertThat(out.get("ok").isBoolean()).isTrue();
    assertThat(out.get("tags").isArray()).isTrue();
  }

  @Test
  void expressionsInsideTextAreInterpolated() {
    JsonNode out = Templates.resolve(json("{\"m\":\"${input.city} is ${steps.s1.output.temp}C, tags ${input.tags}\"}"), context);
    assertThat(out.get("m").asText()).isEqualTo("Oslo is 21.5C, tags [\"a\",\"b\"]");
  }

  @Test
  void numbersSelectArrayElementsAndNestedValuesResolve() {
    JsonNode out = Templates.resolve(json("{\"a\":{\"b\":[\"${steps.s1.output.items.0.v}\", 7]}}"), context);
    assertThat(out.toString()).isEqualTo("{\"a\":{\"b\":[\"x\",7]}}");
  }

  @Test
  void doubleDollarWritesALiteral() {
    assertThat(Templates.resolve(json("\"cost: $${input.n}\""), context).asText()).isEqualTo("cost: ${input.n}");
  }

  @Test
  void missingValuesFailClearly() {
    assertThatThrownBy(() -> Templates.resolve(json("\"${input.country}\""), context))
        .isInstanceOf(InvalidPipelineException.class)
        .hasMessageContaining("${input.country}");
  }

  @Test
  void malformedExpressionsAreRejected() {
    for (String bad : new String[] {"\"${}\"", "\"${input..x}\"", "\"${steps.s1.x}\"", "\"${env.HOME}\"", "\"${input.city\""}) {
      assertThatThrownBy(() -> Templates.references(json(bad)))
          .as(bad)
          .isInstanceOf(InvalidPipelineException.class)
          .extracting(e -> ((InvalidPipelineException) e).code())
          .isEqualTo("invalid_template");
    }
  }

  /** An audit got a 500,122-byte error back for a 500,000-character string that opened a template. */
  @Test
  void aMalformedTemplateIsQuotedInItsErrorOnlyInPart() {
    String longText = "a".repeat(500_000);
    for (String bad : new String[] {"\"${" + longText + "\"", "\"${" + longText + "}\"", "\"${input." + longText + ".}\""}) {
      assertThatThrownBy(() -> Templates.references(json(bad)))
          .isInstanceOf(InvalidPipelineException.class)
          .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(200).contains("aaaa..."));
    }
  }

  @Test
  void referencesListWhatATemplateReads() {
    var refs = Templates.references(json("{\"a\":\"${input.x}\",\"b\":[\"${steps.s2.output}\"]}"));
    assertThat(refs).extracting(Templates.Reference::stepId).containsExactly(null, "s2");
  }

  static JsonNode json(String s) {
    try {
      return JSON.readTree(s);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }
}
