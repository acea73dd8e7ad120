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
}
