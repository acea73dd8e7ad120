package dev.gatehouse.frontend.models;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.FakeProvider.Reply;
import dev.gatehouse.frontend.testing.TestGatehouse;
import io.dropwizard.util.DataSize;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Model request bodies above the common limit ({@code limits.maxRequestBody}, 512 KiB): a
 * conversation outgrows it long before a model's context is full (Claude Code's did at about 130k
 * tokens, answered 413), so the model faces take up to {@code models.maxRequestBody} (2 MiB here),
 * and bodies above the common limit share {@code models.maxLargeBodyBytes} (3 MiB here, half of it
 * for one tenant) on a replica, for as long as their calls run: past it, 429 {@code overloaded}. A
 * {@link FakeProvider} (a fake LLM) answers.
 */
class ModelLargeBodiesTest {
  private static final String[] SDK = {"anthropic-version", "2023-06-01"};
  private static TestGatehouse gh;
  private static FakeProvider fake;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    fake = new FakeProvider();
    gh = TestGatehouse.start(c -> {
      c.getModels().setMaxRequestBody(DataSize.mebibytes(2));
      c.getModels().setMaxLargeBodyBytes(DataSize.mebibytes(3));
    });
    assertThat(gh.post("/admin/v1/providers", ADMIN_KEY,
        "{\"name\":\"large-anthropic\",\"type\":\"anthropic\",\"baseUrl\":\"" + fake.anthropicBase() + "\",\"timeout\":\"20s\"}").statusCode())
        .isEqualTo(201);
    assertThat(gh.post("/admin/v1/models", ADMIN_KEY,
        "{\"name\":\"large-claude\",\"targets\":[{\"provider\":\"large-anthropic\",\"model\":\"claude-upstream\"}],\"retry\":{\"maxAttempts\":1}}")
        .statusCode()).isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    if (gh != null) {
      gh.close();
    }
    if (fake != null) {
      fake.close();
    }
  }

  @AfterEach
  void reset() {
    fake.reset();
  }

  /** A Messages request whose body is about {@code bytes} long. */
  private static String conversation(int bytes) {
    return "{\"model\":\"large-claude\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\""
        + "a long conversation ".repeat(bytes / 20) + "\"}]}";
  }

  private static HttpResponse<String> post(String body) {
    return gh.post("/v1/messages", KEY_A, body, SDK);
  }

  private static CompletableFuture<HttpResponse<String>> postAsync(String body) {
    HttpRequest r = HttpRequest.newBuilder(URI.create(gh.api() + "/v1/messages"))
        .header("Authorization", "Bearer " + KEY_A).header("Content-Type", "application/json").header("anthropic-version", "2023-06-01")
        .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(30)).build();
    return HTTP.sendAsync(r, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aConversationPastTheCommonLimitReachesTheProviderWhole() {
    fake.script(Reply.text("Read it all.").withUsage(150_000, 4));
    String body = conversation(1_200_000);
    HttpResponse<String> r = post(body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(json(r).at("/content/0/text").asText()).isEqualTo("Read it all.");
    assertThat(fake.last().body().length()).isGreaterThan(1_200_000);

    // Past models.maxRequestBody: 413 in Anthropic's shape, and nothing is sent.
    fake.reset();
    HttpResponse<String> tooLarge = post(conversation(2_200_000));
    assertThat(tooLarge.statusCode()).as(tooLarge.body()).isEqualTo(413);
    assertThat(json(tooLarge).at("/error/type").asText()).isEqualTo("request_too_large");
    assertThat(fake.requests()).isEmpty();

    // The common limit still holds everywhere else.
    HttpResponse<String> task = gh.post("/v1/tasks", KEY_A, "{\"workflow\":\"pipeline\",\"input\":{\"x\":\"" + "y".repeat(600_000) + "\"}}");
    assertThat(task.statusCode()).as(task.body()).isEqualTo(413);
  }

  /**
   * A body is weighed as the tree it will be before it is built: a probe's 31 MB of empty objects,
   * within the budget by its bytes, took more than a gigabyte parsed and ran a 1 GB heap out.
   */
  @Test
  void aBodyOfManySmallValuesIsWeighedAsItsTreeBeforeItIsBuilt() {
    // 600 KB: within a tenant's share (1.5 MiB) by its bytes, 40 MB or so as a tree.
    String objects = "{\"model\":\"large-claude\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"x\":["
        + "{},".repeat(200_000) + "{}]}";
    HttpResponse<String> refused = post(objects);
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(413);
    assertThat(json(refused).at("/error/message").asText()).contains("models.maxLargeBodyBytes", "JSON values");
    assertThat(fake.requests()).isEmpty();
    // The budget it was counted against is given back: a large conversation goes through after it.
    fake.script(Reply.text("Fine.").withUsage(3, 1));
    HttpResponse<String> after = post(conversation(1_200_000));
    assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
  }

  /**
   * A Responses API request is two trees while its call runs (its own and the chat request made of
   * it): the same values weigh twice what they weigh in a Messages request.
   */
  @Test
  void aResponsesRequestIsWeighedAsItsTwoTrees() {
    assertThat(gh.post("/admin/v1/models", ADMIN_KEY,
        "{\"name\":\"large-gpt\",\"targets\":[{\"provider\":\"large-anthropic\",\"model\":\"claude-upstream\"}],\"retry\":{\"maxAttempts\":1}}")
        .statusCode()).isIn(201, 409);
    fake.script(Reply.text("Fine.").withUsage(3, 1));
    // About 625 KB and 7,500 JSON values: 1.35 MB as one tree, within a tenant's share (1.5 MiB); 2.07 MB as two.
    String turn = "{\"role\":\"user\",\"content\":\"" + "a".repeat(460) + "\"},";
    String turns = turn.repeat(1_249) + turn.substring(0, turn.length() - 1);
    HttpResponse<String> messages = post("{\"model\":\"large-claude\",\"max_tokens\":16,\"messages\":[" + turns + "]}");
    assertThat(messages.statusCode()).as(messages.body()).isEqualTo(200);

    fake.reset();
    HttpResponse<String> responses = gh.post("/v1/responses", KEY_A, "{\"model\":\"large-gpt\",\"max_output_tokens\":16,\"input\":[" + turns + "]}");
    assertThat(responses.statusCode()).as(responses.body()).isEqualTo(413);
    assertThat(fake.requests()).isEmpty();
  }

  @Test
  void largeBodiesShareTheirBudgetWhileTheirCallsRunAndGiveItBackAfter() throws Exception {
    fake.script(Reply.text("Slowly.").withUsage(100_000, 2).withDelay(Duration.ofSeconds(3)));
    CompletableFuture<HttpResponse<String>> first = postAsync(conversation(1_000_000));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (fake.requests().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(fake.requests()).as("the first call reached the provider").hasSize(1);

    // Its 1 MB is held until it ends: another large body of its tenant's finds no room in the
    // tenant's share, declared or not.
    HttpResponse<String> second = post(conversation(1_000_000));
    assertThat(second.statusCode()).as(second.body()).isEqualTo(429);
    JsonNode error = json(second).get("error");
    assertThat(error.get("code").asText()).isEqualTo("overloaded");
    assertThat(error.get("type").asText()).isEqualTo("overloaded_error");
    assertThat(second.headers().firstValue("Retry-After")).contains("1");
    HttpRequest chunked = HttpRequest.newBuilder(URI.create(gh.api() + "/v1/messages"))
        .header("Authorization", "Bearer " + KEY_A).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofInputStream(
            () -> new ByteArrayInputStream(conversation(1_000_000).getBytes(StandardCharsets.UTF_8))))
        .timeout(Duration.ofSeconds(30)).build();
    HttpResponse<String> unknownLength = HTTP.send(chunked, HttpResponse.BodyHandlers.ofString());
    assertThat(unknownLength.statusCode()).as(unknownLength.body()).isEqualTo(429);
    // Another tenant's has room: one tenant's bodies take at most half of it all.
    fake.script(Reply.text("Other tenant.").withUsage(3, 1));
    HttpResponse<String> other = gh.post("/v1/messages", TestGatehouse.KEY_B, conversation(1_000_000), SDK);
    assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
    // A body within the common limit is not counted.
    fake.script(Reply.text("Small.").withUsage(3, 1));
    HttpResponse<String> small = post(conversation(1_000));
    assertThat(small.statusCode()).as(small.body()).isEqualTo(200);

    assertThat(first.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    // Once it has ended, its bytes are free again.
    HttpResponse<String> after = post(conversation(1_000_000));
    assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
    assertThat(fake.requests("/v1/messages")).hasSize(4);
  }

  /** The replica's budget, and each tenant's half of it, as bodies grow and end. */
  @Test
  void eachTenantHoldsAtMostHalfAndAllTogetherAtMostTheWhole() {
    LargeBodies budget = new LargeBodies(0, 4 << 20, null);
    LargeBodies.Held a = budget.hold("a");
    a.grow(2 << 20);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.grow((2 << 20) + 1))
        .as("past its tenant's half: larger than it may ever hold").hasMessageContaining("one tenant");
    LargeBodies.Held a2 = budget.hold("a");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> a2.grow(1))
        .hasMessageContaining("this tenant's").hasMessageContaining("overloaded");
    LargeBodies.Held b = budget.hold("b");
    b.grow(2 << 20);
    LargeBodies.Held c = budget.hold("c");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.grow(1))
        .as("the whole budget is held").hasMessageContaining("all the memory");
    a.close();
    a.close(); // once
    c.grow(1 << 20);
    a2.grow(1 << 20);
    b.close();
    c.close();
    a2.close();
    LargeBodies.Held d = budget.hold("d");
    d.grow(2 << 20);
    d.close();
  }
}
