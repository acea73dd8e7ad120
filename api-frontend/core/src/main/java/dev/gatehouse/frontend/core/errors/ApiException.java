package dev.gatehouse.frontend.core.errors;

import java.util.Map;

/**
 * A request that cannot be served, as every face throws it: an entry of the {@link ErrorCode}
 * catalog (which gives the stable code, the HTTP status and the JSON-RPC code) and a message a
 * person can act on, plus any headers the answer must carry ({@code Retry-After}, {@code
 * WWW-Authenticate}). Each face's mapper turns it into its own error shape; none builds a status
 * or a code by hand.
 */
public class ApiException extends RuntimeException {
  private final ErrorCode error;
  private final Map<String, String> headers;
  private final Map<String, Object> details;

  public ApiException(ErrorCode error, String message) {
    this(error, message, Map.of());
  }

  public ApiException(ErrorCode error, String message, Map<String, String> headers) {
    this(error, message, headers, Map.of());
  }

  /**
   * {@code details}: machine-readable facts about the refusal beyond its code (which limit, how
   * long to wait), in the REST error's {@code details} and a JSON-RPC error's {@code data}.
   */
  public ApiException(ErrorCode error, String message, Map<String, String> headers, Map<String, Object> details) {
    super(message, null, false, false);
    this.error = error;
    this.headers = headers;
    this.details = details;
  }

  public ErrorCode error() {
    return error;
  }

  public int status() {
    return error.httpStatus();
  }

  public String code() {
    return error.code();
  }

  public Map<String, String> headers() {
    return headers;
  }

  public Map<String, Object> details() {
    return details;
  }

  public static ApiException unauthorized(String message) {
    return new ApiException(
        ErrorCode.UNAUTHORIZED, message, Map.of("WWW-Authenticate", "Bearer realm=\"gatehouse\""));
  }
}
