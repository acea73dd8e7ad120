package dev.gatehouse.frontend.core.errors;

import com.fasterxml.jackson.annotation.JsonInclude;

/** {@code {"error":{"code","message","requestId"}}}: the shape of every error an agent sees. */
public record ErrorBody(Error error) {

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Error(String code, String message, String requestId) {}

  public static ErrorBody of(String code, String message, String requestId) {
    return new ErrorBody(new Error(code, message, requestId));
  }
}
