package dev.gatehouse.workflows.pipeline;

import static dev.gatehouse.workflows.pipeline.TemplatesTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExpansionTest {
  private static final String BIG = "y".repeat(400_000);

  private static PipelineDefinition pipeline(PipelineStep... steps) {
    return new PipelineDefinition(List.of(steps));
  }

  private static PipelineStep step(String id, String args, String... deps) {
    return new PipelineStep(id, "t", json(args), List.of(deps));
  }

  private static JsonNode bigInput() {
    return JsonNodeFactory.instance.objectNode().put("blob", BIG);
  }

  @Test
  void aLargeInputReadManyTimesIsRefused() {
    // The probe's case: a 400 KB input string read 30 times, 12 MB once filled.
    StringBuilder args = new StringBuilder("{");
    for (int i = 0; i < 30; i++) {
      args.append(i == 0 ? "" : ",").append("\"f").append(i).append("\":\"${input.blob}\"");
    }
    PipelineDefinition p = pipeline(step("s", args.append("}").toString()));
    assertThatThrownBy(() -> Expansion.checkSubmitted(p, bigInput()))
        .isInstanceOfSatisfying(InvalidPipelineException.class, e -> assertThat(e.code()).isEqualTo("expansion_too_large"))
        .hasMessageContaining("step 's'")
        .hasMessageContaining(String.valueOf(Expansion.MAX_STEP_ARGS_BYTES));
  }

  @Test
  void argumentsThatWouldNestTooDeepOnceFilledAreRefused() {
    JsonNode input = json("{\"d\":" + PipelineWorkflowTest.nested(400, "1") + ",\"t\":\"text\"}");
    // 101 levels of arguments ({"x": and 100 arrays) around the input's 400: 501.
    PipelineDefinition deep = pipeline(step("s", "{\"x\":" + PipelineWorkflowTest.nested(100, "\"${input.d}\"") + "}"));
    assertThatThrownBy(() -> Expansion.checkSubmitted(deep, input))
        .isInstanceOfSatisfying(InvalidPipelineException.class, e -> assertThat(e.code()).isEqualTo("expansion_too_large"))
        .hasMessage("step 's': its arguments would nest more than " + Expansion.MAX_ARGS_DEPTH
            + " levels deep once the templates are filled; at most " + Expansion.MAX_ARGS_DEPTH + " are allowed");
    // One level less is 500: allowed. So is the deep value inside a text, or a text in the deep arguments.
    assertThatCode(() -> Expansion.checkSubmitted(pipeline(step("s", "{\"x\":" + PipelineWorkflowTest.nested(99, "\"${input.d}\"") + "}")), input))
        .doesNotThrowAnyException();
    assertThatCode(() -> Expansion.checkSubmitted(pipeline(step("s", "{\"x\":" + PipelineWorkflowTest.nested(100, "\"about ${input.d}\"") + "}")), input))
        .doesNotThrowAnyException();
    assertThatCode(() -> Expansion.checkSubmitted(pipeline(step("s", "{\"x\":" + PipelineWorkflowTest.nested(400, "\"${input.t}\"") + "}")), input))
        .doesNotThrowAnyException();
  }

  @Test
  void depthIsCountedUpToItsCap() {
    assertThat(Expansion.depthOf(json("1"), 10)).isZero();
    assertThat(Expansion.depthOf(json("[]"), 10)).isEqualTo(1);
    assertThat(Expansion.depthOf(json("{\"a\":[1,{\"b\":[]}],\"c\":2}"), 10)).isEqualTo(4);
    assertThat(Expansion.depthOf(json(PipelineWorkflowTest.nested(50, "1")), 10)).isEqualTo(10);
  }

  @Test
  void aLargeInputReadOnceInsideTextIsRefusedToo() {
    PipelineDefinition p = pipeline(step("s", "{\"q\":\"about ${input.blob}\"}"));
    assertThatThrownBy(() -> Expansion.checkSubmitted(p, bigInput())).isInstanceOf(InvalidPipelineException.class);
  }

  /** An object of 85,000 empty strings: about 255 KB of JSON, whose quotes double when it is escaped into a text. */
  private static JsonNode quotes() {
    var o = JsonNodeFactory.instance.objectNode();
    var k = o.putArray("k");
    for (int i = 0; i < 85_000; i++) {
      k.add("");
    }
    return JsonNodeFactory.instance.objectNode().set("o", o);
  }

  /** An audit's case: the model was sent 425,039 bytes of messages against the 262,144 allowed. */
  @Test
  void aModelStepsContentSentAsTextCountsAsTheEscapedTextItBecomes() {
    JsonNode input = quotes();
    assertThat(Expansion.of(input.get("o"))).isBetween(200_000L, (long) Expansion.MAX_STEP_ARGS_BYTES);
    PipelineStep asText =
        new PipelineStep("m", null, null, "a-model", json("[{\"role\":\"user\",\"content\":\"${input.o}\"}]"), 1, List.of());
    assertThatThrownBy(() -> Expansion.checkSubmitted(pipeline(asText), input))
        .isInstanceOfSatisfying(InvalidPipelineException.class, e -> assertThat(e.code()).isEqualTo("expansion_too_large"));
    // The same object as the content of an object: the whole content is sent as its JSON text.
    PipelineStep inObject =
        new PipelineStep("m", null, null, "a-model", json("[{\"role\":\"user\",\"content\":{\"v\":\"${input.o}\"}}]"), 1, List.of());
    assertThatThrownBy(() -> Expansion.checkSubmitted(pipeline(inObject), input)).isInstanceOf(InvalidPipelineException.class);
    // Where it goes in as it is, it counts once: a tool step's argument.
    assertThatCode(() -> Expansion.checkSubmitted(pipeline(step("s", "{\"a\":\"${input.o}\"}")), input)).doesNotThrowAnyException();
  }

  @Test
  void aValueThatIsNotTextPutIntoATextCountsAsItsEscapedText() {
    assertThatThrownBy(() -> Expansion.checkSubmitted(pipeline(step("s", "{\"q\":\"all: ${input.o}\"}")), quotes()))
        .isInstanceOfSatisfying(InvalidPipelineException.class, e -> assertThat(e.code()).isEqualTo("expansion_too_large"));
  }

  @Test
  void stepsUnderTheStepLimitAreRefusedWhenTogetherTheyPassTheTotal() {
    JsonNode input = JsonNodeFactory.instance.objectNode().put("blob", "z".repeat(200_000));
    List<PipelineStep> steps = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      steps.add(step("s" + i, "{\"a\":\"${input.blob}\"}"));
    }
    assertThatCode(() -> Expansion.checkSubmitted(new PipelineDefinition(steps.subList(0, 5)), input)).doesNotThrowAnyException();
    assertThatThrownBy(() -> Expansion.checkSubmitted(new PipelineDefinition(steps), input))
        .isInstanceOf(InvalidPipelineException.class)
        .hasMessageContaining("together");
  }

  @Test
  void ordinaryPipelinesAndUnknownStepOutputsPass() {
    PipelineDefinition p =
        pipeline(
            step("a", "{\"city\":\"${input.city}\",\"n\":3}"),
            step("b", "{\"x\":\"${steps.a.output.text} and ${steps.a.output.text}\"}", "a"));
    assertThatCode(() -> Expansion.checkSubmitted(p, json("{\"city\":\"Oslo\"}"))).doesNotThrowAnyException();
  }

  @Test
  void sizesCountTheTemplateAndEveryValueItReads() {
    JsonNode context = json("{\"input\":{\"s\":\"abcd\",\"o\":{\"k\":1}},\"steps\":{}}");
    Expansion.Sizes sizes = new Expansion.Sizes(context);
    JsonNode template = json("{\"a\":\"${input.s}\",\"b\":\"${input.o}${input.o}\",\"c\":\"${steps.x.output}\"}");
    // "b" puts an object into a text twice: its JSON text, escaped again there, counts twice over each time.
    long expected = Expansion.of(template) + "\"abcd\"".length() + 2L * 2L * Expansion.of(json("{\"k\":1}"));
    assertThat(sizes.args(template)).isEqualTo(expected);
    // An upper bound of what the templates become.
    assertThat(sizes.args(template))
        .isGreaterThanOrEqualTo(Expansion.of(Templates.resolve(json("{\"a\":\"${input.s}\",\"b\":\"${input.o}${input.o}\"}"), context)));
  }

  @Test
  void aMeasureIsAtLeastTheJsonText() {
    for (String text : List.of("{\"a\":[1,2.5,true,null,\"x\\\"y\"],\"é\":\"日本\"}", "\"\\u0001\"", "[]", "{}", "-12e3")) {
      JsonNode node = json(text);
      assertThat(Expansion.of(node)).as(text).isGreaterThanOrEqualTo(node.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
    }
  }

  @Test
  void measuringStopsPastTheLimits() {
    JsonNode huge = JsonNodeFactory.instance.textNode("q".repeat(3_000_000));
    assertThat(Expansion.of(huge)).isGreaterThan(Expansion.MAX_TOTAL_ARGS_BYTES).isLessThan(3_000_000);
  }
}
