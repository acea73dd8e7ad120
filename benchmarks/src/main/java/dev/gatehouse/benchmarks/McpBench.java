package dev.gatehouse.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.http.BlockingHttp;
import dev.gatehouse.activities.mcp.McpJson;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The MCP tools/call benchmark's two halves (driven by {@code bench/mcp-bench}):
 *
 * <ul>
 *   <li>{@code upstream PORT}: a trivial MCP server (the Java SDK on Jetty) on 127.0.0.1:PORT/mcp
 *       with {@code echo} (readOnlyHint: direct through Gatehouse) and {@code echo_write} (no
 *       annotations: durable through Gatehouse); both return their {@code text} argument.
 *   <li>{@code proxy PORT UPSTREAM_URL [KIND]}: a bare relay to UPSTREAM_URL on
 *       127.0.0.1:PORT/mcp, checking and recording nothing (see {@link Relays}); by default
 *       ({@code servlet}) the floor of Gatehouse's own design: Jetty's thread per request (the
 *       server Dropwizard runs) and Gatehouse's upstream client ({@link BlockingHttp}).
 *   <li>{@code serve}: the load driver, one long-lived process for every row of a run: commands
 *       on stdin ({@code open URL TOOL CLIENTS [KEY]}, {@code load SECONDS}, {@code close},
 *       {@code quit}), one JSON line per command on stdout (see {@link #serve()}).
 *   <li>{@code sessions URL KEY N}: opens N idle sessions, prints one JSON line, and holds them
 *       until stdin closes or the process is killed.
 * </ul>
 *
 * The client speaks raw Streamable HTTP with {@link HttpClient}, not the SDK client, so the
 * figures contain as little client-side machinery as possible. It reports; it asserts nothing.
 */
public final class McpBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROTOCOL = "2025-06-18";

  public static void main(String[] args) throws Exception {
    // Without a configuration logback logs at DEBUG, which would dominate a trivial call's cost.
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.WARN);
    String cmd = args.length > 0 ? args[0] : "";
    switch (cmd) {
      case "upstream" -> upstream(Integer.parseInt(args[1]));
      case "proxy" -> Relays.run(args.length > 3 ? args[3] : "servlet", Integer.parseInt(args[1]), args[2]);
      case "serve" -> serve();
      case "sessions" -> sessions(args[1], args[2], Integer.parseInt(args[3]));
      default -> {
        System.err.println(
            "usage: McpBench upstream PORT | proxy PORT UPSTREAM_URL [" + String.join("|", Relays.KINDS) + "] | serve (commands on stdin) | sessions URL KEY N");
        System.exit(2);
      }
    }
  }

  // --- upstream ------------------------------------------------------------------------------

  static void upstream(int port) throws Exception {
    var json = new JacksonMcpJsonMapper(new ObjectMapper());
    var transport = HttpServletStreamableServerTransportProvider.builder().jsonMapper(json).mcpEndpoint("/mcp").build();
    String schema = "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}},\"required\":[\"text\"]}";
    McpSchema.Tool echo =
        McpSchema.Tool.builder()
            .name("echo")
            .description("Returns its text argument (read-only)")
            .inputSchema(json, schema)
            .annotations(new McpSchema.ToolAnnotations("Echo", true, false, true, false, false))
            .build();
    McpSchema.Tool echoWrite =
        McpSchema.Tool.builder().name("echo_write").description("Returns its text argument (no annotations)").inputSchema(json, schema).build();
    McpSyncServer mcp =
        McpServer.sync(transport)
            .jsonMapper(json)
            .jsonSchemaValidator(McpJson.PASS_THROUGH)
            .serverInfo("mcp-bench-upstream", "1.0.0")
            .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
            .tools(new SyncToolSpecification(echo, (ex, req) -> echoResult(req)), new SyncToolSpecification(echoWrite, (ex, req) -> echoResult(req)))
            .requestTimeout(Duration.ofSeconds(30))
            .build();
    ServletHolder holder = new ServletHolder("mcp", transport);
    holder.setAsyncSupported(true);
    Server jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    jetty.addConnector(connector);
    jetty.setHandler(Relays.servletContext(holder));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        mcp.close();
        jetty.stop();
      } catch (Exception ignored) {
        // exiting anyway
      }
    }));
    jetty.start();
    System.out.println("mcp-bench upstream on http://127.0.0.1:" + localPort(jetty) + "/mcp");
    jetty.join();
  }

  private static int localPort(Server jetty) {
    return ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
  }

  private static McpSchema.CallToolResult echoResult(McpSchema.CallToolRequest req) {
    Object text = req.arguments() == null ? null : req.arguments().get("text");
    return McpSchema.CallToolResult.builder().addTextContent(String.valueOf(text)).isError(false).build();
  }

  // --- client --------------------------------------------------------------------------------

  /** One MCP session over raw Streamable HTTP. */
  static final class Session {
    final HttpClient http;
    final URI uri;
    final String key;
    String id;
    String protocol = PROTOCOL;
    long nextId = 1;

    Session(HttpClient http, String url, String key) {
      this.http = http;
      this.uri = URI.create(url);
      this.key = key;
    }

    void open() throws IOException, InterruptedException {
      ObjectNode params = JSON.createObjectNode();
      params.put("protocolVersion", PROTOCOL);
      params.putObject("capabilities");
      params.putObject("clientInfo").put("name", "mcp-bench").put("version", "1");
      HttpResponse<String> r = post(request("initialize", params));
      JsonNode msg = message(r, 1);
      if (r.statusCode() != 200 || msg == null || !msg.has("result")) {
        throw new IOException("initialize: HTTP " + r.statusCode() + " " + abbreviate(r.body()));
      }
      id = r.headers().firstValue("Mcp-Session-Id").orElse(null);
      protocol = msg.path("result").path("protocolVersion").asText(PROTOCOL);
      ObjectNode note = JSON.createObjectNode().put("jsonrpc", "2.0").put("method", "notifications/initialized");
      HttpResponse<String> n = post(note.toString());
      if (n.statusCode() / 100 != 2) {
        throw new IOException("notifications/initialized: HTTP " + n.statusCode() + " " + abbreviate(n.body()));
      }
    }

    /** Calls the tool; null when the answer is a result carrying the text back, else what was wrong. */
    String call(String tool, String text) throws IOException, InterruptedException {
      ObjectNode params = JSON.createObjectNode().put("name", tool);
      params.putObject("arguments").put("text", text);
      long rid = nextId;
      HttpResponse<String> r = post(request("tools/call", params));
      JsonNode msg = message(r, rid);
      if (r.statusCode() != 200 || msg == null) return "HTTP " + r.statusCode() + " " + abbreviate(r.body());
      if (!msg.has("result")) return abbreviate(msg.toString());
      JsonNode result = msg.get("result");
      if (result.path("isError").asBoolean(false) || !text.equals(result.path("content").path(0).path("text").asText(null))) {
        return abbreviate(result.toString());
      }
      return null;
    }

    void delete() {
      if (id == null) return;
      try {
        http.send(builder().DELETE().build(), HttpResponse.BodyHandlers.discarding());
      } catch (Exception ignored) {
        // best effort: the gateway expires idle sessions anyway
      }
    }

    private String request(String method, JsonNode params) {
      ObjectNode m = JSON.createObjectNode().put("jsonrpc", "2.0").put("id", nextId++).put("method", method);
      m.set("params", params);
      return m.toString();
    }

    private HttpRequest.Builder builder() {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).header("Accept", "application/json, text/event-stream");
      if (key != null) b.header("Authorization", "Bearer " + key);
      if (id != null) b.header("Mcp-Session-Id", id).header("MCP-Protocol-Version", protocol);
      return b;
    }

    private HttpResponse<String> post(String body) throws IOException, InterruptedException {
      return http.send(
          builder().header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString());
    }
  }

  /** The JSON-RPC answer with this id, from a JSON body or an SSE body (its data events). */
  static JsonNode message(HttpResponse<String> r, long id) {
    String type = r.headers().firstValue("Content-Type").orElse("");
    try {
      if (type.startsWith("text/event-stream")) {
        StringBuilder data = new StringBuilder();
        for (String line : (r.body() + "\n\n").split("\r?\n", -1)) {
          if (line.startsWith("data:")) {
            data.append(data.length() > 0 ? "\n" : "").append(line.substring(line.startsWith("data: ") ? 6 : 5));
          } else if (line.isEmpty() && data.length() > 0) {
            JsonNode m = JSON.readTree(data.toString());
            if (m.path("id").asLong(-1) == id) return m;
            data.setLength(0);
          }
        }
        return null;
      }
      if (type.startsWith("application/json")) {
        JsonNode m = JSON.readTree(r.body());
        return m.path("id").asLong(-1) == id ? m : null;
      }
    } catch (IOException e) {
      return null;
    }
    return null;
  }

  static HttpClient httpClient() {
    // HTTP/1.1: the default would try an h2c upgrade on every new connection.
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
  }

  private static String abbreviate(String s) {
    return s == null ? "" : s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }

  // --- serve: one long-lived load driver --------------------------------------------------------

  /**
   * Reads commands on stdin, one per line, and answers each with one JSON line on stdout, so one
   * JVM (its JIT warmed once) drives every row of a run:
   *
   * <ul>
   *   <li>{@code open URL TOOL CLIENTS [KEY]}: opens CLIENTS sessions, each with its own HTTP client
   *       and connection (closing the sessions of a previous open);
   *   <li>{@code load SECONDS}: every session loops tools/call TOOL; the calls that start within
   *       SECONDS are measured and the answer comes once the last of them has ended, so a caller
   *       that reads /proc right before sending the command and right after the answer sees the
   *       CPU of exactly the measured calls (between commands the sessions are idle);
   *   <li>{@code close}: deletes the sessions; {@code quit}: exits.
   * </ul>
   */
  static void serve() throws Exception {
    java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
    Load load = null;
    String line;
    while ((line = in.readLine()) != null) {
      String[] a = line.trim().split("\\s+");
      ObjectNode out = JSON.createObjectNode();
      try {
        switch (a[0]) {
          case "open" -> {
            if (load != null) load.close();
            load = null;
            long t0 = System.nanoTime();
            load = new Load(a[1], a[2], Integer.parseInt(a[3]), a.length > 4 ? a[4] : null);
            out.put("ok", true).put("openMs", round((System.nanoTime() - t0) / 1e6, 1));
          }
          case "load" -> {
            if (load == null) throw new IllegalStateException("load before open");
            out = load.run(Double.parseDouble(a[1]));
          }
          case "close" -> {
            if (load != null) load.close();
            load = null;
            out.put("ok", true);
          }
          case "quit" -> {
            if (load != null) load.close();
            System.exit(0);
          }
          default -> throw new IllegalArgumentException("unknown command " + a[0]);
        }
      } catch (Exception e) {
        out = JSON.createObjectNode().put("ok", false).put("error", abbreviate(e.toString()));
      }
      System.out.println(out);
      System.out.flush();
    }
    if (load != null) load.close();
    System.exit(0);
  }

  /** CLIENTS open sessions and the threads that drive them. */
  static final class Load {
    final String url;
    final String tool;
    final List<Session> sessions = new ArrayList<>();
    final ExecutorService pool;
    final AtomicInteger printed = new AtomicInteger();

    Load(String url, String tool, int clients, String key) throws IOException, InterruptedException {
      if (clients < 1 || clients > 1000) throw new IllegalArgumentException("clients must be 1..1000");
      this.url = url;
      this.tool = tool;
      try {
        for (int i = 0; i < clients; i++) {
          Session s = new Session(httpClient(), url, key);
          sessions.add(s);
          s.open();
        }
      } catch (IOException | InterruptedException | RuntimeException e) {
        sessions.forEach(Session::delete);
        throw e;
      }
      pool = Executors.newFixedThreadPool(clients);
    }

    ObjectNode run(double seconds) throws Exception {
      if (!(seconds > 0 && seconds <= 3600)) throw new IllegalArgumentException("seconds must be 0..3600");
      long start = System.nanoTime();
      long to = start + (long) (seconds * 1e9);
      AtomicLong errors = new AtomicLong();
      AtomicLong lastEnd = new AtomicLong(start);
      List<Future<long[]>> futures = new ArrayList<>();
      for (Session s : sessions) {
        futures.add(pool.submit(() -> {
          long[] lat = new long[1024];
          int n = 0;
          long t1 = start;
          while (true) {
            long t0 = System.nanoTime();
            if (t0 >= to) break;
            String problem;
            try {
              problem = s.call(tool, "hi");
            } catch (Exception e) {
              problem = e.toString();
            }
            t1 = System.nanoTime();
            if (problem != null) {
              errors.incrementAndGet();
              if (printed.incrementAndGet() <= 3) System.err.println("mcp-bench: " + tool + ": " + problem);
              continue;
            }
            if (n == lat.length) lat = Arrays.copyOf(lat, n * 2);
            lat[n++] = t1 - t0;
          }
          long end = t1;
          lastEnd.accumulateAndGet(end, Math::max);
          return Arrays.copyOf(lat, n);
        }));
      }
      long[] all = new long[0];
      for (Future<long[]> f : futures) {
        long[] l = f.get();
        int old = all.length;
        all = Arrays.copyOf(all, old + l.length);
        System.arraycopy(l, 0, all, old, l.length);
      }
      Arrays.sort(all);
      double elapsed = (lastEnd.get() - start) / 1e9;
      ObjectNode out = JSON.createObjectNode();
      out.put("ok", true).put("target", url).put("tool", tool).put("clients", sessions.size());
      out.put("seconds", round(elapsed, 3)).put("calls", all.length).put("errors", errors.get());
      out.put("callsPerSecond", round(elapsed > 0 ? all.length / elapsed : 0, 1));
      out.put("p50Ms", ms(pct(all, 50))).put("p90Ms", ms(pct(all, 90))).put("p99Ms", ms(pct(all, 99)));
      out.put("maxMs", ms(all.length == 0 ? -1 : all[all.length - 1]));
      out.put("meanMs", ms(all.length == 0 ? -1 : Arrays.stream(all).sum() / all.length));
      return out;
    }

    void close() {
      pool.shutdownNow();
      sessions.forEach(Session::delete);
    }
  }

  /** Nearest-rank percentile; -1 when there are no samples. */
  static long pct(long[] sorted, int p) {
    if (sorted.length == 0) return -1;
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }

  private static double ms(long nanos) {
    return nanos < 0 ? -1 : round(nanos / 1e6, 3);
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  // --- sessions ------------------------------------------------------------------------------

  static void sessions(String url, String key, int n) throws Exception {
    HttpClient http = httpClient();
    AtomicLong errors = new AtomicLong();
    AtomicInteger printed = new AtomicInteger();
    List<Session> held = java.util.Collections.synchronizedList(new ArrayList<>());
    long t0 = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      futures.add(pool.submit(() -> {
        Session s = new Session(http, url, key);
        try {
          s.open();
          held.add(s);
        } catch (Exception e) {
          errors.incrementAndGet();
          if (printed.incrementAndGet() <= 3) System.err.println("mcp-bench: session: " + e);
        }
      }));
    }
    for (Future<?> f : futures) f.get();
    pool.shutdown();
    ObjectNode out = JSON.createObjectNode();
    out.put("target", url).put("sessionsRequested", n).put("sessionsOpen", held.size()).put("errors", errors.get());
    out.put("openSeconds", round((System.nanoTime() - t0) / 1e9, 2));
    System.out.println(out);
    System.out.flush();
    // Hold them (no DELETE) until stdin closes or the process is killed.
    while (System.in.read() != -1) {
      // discard
    }
    System.exit(0);
  }
}
