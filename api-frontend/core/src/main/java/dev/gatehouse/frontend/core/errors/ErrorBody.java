package dev.gatehouse.frontend.core.errors;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.Map;

/**
 * {@code {"error":{"code","message","requestId"}}}: the shape of every error an agent sees; a few
 * refusals add {@code details} (an {@code overloaded} answer names the limit it hit).
 */
public record ErrorBody(Error error) {

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Error(String code, String message, String requestId, Map<String, Object> details) {}

  public static ErrorBody of(String code, String message, String requestId) {
    return of(code, message, requestId, Map.of());
  }

  public static ErrorBody of(String code, String message, String requestId, Map<String, Object> details) {
    return new ErrorBody(new Error(code, message, requestId, details == null || details.isEmpty() ? null : details));
  }
}
