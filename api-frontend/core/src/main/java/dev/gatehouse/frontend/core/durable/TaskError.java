package dev.gatehouse.frontend.core.durable;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Why a task or one of its steps did not complete: a stable code from the error catalog, a
 * message, and for a failed step of a pipeline the step at fault and the code of its own failure
 * ({@code cause}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TaskError(String code, String message, String step, String cause) {
  public TaskError(String code, String message) {
    this(code, message, null, null);
  }
}
