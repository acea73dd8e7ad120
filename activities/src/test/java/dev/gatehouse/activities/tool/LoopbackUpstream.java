package dev.gatehouse.activities.tool;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/** A real HTTP server on loopback standing in for tools' upstreams and token endpoints; notes every request. */
final class LoopbackUpstream implements AutoCloseable {

  record Request(String method, String path, String authorization, String body) {}

  record Answer(int status, String json) {}

  private final HttpServer server;
  private final Map<String, Function<Request, Answer>> routes = new ConcurrentHashMap<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();

  private LoopbackUpstream(HttpServer server) {
    this.server = server;
  }

  static LoopbackUpstream start() {
    try {
      LoopbackUpstream upstream = new LoopbackUpstream(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0));
      upstream.server.createContext("/", upstream::handle);
      upstream.server.start();
      return upstream;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void handle(com.sun.net.httpserver.HttpExchange ex) throws IOException {
    Request r =
        new Request(
            ex.getRequestMethod(),
            ex.getRequestURI().getPath(),
            ex.getRequestHeaders().getFirst("Authorization"),
            new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
    requests.add(r);
    Answer a = routes.getOrDefault(r.path(), x -> new Answer(404, "{\"error\":\"no route\"}")).apply(r);
    byte[] bytes = a.json().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(a.status(), bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }

  void route(String path, Function<Request, Answer> answer) {
    routes.put(path, answer);
  }

  String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  List<Request> requests(String path) {
    return requests.stream().filter(r -> r.path().equals(path)).toList();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
