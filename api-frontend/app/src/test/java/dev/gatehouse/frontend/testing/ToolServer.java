package dev.gatehouse.frontend.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP tool upstream on loopback for full-app tests. Endpoints:
 * {@code /weather/{city}}, {@code /add?a=&b=}, {@code POST /echo}, {@code /flaky/{name}} (503 twice
 * per name, then 200), {@code /status/{code}} (with {@code ?detail=}, an error body that quotes it), {@code /big}, {@code /hold/{name}} (answers only
 * once released, or after 60 s), {@code /trickle/{name}} (a body byte every 100 ms for a minute;
 * notices a caller that goes away), {@code /sized/{n}} (a JSON string of {@code n} characters,
 * {@link #sized}). Records every request's Idempotency-Key.
 */
public final class ToolServer implements AutoCloseable {
  private final HttpServer server;
  public final List<String> requests = new CopyOnWriteArrayList<>();
  public final Map<String, List<String>> keysByPath = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> flaky = new ConcurrentHashMap<>();
  public final Map<String, CountDownLatch> holds = new ConcurrentHashMap<>();
  public final Map<String, CountDownLatch> held = new ConcurrentHashMap<>();
  private final Map<String, CountDownLatch> gone = new ConcurrentHashMap<>();

  public ToolServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", this::handle);
    server.start();
  }

  public String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** A latch that opens once a request to {@code /hold/{name}} has arrived. */
  public CountDownLatch arrived(String name) {
    return held.computeIfAbsent(name, k -> new CountDownLatch(1));
  }

  /** A latch that opens once the caller of {@code /trickle/{name}} has closed the connection. */
  public CountDownLatch disconnected(String name) {
    return gone.computeIfAbsent(name, k -> new CountDownLatch(1));
  }

  public void release(String name) {
    holds.computeIfAbsent(name, k -> new CountDownLatch(1)).countDown();
  }

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    String query = ex.getRequestURI().getQuery();
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    requests.add(ex.getRequestMethod() + " " + path);
    keysByPath.computeIfAbsent(path, k -> new CopyOnWriteArrayList<>()).add(String.valueOf(ex.getRequestHeaders().getFirst("Idempotency-Key")));
    int status = 200;
    String answer;
    if (path.startsWith("/weather/")) {
      String city = path.substring("/weather/".length());
      answer = "{\"city\":\"" + city + "\",\"tempC\":" + (city.length() * 3) + "}";
    } else if (path.equals("/add")) {
      Map<String, String> q = parseQuery(query);
      double sum = Double.parseDouble(q.get("a")) + Double.parseDouble(q.get("b"));
      answer = "{\"sum\":" + sum + "}";
    } else if (path.equals("/echo")) {
      answer = "{\"got\":" + (body.isEmpty() ? "null" : body) + "}";
    } else if (path.startsWith("/flaky/")) {
      int n = flaky.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
      status = n <= 2 ? 503 : 200;
      answer = n <= 2 ? "{\"error\":\"try again\"}" : "{\"attempt\":" + n + "}";
    } else if (path.startsWith("/status/")) {
      status = Integer.parseInt(path.substring("/status/".length()));
      String detail = parseQuery(query).get("detail");
      answer =
          "{\"error\":\"status " + status + "\""
              + (detail == null ? "" : ",\"detail\":" + com.fasterxml.jackson.databind.node.TextNode.valueOf(detail)) + "}";
    } else if (path.equals("/big")) {
      answer = "\"" + "x".repeat(300_000) + "\"";
    } else if (path.startsWith("/sized/")) {
      answer = "\"" + sized(Math.min(1_000_000, Integer.parseInt(path.substring("/sized/".length())))) + "\"";
    } else if (path.startsWith("/trickle/")) {
      trickle(ex, path.substring("/trickle/".length()));
      return;
    } else if (path.startsWith("/hold/")) {
      String name = path.substring("/hold/".length());
      arrived(name).countDown();
      try {
        holds.computeIfAbsent(name, k -> new CountDownLatch(1)).await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      answer = "{\"released\":\"" + name + "\"}";
    } else {
      status = 404;
      answer = "{}";
    }
    byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    try {
      ex.sendResponseHeaders(status, bytes.length);
      ex.getResponseBody().write(bytes);
    } catch (IOException clientGone) {
      // the caller timed out or was killed; nothing to answer
    }
    ex.close();
  }

  /**
   * Answers 200 at once, then a byte of its JSON body every 100 ms for a minute: a slow upstream
   * that notices when its caller goes away (a write then fails).
   */
  private void trickle(HttpExchange ex, String name) {
    arrived(name).countDown();
    try {
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, 0);
      var out = ex.getResponseBody();
      for (int i = 0; i < 600; i++) {
        out.write(' ');
        out.flush();
        Thread.sleep(100);
      }
      out.write("{\"trickled\":true}".getBytes(StandardCharsets.UTF_8));
      out.close();
    } catch (IOException callerGone) {
      disconnected(name).countDown();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      ex.close();
    }
  }

  /** {@code n} characters that say where they are ({@code <0><3><6>...}), none of which JSON escapes. */
  public static String sized(int n) {
    StringBuilder sb = new StringBuilder(n + 16);
    while (sb.length() < n) {
      sb.append('<').append(sb.length()).append('>');
    }
    sb.setLength(n);
    return sb.toString();
  }

  private static Map<String, String> parseQuery(String q) {
    Map<String, String> out = new java.util.HashMap<>();
    if (q != null) {
      for (String kv : q.split("&")) {
        int i = kv.indexOf('=');
        out.put(kv.substring(0, i), kv.substring(i + 1));
      }
    }
    return out;
  }

  /** A registry YAML with one tool per endpoint, pointing at this server. */
  public String registryYaml() {
    String b = base();
    return """
        tools:
          - {name: t.weather, http: {method: GET, url: "%1$s/weather/{city}"}, timeout: 5s,
             inputSchema: {type: object, properties: {city: {type: string, minLength: 1}}, required: [city]}}
          - {name: t.add, http: {method: GET, url: "%1$s/add"}, timeout: 5s}
          - {name: t.echo, http: {method: POST, url: "%1$s/echo"}, timeout: 5s}
          - {name: t.flaky, http: {method: GET, url: "%1$s/flaky/{name}"}, timeout: 5s, retry: {maxAttempts: 3, initialInterval: 50ms, backoff: 1.0}}
          - {name: t.status, http: {method: GET, url: "%1$s/status/{code}"}, timeout: 5s, retry: {maxAttempts: 3, initialInterval: 50ms}}
          - {name: t.big, http: {method: GET, url: "%1$s/big"}, timeout: 5s}
          - {name: t.hold, http: {method: GET, url: "%1$s/hold/{name}"}, timeout: 30s, retry: {maxAttempts: 1}}
          - {name: t.trickle, http: {method: GET, url: "%1$s/trickle/{name}"}, timeout: 30s, retry: {maxAttempts: 1}}
          - {name: t.sized, http: {method: GET, url: "%1$s/sized/{n}"}, timeout: 5s,
             inputSchema: {type: object, properties: {n: {type: integer, minimum: 0}}, required: [n]}}
          - {name: t.hold-short, http: {method: GET, url: "%1$s/hold/{name}"}, timeout: 2s, retry: {maxAttempts: 5, initialInterval: 100ms, backoff: 1.0}}
        """.formatted(b);
  }

  @Override
  public void close() {
    holds.values().forEach(CountDownLatch::countDown);
    server.stop(0);
  }
}
