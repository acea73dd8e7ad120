package dev.gatehouse.frontend.models;

import static dev.gatehouse.frontend.models.FaceClient.anthropicError;
import static dev.gatehouse.frontend.models.FaceClient.bearer;
import static dev.gatehouse.frontend.models.FaceClient.openAiError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the model faces refuse before anything reaches a provider, on the real application over
 * real HTTP: a missing, wrong or admin credential, a wrong method, and every kind of bad body,
 * each a 4xx in the SDK's own error shape with Gatehouse's stable code.
 */
class ModelFaceRefusalsTest {
  static TestGatehouse gh;
  static FaceClient client;
  static final String CHAT = "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start();
    client = new FaceClient(gh.api());
  }

  @AfterAll
  static void stop() {
    gh.close();
  }

  @Test
  void anAgentCredentialIsRequiredAndAdminKeysAreRefused() {
    for (String path : List.of("/v1/chat/completions", "/v1/embeddings")) {
      HttpResponse<String> none = client.post(path, CHAT);
      JsonNode error = openAiError(none, 401, "unauthorized");
      assertThat(error.path("type").asText()).isEqualTo("authentication_error");
      assertThat(none.headers().firstValue("WWW-Authenticate")).isPresent();
      openAiError(client.post(path, CHAT, bearer("gk_not_a_key_0123456789")), 401, "unauthorized");
      JsonNode admin = openAiError(client.post(path, CHAT, bearer(TestGatehouse.ADMIN_KEY)), 403, "forbidden");
      assertThat(admin.path("type").asText()).isEqualTo("permission_error");
      assertThat(admin.path("message").asText()).contains("agent key");
    }
    openAiError(client.send(client.request("/v1/models")), 401, "unauthorized");
    openAiError(client.send(client.request("/v1/models", bearer(TestGatehouse.ADMIN_KEY))), 403, "forbidden");
    // x-api-key is the Anthropic face's; the OpenAI face does not read it.
    openAiError(client.post("/v1/chat/completions", CHAT, "x-api-key", TestGatehouse.KEY_A), 401, "unauthorized");
  }

  @Test
  void theAnthropicFaceTakesXApiKeyAsAnthropicSdksSendIt() {
    String[] sdk = {"anthropic-version", "2023-06-01", "anthropic-beta", "tools-2024-04-04"};
    HttpResponse<String> none = client.post("/v1/messages", CHAT, sdk);
    JsonNode error = anthropicError(none, 401, "unauthorized");
    assertThat(error.path("type").asText()).isEqualTo("authentication_error");
    assertThat(error.path("message").asText()).contains("x-api-key");
    anthropicError(client.post("/v1/messages", CHAT, "x-api-key", "gk_not_a_key_0123456789"), 401, "unauthorized");
    JsonNode admin = anthropicError(client.post("/v1/messages", CHAT, "x-api-key", TestGatehouse.ADMIN_KEY), 403, "forbidden");
    assertThat(admin.path("type").asText()).isEqualTo("permission_error");
    // A valid key in x-api-key (or as a bearer) gets past authentication: the body is what is refused.
    String noModel = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5}";
    JsonNode invalid =
        anthropicError(client.post("/v1/messages", noModel, "x-api-key", TestGatehouse.KEY_A, "anthropic-version", "2023-06-01"), 400, "invalid_request");
    assertThat(invalid.path("type").asText()).isEqualTo("invalid_request_error");
    assertThat(invalid.path("param").asText()).isEqualTo("model");
    anthropicError(client.post("/v1/messages", noModel, bearer(TestGatehouse.KEY_A)), 400, "invalid_request");
  }

  @Test
  void eachEndpointServesOneMethodAndSaysWhichIn405() {
    HttpResponse<String> get = client.send(client.request("/v1/chat/completions", bearer(TestGatehouse.KEY_A)));
    openAiError(get, 405, "method_not_allowed");
    assertThat(get.headers().firstValue("Allow")).contains("POST");
    HttpResponse<String> put =
        client.send(client.request("/v1/models", bearer(TestGatehouse.KEY_A)).PUT(HttpRequest.BodyPublishers.ofString("{}")));
    openAiError(put, 405, "method_not_allowed");
    assertThat(put.headers().firstValue("Allow")).contains("GET");
    HttpResponse<String> delete = client.send(client.request("/v1/messages", "x-api-key", TestGatehouse.KEY_A).DELETE());
    anthropicError(delete, 405, "method_not_allowed");
    assertThat(delete.headers().firstValue("Allow")).contains("POST");
    openAiError(client.send(client.request("/v1/embeddings").GET()), 405, "method_not_allowed");
  }

  record Bad(String path, String body, int status, String code, String param) {}

  @Test
  void badBodiesAreRefusedInTheFacesShapeNamingTheMember() {
    String msgs = ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    List<Bad> cases = List.of(
        new Bad("/v1/chat/completions", "{\"model\":", 400, "invalid_json", null),
        new Bad("/v1/chat/completions", "", 400, "invalid_json", null),
        new Bad("/v1/chat/completions", "{\"model\":\"a\"" + msgs + "} trailing", 400, "invalid_json", null),
        new Bad("/v1/chat/completions", "{\"model\":\"a\",\"model\":\"b\"" + msgs + "}", 400, "invalid_json", null),
        new Bad("/v1/chat/completions", "[1,2]", 400, "invalid_request", null),
        new Bad("/v1/chat/completions", "\"text\"", 400, "invalid_request", null),
        new Bad("/v1/chat/completions", "{" + msgs.substring(1) + "}", 400, "invalid_request", "model"),
        new Bad("/v1/chat/completions", "{\"model\":null" + msgs + "}", 400, "invalid_request", "model"),
        new Bad("/v1/chat/completions", "{\"model\":7" + msgs + "}", 400, "invalid_request", "model"),
        new Bad("/v1/chat/completions", "{\"model\":\"\"" + msgs + "}", 400, "invalid_request", "model"),
        new Bad("/v1/chat/completions", "{\"model\":[\"a\"]" + msgs + "}", 400, "invalid_request", "model"),
        new Bad("/v1/chat/completions", "{\"model\":\"a\",\"stream\":\"yes\"" + msgs + "}", 400, "invalid_request", "stream"),
        new Bad("/v1/chat/completions", "{\"model\":\"a\",\"stream\":1" + msgs + "}", 400, "invalid_request", "stream"),
        new Bad("/v1/chat/completions", "{\"model\":\"a\"}", 400, "invalid_request", "messages"),
        new Bad("/v1/chat/completions", "{\"model\":\"a\",\"messages\":{}}", 400, "invalid_request", "messages"),
        new Bad("/v1/chat/completions", "{\"model\":\"a\",\"messages\":[]}", 400, "invalid_request", "messages"),
        new Bad("/v1/chat/completions", "{\"model\":\"a\",\"messages\":[\"hi\"]}", 400, "invalid_request", "messages[0]"),
        new Bad("/v1/chat/completions", "{\"model\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"a\\u0000b\"}]}", 400, "invalid_request", null),
        new Bad("/v1/embeddings", "{\"model\":\"a\"}", 400, "invalid_request", "input"),
        new Bad("/v1/embeddings", "{\"model\":\"a\",\"input\":7}", 400, "invalid_request", "input"),
        new Bad("/v1/embeddings", "{\"model\":\"a\",\"input\":[]}", 400, "invalid_request", "input"),
        new Bad("/v1/embeddings", "{\"model\":\"a\",\"input\":\"\"}", 400, "invalid_request", "input"),
        new Bad("/v1/embeddings", "{\"model\":\"a\",\"input\":\"x\",\"stream\":true}", 400, "invalid_request", "stream"),
        new Bad("/v1/embeddings", "{\"input\":\"x\"}", 400, "invalid_request", "model"),
        new Bad("/v1/messages", "{\"model\":\"a\",\"max_tokens\":5}", 400, "invalid_request", "messages"),
        new Bad("/v1/messages", "{\"model\":\"a\",\"stream\":\"true\"" + msgs + "}", 400, "invalid_request", "stream"),
        new Bad("/v1/messages", "{\"model\":", 400, "invalid_json", null),
        // members the policy chain reads, refused by its first step
        new Bad("/v1/chat/completions", "{\"model\":\"a\",\"max_tokens\":0" + msgs + "}", 400, "invalid_request", "max_tokens"),
        new Bad("/v1/chat/completions", "{\"model\":\"a\",\"max_completion_tokens\":\"9\"" + msgs + "}", 400, "invalid_request", "max_completion_tokens"),
        new Bad("/v1/chat/completions", "{\"model\":\"a\",\"n\":129" + msgs + "}", 400, "invalid_request", "n"),
        new Bad("/v1/messages", "{\"model\":\"a\",\"max_tokens\":1.5" + msgs + "}", 400, "invalid_request", "max_tokens"));
    for (Bad c : cases) {
      HttpResponse<String> r = client.post(c.path(), c.body(), bearer(TestGatehouse.KEY_A));
      JsonNode error = c.path().equals("/v1/messages") ? anthropicError(r, c.status(), c.code()) : openAiError(r, c.status(), c.code());
      assertThat(error.path("type").asText()).as(c.body()).isEqualTo("invalid_request_error");
      if (c.param() != null) {
        assertThat(error.path("param").asText()).as(c.body() + " -> " + r.body()).isEqualTo(c.param());
      }
    }
  }

  @Test
  void contentTypesAndEncodingsOtherThanJsonAndGzipAreRefused() throws IOException {
    for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "application/xml", ";;;", ";")) {
      HttpResponse<String> r = client.send(client.request("/v1/chat/completions", bearer(TestGatehouse.KEY_A))
          .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofString(CHAT)));
      openAiError(r, 415, "unsupported_media_type");
    }
    openAiError(client.send(client.request("/v1/chat/completions", bearer(TestGatehouse.KEY_A))
        .header("Content-Type", "application/json").header("Content-Encoding", "br")
        .POST(HttpRequest.BodyPublishers.ofString(CHAT))), 415, "unsupported_encoding");
    for (byte[] garbage : List.of("not gzip at all".getBytes(StandardCharsets.UTF_8), new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8})) {
      HttpResponse<String> r = client.send(client.request("/v1/messages", "x-api-key", TestGatehouse.KEY_A)
          .header("Content-Type", "application/json").header("Content-Encoding", "gzip")
          .POST(HttpRequest.BodyPublishers.ofByteArray(garbage)));
      anthropicError(r, 400, "invalid_encoding");
    }
    // A valid gzip body is read as its JSON: here, one that is refused for its content.
    HttpResponse<String> inflated = client.send(client.request("/v1/chat/completions", bearer(TestGatehouse.KEY_A))
        .header("Content-Type", "application/json").header("Content-Encoding", "gzip")
        .POST(HttpRequest.BodyPublishers.ofByteArray(gzip("{\"model\":\"a\",\"stream\":\"no\"}"))));
    assertThat(openAiError(inflated, 400, "invalid_request").path("param").asText()).isEqualTo("stream");
  }

  @Test
  void anOversizedBodyIs413WhetherItsLengthIsDeclaredOrNot() {
    int max = (int) gh.config.getModels().getMaxRequestBody().toBytes(); // the model faces' own limit, not limits.maxRequestBody
    String big = "{\"model\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(max) + "\"}]}";
    openAiError(client.post("/v1/chat/completions", big, bearer(TestGatehouse.KEY_A)), 413, "request_too_large");
    HttpResponse<String> chunked = client.send(client.request("/v1/messages", "x-api-key", TestGatehouse.KEY_A)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8)))));
    assertThat(anthropicError(chunked, 413, "request_too_large").path("type").asText()).isEqualTo("request_too_large");
  }

  @Test
  void theRequestIdIsTheCallersWhenSaneAndEchoed() {
    HttpResponse<String> r = client.post("/v1/messages", "{}", "x-api-key", TestGatehouse.KEY_A, "X-Request-Id", "my-trace.42");
    anthropicError(r, 400, "invalid_request");
    assertThat(r.headers().firstValue("X-Request-Id")).contains("my-trace.42");
    HttpResponse<String> odd = client.post("/v1/chat/completions", "{}", "Authorization", "Bearer " + TestGatehouse.KEY_A, "X-Request-Id", "no spaces please");
    assertThat(odd.headers().firstValue("X-Request-Id").orElseThrow()).startsWith("req_");
  }

  /**
   * OpenAI's and Anthropic's endpoints Gatehouse does not serve answer 404 in the SDK's shape,
   * saying which API it is and what to call instead, once the credential is checked as on the
   * served ones; a probe's AI SDK, OpenAI Agents SDK and LangChain clients called {@code
   * /v1/responses} (not served then) and read "no such resource", and an Anthropic SDK's call with
   * its {@code x-api-key} (of the token counting not served then) was asked for a bearer key.
   */
  @Test
  void endpointsOfTheVendorsApisNotServedSayWhatToCallInstead() {
    JsonNode stored = openAiError(client.send(client.request("/v1/responses/resp_1", bearer(TestGatehouse.KEY_A))), 404, "not_found");
    assertThat(stored.path("type").asText()).isEqualTo("invalid_request_error");
    assertThat(stored.path("message").asText()).contains("stored responses", "send the whole conversation", "POST /v1/responses");
    assertThat(openAiError(client.post("/v1/completions", "{}", bearer(TestGatehouse.KEY_A)), 404, "not_found").path("message").asText())
        .contains("legacy Completions API");
    openAiError(client.post("/v1/chat/completions/abc", CHAT, bearer(TestGatehouse.KEY_A)), 404, "not_found");
    openAiError(client.post("/v1/moderations", "{}", bearer(TestGatehouse.KEY_A)), 404, "not_found");

    String[] sdk = {"x-api-key", TestGatehouse.KEY_A, "anthropic-version", "2023-06-01"};
    HttpResponse<String> batches = client.send(client.request("/v1/messages/batches", sdk));
    JsonNode batch = anthropicError(batches, 404, "not_found");
    assertThat(batch.path("type").asText()).isEqualTo("not_found_error");
    assertThat(batch.path("message").asText()).contains("Message Batches API", "POST /v1/messages", "POST /v1/messages/count_tokens");
    // Anthropic's SDKs read the request id from request-id.
    assertThat(batches.headers().firstValue("request-id")).isEqualTo(batches.headers().firstValue("X-Request-Id")).isPresent();
    anthropicError(client.post("/v1/messages/count_tokens/x", CHAT, sdk), 404, "not_found");
    // A served path with more after it is not that endpoint: nothing is called.
    anthropicError(client.post("/v1/messages/", CHAT, sdk), 404, "not_found");

    // Who asks is settled first, as on the served endpoints, x-api-key included.
    openAiError(client.post("/v1/responses", "{}"), 401, "unauthorized");
    // (An x-api-key that is not valid was told "the bearer key is not valid".)
    assertThat(anthropicError(client.post("/v1/messages/batches", CHAT, "x-api-key", "gk_not_a_key_0123456789"), 401, "unauthorized")
        .path("message").asText()).isEqualTo("the key is not valid");
    openAiError(client.post("/v1/responses", "{}", bearer(TestGatehouse.ADMIN_KEY)), 403, "forbidden");
    // Gatehouse's own API under /v1 is untouched.
    assertThat(gh.get("/v1/tasks?limit=1", TestGatehouse.KEY_A).statusCode()).isEqualTo(200);
  }

  @Test
  void theAnthropicFaceSendsItsRequestIdWhereAnthropicSdksReadIt() {
    HttpResponse<String> r = client.post("/v1/messages", "{}", "x-api-key", TestGatehouse.KEY_A, "X-Request-Id", "my-trace.43");
    anthropicError(r, 400, "invalid_request");
    assertThat(r.headers().firstValue("request-id")).contains("my-trace.43");
    HttpResponse<String> models = client.send(client.request("/v1/models", "x-api-key", TestGatehouse.KEY_A, "anthropic-version", "2023-06-01"));
    assertThat(models.statusCode()).isEqualTo(200);
    assertThat(models.headers().firstValue("request-id")).isEqualTo(models.headers().firstValue("X-Request-Id")).isPresent();
    // OpenAI's face keeps to x-request-id, which OpenAI's SDK reads.
    assertThat(client.post("/v1/chat/completions", "{}", bearer(TestGatehouse.KEY_A)).headers().firstValue("request-id")).isEmpty();
  }

  static byte[] gzip(String s) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(s.getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }
}
