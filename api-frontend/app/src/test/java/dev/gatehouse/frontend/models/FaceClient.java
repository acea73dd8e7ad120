package dev.gatehouse.frontend.models;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An HTTP client for the model faces as an SDK would use them, and the checks that an error
 * answer is one the OpenAI or Anthropic SDK parses: JSON, the SDK's members with the SDK's types,
 * Gatehouse's stable code inside, and nothing of Java.
 */
final class FaceClient {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Set<String> OPENAI_TYPES =
      Set.of("invalid_request_error", "authentication_error", "permission_error", "rate_limit_error", "api_error");
  static final Set<String> ANTHROPIC_TYPES =
      Set.of(
          "invalid_request_error", "authentication_error", "permission_error", "not_found_error", "request_too_large",
          "rate_limit_error", "api_error", "overloaded_error");
  private static final Pattern LEAK =
      Pattern.compile("java\\.|javax\\.|jakarta\\.|dev\\.gatehouse\\.|com\\.fasterxml|Exception|\\bat [\\w.$]+\\(");

  private final String base;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  FaceClient(String base) {
    this.base = base;
  }

  /** A request to {@code path} with the given headers (name, value, ...) and no credential unless a header gives one. */
  HttpRequest.Builder request(String path, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return b;
  }

  HttpResponse<String> post(String path, String body, String... headers) {
    return send(request(path, headers).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  HttpResponse<String> send(HttpRequest.Builder b) {
    try {
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static String[] bearer(String key) {
    return new String[] {"Authorization", "Bearer " + key};
  }

  static JsonNode json(HttpResponse<String> r) {
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new AssertionError("not JSON (" + r.statusCode() + "): " + r.body(), e);
    }
  }

  /** Asserts an OpenAI-shaped error with this status and code; returns the error object. */
  static JsonNode openAiError(HttpResponse<String> r, int status, String code) {
    String context = r.request().method() + " " + r.request().uri().getPath() + " -> " + r.statusCode() + " " + r.body();
    assertThat(r.statusCode()).as(context).isEqualTo(status);
    noJava(r, context);
    JsonNode error = json(r).path("error");
    assertThat(error.isObject()).as(context).isTrue();
    assertThat(error.path("message").isTextual()).as(context).isTrue();
    assertThat(error.path("type").asText()).as(context).isIn(OPENAI_TYPES);
    assertThat(error.has("param") && (error.get("param").isNull() || error.get("param").isTextual())).as(context).isTrue();
    assertThat(error.path("code").asText()).as(context).isEqualTo(code);
    return error;
  }

  /** Asserts an Anthropic-shaped error with this status and code; returns the error object. */
  static JsonNode anthropicError(HttpResponse<String> r, int status, String code) {
    String context = r.request().method() + " " + r.request().uri().getPath() + " -> " + r.statusCode() + " " + r.body();
    assertThat(r.statusCode()).as(context).isEqualTo(status);
    noJava(r, context);
    JsonNode root = json(r);
    assertThat(root.path("type").asText()).as(context).isEqualTo("error");
    JsonNode error = root.path("error");
    assertThat(error.path("type").asText()).as(context).isIn(ANTHROPIC_TYPES);
    assertThat(error.path("message").isTextual()).as(context).isTrue();
    assertThat(error.path("code").asText()).as(context).isEqualTo(code);
    assertThat(root.path("request_id").asText()).as(context).isEqualTo(r.headers().firstValue("X-Request-Id").orElse(null));
    return error;
  }

  private static void noJava(HttpResponse<String> r, String context) {
    assertThat(r.headers().firstValue("Content-Type").orElse("")).as(context).startsWith("application/json");
    assertThat(LEAK.matcher(r.body()).find()).as("no Java names: " + context).isFalse();
    assertThat(r.headers().firstValue("X-Request-Id")).as(context).isPresent();
  }
}
