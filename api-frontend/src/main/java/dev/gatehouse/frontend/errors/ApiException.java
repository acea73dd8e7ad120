package dev.gatehouse.frontend.errors;

import java.util.Map;

/**
 * The one exception resources throw for a request that cannot be served: an HTTP status, a
 * stable machine-readable {@code code}, and a message a person can act on. Mapped to
 * {@code {"error":{"code","message","requestId"}}} by {@link ApiExceptionMapper}.
 */
public class ApiException extends RuntimeException {
  private final int status;
  private final String code;
  private final Map<String, String> headers;

  public ApiException(int status, String code, String message) {
    this(status, code, message, Map.of());
  }

  public ApiException(int status, String code, String message, Map<String, String> headers) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public Map<String, String> headers() {
    return headers;
  }

  public static ApiException badRequest(String code, String message) {
    return new ApiException(400, code, message);
  }

  public static ApiException notFound(String code, String message) {
    return new ApiException(404, code, message);
  }

  public static ApiException unauthorized(String message) {
    return new ApiException(
        401, "unauthorized", message, Map.of("WWW-Authenticate", "Bearer realm=\"gatehouse\""));
  }
}
