package dev.gatehouse.frontend.models;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.ModelCallException;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Errors of the model faces in the shape each SDK parses, with Gatehouse's stable code in it.
 * OpenAI: {@code {"error":{"message","type","param","code"}}}, {@code type} from the status as
 * OpenAI's SDKs expect it. Anthropic: {@code {"type":"error","error":{"type","message","code"},
 * "request_id"}}, {@code error.type} one of Anthropic's error types. Both carry the headers the
 * refusal needs ({@code Retry-After}, {@code WWW-Authenticate}, {@code Allow}); a rate limit's
 * refusal also the face's rate-limit headers ({@link RateLimitHeaders}).
 */
final class ModelErrors {
  static final ObjectMapper JSON = new ObjectMapper();

  /** A refusal as the faces answer it: whichever exception it came from. */
  record Refusal(int status, String code, String message, String param, Map<String, String> headers) {
    static Refusal of(ApiException e) {
      return new Refusal(e.status(), e.code(), e.getMessage(), null, e.headers());
    }

    static Refusal of(ModelCallException e, Dialect dialect) {
      Map<String, String> headers = new LinkedHashMap<>(RateLimitHeaders.of(dialect, e.rateLimits()));
      Duration retryAfter = e.retryAfter();
      if (retryAfter != null) {
        long seconds = Math.max(1, (retryAfter.toMillis() + 999) / 1000);
        headers.put("Retry-After", Long.toString(seconds));
      }
      int status = e.status() >= 400 && e.status() <= 599 ? e.status() : 502;
      return new Refusal(status, e.code(), e.getMessage(), e.param(), headers);
    }

    static Refusal internal(String requestId) {
      return new Refusal(
          500,
          ErrorCode.INTERNAL_ERROR.code(),
          "an unexpected error occurred inside Gatehouse; quote request id " + requestId + " when reporting it",
          null,
          Map.of());
    }
  }

  private ModelErrors() {}

  /** Writes {@code refusal} as the whole answer (the response must not be committed). */
  static void write(HttpServletResponse response, Dialect dialect, Refusal refusal, String requestId) throws IOException {
    response.resetBuffer();
    response.setStatus(refusal.status());
    refusal.headers().forEach(response::setHeader);
    byte[] body = JSON.writeValueAsBytes(dialect == Dialect.ANTHROPIC ? anthropic(refusal, requestId) : openAi(refusal));
    response.setContentType("application/json");
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }

  static ObjectNode openAi(Refusal r) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode error = root.putObject("error");
    error.put("message", r.message());
    error.put("type", openAiType(r.status()));
    error.put("param", r.param());
    error.put("code", r.code());
    return root;
  }

  static ObjectNode anthropic(Refusal r, String requestId) {
    ObjectNode root = JSON.createObjectNode();
    root.put("type", "error");
    ObjectNode error = root.putObject("error");
    error.put("type", anthropicType(r.status(), r.code()));
    error.put("message", r.message());
    error.put("code", r.code());
    if (r.param() != null) {
      error.put("param", r.param());
    }
    root.put("request_id", requestId);
    return root;
  }

  /** OpenAI's error types, which its SDKs read beside the status. */
  static String openAiType(int status) {
    return switch (status) {
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 429 -> "rate_limit_error";
      default -> status >= 500 ? "api_error" : "invalid_request_error";
    };
  }

  /** Anthropic's error types (its API's list); Gatehouse's own admission refusal is {@code overloaded_error}. */
  static String anthropicType(int status, String code) {
    if (ErrorCode.OVERLOADED.code().equals(code)) {
      return "overloaded_error";
    }
    return switch (status) {
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 404 -> "not_found_error";
      case 413 -> "request_too_large";
      case 429 -> "rate_limit_error";
      default -> status >= 500 ? "api_error" : "invalid_request_error";
    };
  }
}
