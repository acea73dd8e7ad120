package dev.gatehouse.frontend.core.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.Texts;

/**
 * The faces' check of client text ({@link Texts}: no NUL character, no lone surrogate). Every
 * JSON body (REST through {@link JsonBodies}, JSON-RPC through {@code JsonRpc.parse}) and every
 * query and path parameter ({@link TextParametersFilter}) is checked once, before anything reads
 * it; the answer is 400 {@code invalid_request} naming where the character is.
 */
public final class TextChecks {
  private TextChecks() {}

  /** Throws 400 {@code invalid_request} when {@code value} (named {@code what}) is not acceptable text. */
  public static void require(String what, String value) {
    String problem = Texts.problem(value);
    if (problem != null) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, what + " " + problem);
    }
  }

  /**
   * Throws 400 {@code invalid_request} for the first string or field name of {@code json} that is
   * not acceptable text, naming it by its path ({@code pipeline.steps[0].tool}).
   */
  public static void require(JsonNode json) {
    String problem = Texts.firstProblem(json, "the body");
    if (problem != null) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, problem);
    }
  }
}
