package dev.gatehouse.activities.model;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A FAKE model provider on loopback (nothing real can run an LLM here): answers OpenAI-style
 * {@code /v1/chat/completions} with a scripted {@link Behaviour} per test, notes every request,
 * and counts streams whose reader went away.
 */
final class FakeLlm implements AutoCloseable {

  enum Behaviour {
    /** 200 with a chat completion (or a short stream when asked to stream). */
    ANSWER,
    /** 429 with Retry-After: 1. */
    RATE_LIMITED_1S,
    /** 429 with Retry-After: 60. */
    RATE_LIMITED_60S,
    /** 429 with a Retry-After of 31 years. */
    RATE_LIMITED_YEARS,
    /** 500. */
    FAIL_500,
    /** 400 with an OpenAI error body. */
    BAD_REQUEST,
    /** Never answers (until closed). */
    HANG,
    /** A stream that stops, connection reset, before its first event. */
    RESET_BEFORE_FIRST,
    /** A stream of two chunks, then the connection is reset. */
    RESET_MIDWAY,
    /** A long, slow stream: 200 chunks 20 ms apart. */
    SLOW_STREAM,
    /**
     * 200 with a chat completion of 400 words and no {@code usage}, as some compatible servers
     * answer (or, asked to stream, a short stream with no usage chunk).
     */
    ANSWER_WITHOUT_USAGE
  }

  record Seen(String authorization, String body) {}

  private final HttpServer server;
  private volatile Behaviour behaviour = Behaviour.ANSWER;
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  final AtomicInteger abandoned = new AtomicInteger();
  final String name;

  private FakeLlm(String name) throws IOException {
    this.name = name;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/v1/chat/completions", this::handle);
    server.createContext(
        "/",
        ex -> { // any other path is recorded too, and not found
          seen.add(new Seen(ex.getRequestHeaders().getFirst("Authorization"), new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
          ex.sendResponseHeaders(404, -1);
          ex.close();
        });
  }

  static FakeLlm start(String name) {
    try {
      FakeLlm f = new FakeLlm(name);
      f.server.start();
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  void behave(Behaviour b) {
    behaviour = b;
  }

  List<Seen> seen() {
    return seen;
  }

  void reset() {
    seen.clear();
    abandoned.set(0);
    behaviour = Behaviour.ANSWER;
  }

  private void handle(HttpExchange ex) throws IOException {
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    seen.add(new Seen(ex.getRequestHeaders().getFirst("Authorization"), body));
    boolean stream = body.contains("\"stream\":true");
    switch (behaviour) {
      case ANSWER -> {
        if (stream) {
          stream(ex, 3, 0, false);
        } else {
          json(ex, 200, completion());
        }
      }
      case RATE_LIMITED_1S -> {
        ex.getResponseHeaders().add("Retry-After", "1");
        json(ex, 429, "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit_error\"}}");
      }
      case RATE_LIMITED_YEARS -> {
        ex.getResponseHeaders().add("Retry-After", "999999999");
        json(ex, 429, "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit_error\"}}");
      }
      case RATE_LIMITED_60S -> {
        ex.getResponseHeaders().add("Retry-After", "60");
        json(ex, 429, "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit_error\"}}");
      }
      case FAIL_500 -> json(ex, 500, "{\"error\":{\"message\":\"boom\"}}");
      case BAD_REQUEST -> json(ex, 400, "{\"error\":{\"message\":\"messages: too long for this model\\nWARN  [2026-12-06 22:00:00,000] forged \\u001b[31m\\u202e!\",\"type\":\"invalid_request_error\"}}");
      case HANG -> {
        try {
          Thread.sleep(30_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        ex.close();
      }
      case RESET_BEFORE_FIRST -> {
        ex.getResponseHeaders().add("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        ex.getResponseBody().flush();
        ex.close();
      }
      case RESET_MIDWAY -> stream(ex, 2, 0, true);
      case SLOW_STREAM -> stream(ex, 200, 20, false);
      case ANSWER_WITHOUT_USAGE -> {
        if (stream) {
          stream(ex, 40, 0, false, false);
          return;
        }
        json(ex, 200,
              "{\"id\":\"chatcmpl-2\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m-" + name + "\","
                  + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + "word ".repeat(400).trim()
                  + "\"},\"finish_reason\":\"stop\"}]}");
      }
    }
  }

  private String completion() {
    return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m-" + name + "\","
        + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hello from " + name + "\"},\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":7,\"total_tokens\":18}}";
  }

  private void stream(HttpExchange ex, int chunks, long delayMs, boolean breakOff) throws IOException {
    stream(ex, chunks, delayMs, breakOff, true);
  }

  private void stream(HttpExchange ex, int chunks, long delayMs, boolean breakOff, boolean withUsage) throws IOException {
    ex.getResponseHeaders().add("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    try {
      for (int i = 0; i < chunks; i++) {
        String chunk =
            "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m-" + name + "\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"w" + i + " \"},\"finish_reason\":null}]}";
        out.write(("data: " + chunk + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        if (delayMs > 0) {
          Thread.sleep(delayMs);
        }
      }
      if (breakOff) {
        ex.close();
        return;
      }
      out.write(("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m-" + name + "\","
              + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n").getBytes(StandardCharsets.UTF_8));
      if (withUsage) out.write(("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m-" + name + "\","
              + "\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":" + chunks + ",\"total_tokens\":" + (11 + chunks) + "}}\n\n")
          .getBytes(StandardCharsets.UTF_8));
      out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      ex.close();
    } catch (IOException e) {
      abandoned.incrementAndGet();
      ex.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void json(HttpExchange ex, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }

  static Map<String, FakeLlm> named(String... names) {
    Map<String, FakeLlm> out = new ConcurrentHashMap<>();
    for (String n : names) {
      out.put(n, start(n));
    }
    return out;
  }
}
