package dev.gatehouse.frontend.core.errors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.policies.DenialCodes;
import dev.gatehouse.workflows.pipeline.PipelineWorkflow;
import dev.gatehouse.workflows.task.FailureCodes;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The catalog is whole and agrees with itself: one entry per code, every failure type any
 * activity or workflow throws and every code a policy denies with has its entry, a failure type's
 * code follows the one naming rule the workflows use, and docs/errors.md lists exactly the
 * catalog.
 */
class ErrorCodeTest {

  @Test
  void codesAreUniqueStableSnakeCase() {
    Set<String> seen = new TreeSet<>();
    for (ErrorCode e : ErrorCode.values()) {
      assertThat(e.code()).matches("[a-z][a-z0-9_]*");
      assertThat(seen.add(e.code())).as("code %s listed once", e.code()).isTrue();
      assertThat(ErrorCode.ofCode(e.code())).contains(e);
      assertThat(e.httpStatus()).isBetween(400, 599);
      assertThat(e.jsonRpcCode()).as("a JSON-RPC error code (reserved or server range)").isBetween(-32800, -32000);
    }
  }

  @Test
  void everyFailureTypeThrownHasItsEntryNamedByTheWorkflowsRule() throws Exception {
    List<String> types = new ArrayList<>(constants(ToolFailureTypes.class));
    types.add(PipelineWorkflow.STEP_FAILED);
    types.add(PipelineWorkflow.TEMPLATE_ERROR);
    types.add(dev.gatehouse.workflows.agent.AgentWorkflow.MODEL_FAILED);
    types.add(dev.gatehouse.workflows.agent.AgentWorkflow.TRANSCRIPT_TOO_LARGE);
    types.add(dev.gatehouse.workflows.model.ModelBudget.BUDGET_EXCEEDED);
    types.addAll(constants(dev.gatehouse.workflows.spi.Governed.class));
    for (String type : types) {
      ErrorCode entry = ErrorCode.ofFailureType(type).orElseThrow(() -> new AssertionError("no catalog entry for " + type));
      assertThat(entry.code()).isEqualTo(FailureCodes.of(type));
      assertThat(ErrorCode.codeOfFailureType(type)).isEqualTo(entry.code());
    }
    // A type no one listed (a team's own workflow) still gets a code by the same rule.
    assertThat(ErrorCode.codeOfFailureType("QuotaSpent")).isEqualTo("quota_spent");
  }

  @Test
  void everyDenialCodeOfThePoliciesIsInTheCatalog() throws Exception {
    for (String code : constants(DenialCodes.class)) {
      assertThat(ErrorCode.ofCode(code)).as(code).isPresent();
    }
  }

  @Test
  void everyCodeAModelCallFailsWithIsInTheCatalog() throws Exception {
    for (String code : constants(dev.gatehouse.activities.model.ModelCodes.class)) {
      assertThat(ErrorCode.ofCode(code)).as(code).isPresent();
    }
  }

  @Test
  void aToolThatRanAndFailedIsAnUpstreamKindOfFailure() {
    for (ErrorCode e : ErrorCode.values()) {
      if (e.toolOutcome()) {
        assertThat(e.httpStatus()).as(e.code()).isGreaterThanOrEqualTo(500);
        assertThat(e.jsonRpcCode()).as(e.code()).isEqualTo(ErrorCode.Rpc.UPSTREAM);
      }
    }
    assertThat(ErrorCode.UPSTREAM_CLIENT_ERROR.toolOutcome()).isTrue();
    assertThat(ErrorCode.UNKNOWN_TOOL.toolOutcome()).isFalse();
    assertThat(ErrorCode.INVALID_ARGUMENTS.toolOutcome()).isFalse();
    assertThat(ErrorCode.TOOL_NOT_ALLOWED.toolOutcome()).isFalse();
  }

  @Test
  void statusesWithoutACodeOfTheirOwnMapToTheCatalog() {
    assertThat(ErrorCode.ofHttpStatus(405)).isEqualTo(ErrorCode.METHOD_NOT_ALLOWED);
    assertThat(ErrorCode.ofHttpStatus(418)).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(ErrorCode.ofHttpStatus(503)).isEqualTo(ErrorCode.INTERNAL_ERROR);
    for (int status : new int[] {400, 401, 403, 404, 405, 406, 413, 414, 415, 431, 505}) {
      assertThat(ErrorCode.ofHttpStatus(status).httpStatus()).isEqualTo(status);
    }
  }

  @Test
  void theDocsListExactlyTheCatalog() throws Exception {
    String docs = Files.readString(Path.of("../../docs/errors.md"));
    Matcher row = Pattern.compile("^\\| `([a-z_]+)` \\| (\\d{3}) \\| (-\\d+) \\|", Pattern.MULTILINE).matcher(docs);
    Set<String> documented = new TreeSet<>();
    while (row.find()) {
      ErrorCode e = ErrorCode.ofCode(row.group(1)).orElseThrow(() -> new AssertionError("docs list unknown code " + row.group(1)));
      assertThat(Integer.parseInt(row.group(2))).as("HTTP status of " + e.code()).isEqualTo(e.httpStatus());
      assertThat(Integer.parseInt(row.group(3))).as("JSON-RPC code of " + e.code()).isEqualTo(e.jsonRpcCode());
      documented.add(e.code());
    }
    assertThat(documented).containsExactlyInAnyOrderElementsOf(Arrays.stream(ErrorCode.values()).map(ErrorCode::code).toList());
  }

  private static List<String> constants(Class<?> holder) throws IllegalAccessException {
    List<String> out = new ArrayList<>();
    for (Field f : holder.getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        out.add((String) f.get(null));
      }
    }
    return out;
  }
}
