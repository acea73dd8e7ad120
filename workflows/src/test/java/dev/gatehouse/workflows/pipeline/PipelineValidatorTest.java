package dev.gatehouse.workflows.pipeline;

import static dev.gatehouse.workflows.pipeline.TemplatesTest.json;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PipelineValidatorTest {

  private static PipelineStep step(String id, String args, String... deps) {
    return new PipelineStep(id, "t", json(args), List.of(deps));
  }

  private static void assertInvalid(String code, String message, PipelineStep... steps) {
    assertThatThrownBy(() -> PipelineValidator.validate(new PipelineDefinition(List.of(steps))))
        .isInstanceOf(InvalidPipelineException.class)
        .hasMessageContaining(message)
        .extracting(e -> ((InvalidPipelineException) e).code())
        .isEqualTo(code);
  }

  @Test
  void acceptsADag() {
    assertThatCode(
            () ->
                PipelineValidator.validate(
                    new PipelineDefinition(
                        List.of(
                            step("a", "{}"),
                            step("b", "{\"x\":\"${steps.a.output.v}\"}", "a"),
                            step("c", "{\"x\":\"${steps.a.output}\"}", "b")))))
        .doesNotThrowAnyException();
  }

  @Test
  void rejectsCycles() {
    assertInvalid("invalid_request", "cycle", step("a", "{}", "c"), step("b", "{}", "a"), step("c", "{}", "b"));
  }

  @Test
  void rejectsSelfDependency() {
    assertInvalid("invalid_request", "itself", step("a", "{}", "a"));
  }

  @Test
  void rejectsDanglingDependencies() {
    assertInvalid("invalid_request", "unknown step 'zz'", step("a", "{}", "zz"));
  }

  /** A probe's step listed one dependency 60,000 times. */
  @Test
  void rejectsADependencyListedTwiceOrMoreDependenciesThanSteps() {
    assertInvalid("invalid_request", "step 'b' lists a dependency twice", step("a", "{}"), step("b", "{}", "a", "a"));
    String[] many = new String[60_000];
    java.util.Arrays.fill(many, "a");
    assertInvalid("invalid_request", "step 'b' lists 60000 dependencies; the pipeline has 2 steps", step("a", "{}"), step("b", "{}", many));
  }

  @Test
  void rejectsDuplicateAndBadIds() {
    assertInvalid("invalid_request", "used twice", step("a", "{}"), step("a", "{}"));
    assertInvalid("invalid_request", "id", step("a b", "{}"));
  }

  @Test
  void rejectsEmptyPipelines() {
    assertInvalid("invalid_request", "at least one step");
  }

  @Test
  void rejectsReadingAStepThatIsNotADependency() {
    assertInvalid(
        "invalid_template",
        "does not depend on it",
        step("a", "{}"),
        step("b", "{\"x\":\"${steps.a.output}\"}"));
  }

  @Test
  void rejectsMalformedTemplates() {
    assertInvalid("invalid_template", "bad template", step("a", "{\"x\":\"${input.}\"}"));
  }

  @Test
  void rejectsArgsThatAreNotAnObject() {
    assertInvalid("invalid_request", "args must be an object", step("a", "[1]"));
  }

  private static PipelineStep model(String id, String messages, String... deps) {
    return new PipelineStep(id, null, null, "m", messages == null ? null : json(messages), null, List.of(deps));
  }

  private static final String HELLO = "[{\"role\":\"user\",\"content\":\"hello\"}]";

  @Test
  void acceptsModelStepsBesideToolSteps() {
    assertThatCode(
            () ->
                PipelineValidator.validate(
                    new PipelineDefinition(
                        List.of(
                            step("fetch", "{}"),
                            new PipelineStep(
                                "sum", null, null, "m",
                                json("[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                                    + "{\"role\":\"user\",\"content\":\"${input.q}: ${steps.fetch.output.body}\"}]"),
                                100, List.of("fetch")),
                            step("save", "{\"t\":\"${steps.sum.output.content}\"}", "sum")))))
        .doesNotThrowAnyException();
  }

  @Test
  void aStepIsEitherAToolStepOrAModelStep() {
    assertInvalid(
        "invalid_request",
        "step 'a' names both a tool and a model",
        new PipelineStep("a", "t", null, "m", json(HELLO), null, List.of()));
    assertInvalid("invalid_request", "step 'a' names no tool (or model)", new PipelineStep("a", null, null, List.of()));
    assertInvalid("invalid_request", "step 'a' is a model step: it takes messages, not args",
        new PipelineStep("a", null, json("{}"), "m", json(HELLO), null, List.of()));
    assertInvalid("invalid_request", "step 'a' is a tool step: messages belong to model steps",
        new PipelineStep("a", "t", json("{}"), null, json(HELLO), null, List.of()));
    assertInvalid("invalid_request", "step 'a' is a tool step: maxTokens belong to model steps",
        new PipelineStep("a", "t", json("{}"), null, null, 5, List.of()));
    assertInvalid("invalid_request", "step 'a': model must name a model",
        new PipelineStep("a", null, null, " ", json(HELLO), null, List.of()));
  }

  @Test
  void messagesMustBeANonEmptyArrayOfMessageObjects() {
    assertInvalid("invalid_request", "step 'a': messages must be a non-empty array", model("a", null));
    assertInvalid("invalid_request", "step 'a': messages must be a non-empty array", model("a", "[]"));
    assertInvalid("invalid_request", "step 'a': messages must be a non-empty array", model("a", "{\"role\":\"user\"}"));
    assertInvalid("invalid_request", "step 'a': messages[1] must be an object", model("a", "[{\"role\":\"user\",\"content\":\"x\"},\"hi\"]"));
    assertInvalid("invalid_request", "step 'a': messages[0].role must be a string", model("a", "[{\"content\":\"x\"}]"));
    assertInvalid("invalid_request", "step 'a': messages[0].role must be a string", model("a", "[{\"role\":7,\"content\":\"x\"}]"));
  }

  @Test
  void maxTokensMustBePositive() {
    assertInvalid("invalid_request", "step 'a': maxTokens must be at least 1",
        new PipelineStep("a", null, null, "m", json(HELLO), 0, List.of()));
  }

  @Test
  void templatesInMessagesAreChecked() {
    assertInvalid("invalid_template", "bad template", model("a", "[{\"role\":\"user\",\"content\":\"${steps.x}\"}]"));
    assertInvalid("invalid_template", "unclosed", model("a", "[{\"role\":\"user\",\"content\":\"${input.q\"}]"));
    assertInvalid(
        "invalid_template",
        "step 'b' reads steps.a but does not depend on it",
        step("a", "{}"),
        model("b", "[{\"role\":\"user\",\"content\":\"${steps.a.output}\"}]"));
  }
}
