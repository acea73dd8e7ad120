package dev.gatehouse.frontend.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake LLM provider for tests (not a model: canned answers), on loopback: OpenAI-compatible
 * ({@code /v1/chat/completions}, {@code /v1/embeddings}; base URL {@link #openAiBase}) and
 * Anthropic-compatible ({@code /v1/messages}; base URL {@link #anthropicBase}), streamed and not.
 * The provider model {@code slow} streams {@link #SLOW_CHUNKS} chunks 50 ms apart, so a test can
 * leave mid-stream; {@link #peerClosed} counts the streams whose write failed because Gatehouse closed
 * the connection. The last {@link #MAX_KEPT} requests are kept ({@link #requests}) with their headers.
 */
public final class FakeModelProvider implements AutoCloseable {
  public static final int SLOW_CHUNKS = 200;
  public static final int SLEEPY_MILLIS = 2_500;
  /** The most requests kept (the oldest go first): a fuzz run sends thousands, some large. */
  public static final int MAX_KEPT = 200;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A request the fake received. */
  public record Seen(String path, Map<String, List<String>> headers, JsonNode body) {
    public String header(String name) {
      for (var e : headers.entrySet()) {
        if (e.getKey().equalsIgnoreCase(name)) {
          return e.getValue().get(0);
        }
      }
      return null;
    }
  }

  public final List<Seen> requests = new CopyOnWriteArrayList<>();
  public final AtomicInteger peerClosed = new AtomicInteger();
  public final AtomicInteger slowChunksSent = new AtomicInteger();
  private final HttpServer server;
  private final ExecutorService pool = Executors.newCachedThreadPool();

  public FakeModelProvider() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/v1/chat/completions", this::openAi);
    server.createContext("/v1/embeddings", this::embeddings);
    server.createContext("/v1/messages", this::anthropic);
    server.setExecutor(pool);
    server.start();
  }

  public String openAiBase() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  public String anthropicBase() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private JsonNode read(HttpExchange ex) throws IOException {
    JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
    requests.add(new Seen(ex.getRequestURI().getPath(), Map.copyOf(ex.getRequestHeaders()), body));
    if (requests.size() > MAX_KEPT) {
      requests.remove(0);
    }
    return body;
  }

  private void openAi(HttpExchange ex) throws IOException {
    JsonNode body = read(ex);
    String model = body.path("model").asText();
    if (refused(ex, model, "{\"error\":{\"message\":\"%s\",\"type\":\"%s\"}}")) {
      return;
    }
    if (!body.path("stream").asBoolean(false)) {
      json(ex, """
          {"id":"chatcmpl-fake","object":"chat.completion","created":1700000000,"model":"%s",
           "choices":[{"index":0,"message":{"role":"assistant","content":"hello from the fake"},"finish_reason":"stop"}],
           "usage":{"prompt_tokens":5,"completion_tokens":4,"total_tokens":9}}
          """.formatted(model));
      return;
    }
    boolean usage = body.path("stream_options").path("include_usage").asBoolean(false);
    stream(ex, out -> {
      String head = "{\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"" + model + "\",";
      event(out, null, head + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}");
      List<String> words = words(model);
      for (String w : words) {
        event(out, null, head + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + w + "\"},\"finish_reason\":null}]}");
        pace(model);
      }
      event(out, null, head + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}");
      if (usage) {
        event(out, null, head + "\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":" + words.size() + ",\"total_tokens\":" + (5 + words.size()) + "}}");
      }
      event(out, null, "[DONE]");
    });
  }

  private void embeddings(HttpExchange ex) throws IOException {
    JsonNode body = read(ex);
    json(ex, """
        {"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.25,-0.5,0.125]}],
         "model":"%s","usage":{"prompt_tokens":2,"total_tokens":2}}
        """.formatted(body.path("model").asText()));
  }

  private void anthropic(HttpExchange ex) throws IOException {
    JsonNode body = read(ex);
    String model = body.path("model").asText();
    if (refused(ex, model, "{\"type\":\"error\",\"error\":{\"message\":\"%s\",\"type\":\"%s\"}}")) {
      return;
    }
    if (!body.path("stream").asBoolean(false)) {
      json(ex, """
          {"id":"msg_fake","type":"message","role":"assistant","model":"%s",
           "content":[{"type":"text","text":"hello from the fake"}],
           "stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":4}}
          """.formatted(model));
      return;
    }
    stream(ex, out -> {
      event(out, "message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_fake\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\""
          + model + "\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}");
      event(out, "content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
      event(out, "ping", "{\"type\":\"ping\"}");
      List<String> words = words(model);
      for (String w : words) {
        event(out, "content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"" + w + "\"}}");
        pace(model);
      }
      event(out, "content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
      event(out, "message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":" + words.size() + "}}");
      event(out, "message_stop", "{\"type\":\"message_stop\"}");
    });
  }

  /**
   * The provider models that do not answer normally: {@code rate-limited} (429, {@code Retry-After:
   * 7}), {@code broken} (500); {@code sleepy} answers after {@link #SLEEPY_MILLIS}.
   */
  private boolean refused(HttpExchange ex, String model, String errorShape) throws IOException {
    if (model.equals("sleepy")) {
      try {
        Thread.sleep(SLEEPY_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return false;
    }
    int status = model.equals("rate-limited") ? 429 : model.equals("broken") ? 500 : 0;
    if (status == 0) {
      return false;
    }
    if (status == 429) {
      ex.getResponseHeaders().set("Retry-After", "7");
    }
    byte[] bytes = errorShape.formatted(status == 429 ? "slow down" : "the fake broke", status == 429 ? "rate_limit_error" : "api_error")
        .getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
    return true;
  }

  private List<String> words(String model) {
    if (model.equals("slow")) {
      List<String> many = new java.util.ArrayList<>();
      for (int i = 0; i < SLOW_CHUNKS; i++) {
        many.add("w" + i + " ");
      }
      return many;
    }
    return List.of("hello", " from", " the", " fake");
  }

  private void pace(String model) throws IOException {
    if (model.equals("slow")) {
      slowChunksSent.incrementAndGet();
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
    }
  }

  private interface Events {
    void write(OutputStream out) throws IOException;
  }

  private void stream(HttpExchange ex, Events events) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    try (OutputStream out = ex.getResponseBody()) {
      events.write(out);
    } catch (IOException e) {
      peerClosed.incrementAndGet();
    } finally {
      ex.close();
    }
  }

  private static void event(OutputStream out, String name, String data) throws IOException {
    String text = (name == null ? "" : "event: " + name + "\n") + "data: " + data + "\n\n";
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static void json(HttpExchange ex, String body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes((ObjectNode) JSON.readTree(body));
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
