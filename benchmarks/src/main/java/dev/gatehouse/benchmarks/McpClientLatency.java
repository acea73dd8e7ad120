package dev.gatehouse.benchmarks;

import dev.gatehouse.activities.mcp.McpJson;
import dev.gatehouse.activities.mcp.StreamableHttpClientTransport;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

/**
 * Per-call latency of {@code McpAsyncClient.callTool(...).block()} over the SDK's Streamable HTTP
 * transport and over Gatehouse's own ({@link StreamableHttpClientTransport}), of each transport
 * without the client, and of raw POSTs, against one upstream (e.g. {@code McpBench upstream}'s
 * {@code echo}). Reports, asserts nothing:
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.gatehouse.benchmarks.McpClientLatency http://127.0.0.1:19200/mcp [rounds]</pre>
 */
public final class McpClientLatency {
  private static final int WARMUP = 300;
  private static final int CALLS = 1000;
  private static final String TOOL = "echo";

  private McpClientLatency() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: McpClientLatency URL [rounds]");
      System.exit(2);
    }
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.WARN);
    String url = args[0];
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    for (int round = 0; round < rounds; round++) {
      report("sdk", loop(HttpClientStreamableHttpTransport.builder("http://" + URI.create(url).getRawAuthority()).endpoint(URI.create(url).getRawPath()).jsonMapper(McpJson.MAPPER).build()));
      report("gatehouse", loop(StreamableHttpClientTransport.builder(url).jsonMapper(McpJson.MAPPER).build()));
      report("raw", raw(url));
      report("sdk-bare", bare(HttpClientStreamableHttpTransport.builder("http://" + URI.create(url).getRawAuthority()).endpoint(URI.create(url).getRawPath()).jsonMapper(McpJson.MAPPER).build()));
      report("gh-bare", bare(StreamableHttpClientTransport.builder(url).jsonMapper(McpJson.MAPPER).build()));
    }
    System.exit(0);
  }

  private static long[] loop(McpClientTransport transport) {
    McpAsyncClient client =
        McpClient.async(transport).clientInfo(new McpSchema.Implementation("t", "1")).jsonSchemaValidator(McpJson.PASS_THROUGH)
            .requestTimeout(Duration.ofSeconds(10)).build();
    client.initialize().block();
    McpSchema.CallToolRequest call = new McpSchema.CallToolRequest(TOOL, Map.of("text", "hi"));
    long[] t = new long[CALLS];
    for (int i = 0; i < WARMUP + CALLS; i++) {
      long s = System.nanoTime();
      client.callTool(call).block();
      if (i >= WARMUP) {
        t[i - WARMUP] = System.nanoTime() - s;
      }
    }
    client.closeGracefully().block();
    return t;
  }

  /** The transport alone, no McpAsyncClient: sendMessage, then wait for the response's arrival. */
  private static long[] bare(McpClientTransport transport) throws Exception {
    java.util.concurrent.ConcurrentHashMap<Object, java.util.concurrent.CompletableFuture<Object>> pending = new java.util.concurrent.ConcurrentHashMap<>();
    transport.connect(m -> m.doOnNext(msg -> {
      if (msg instanceof McpSchema.JSONRPCResponse r) {
        var f = pending.remove(String.valueOf(r.id()));
        if (f != null) {
          f.complete(r);
        }
      }
    }).then(reactor.core.publisher.Mono.empty())).block();
    var initF = new java.util.concurrent.CompletableFuture<Object>();
    pending.put("0", initF);
    transport.sendMessage(new McpSchema.JSONRPCRequest("2.0", "initialize", 0, Map.of("protocolVersion", "2025-11-25", "capabilities", Map.of(), "clientInfo", Map.of("name", "t", "version", "1")))).block();
    initF.get();
    transport.sendMessage(new McpSchema.JSONRPCNotification("2.0", "notifications/initialized", null))
        .contextWrite(c -> c.put(io.modelcontextprotocol.client.McpAsyncClient.NEGOTIATED_PROTOCOL_VERSION, "2025-11-25")).block();
    long[] t = new long[CALLS];
    for (int i = 0; i < WARMUP + CALLS; i++) {
      long s = System.nanoTime();
      var f = new java.util.concurrent.CompletableFuture<Object>();
      pending.put(String.valueOf(i + 1), f);
      transport.sendMessage(new McpSchema.JSONRPCRequest("2.0", "tools/call", i + 1, Map.of("name", TOOL, "arguments", Map.of("text", "hi"))))
          .contextWrite(c -> c.put(io.modelcontextprotocol.client.McpAsyncClient.NEGOTIATED_PROTOCOL_VERSION, "2025-11-25")).block();
      f.get();
      if (i >= WARMUP) {
        t[i - WARMUP] = System.nanoTime() - s;
      }
    }
    transport.closeGracefully().block();
    return t;
  }

  private static long[] raw(String url) throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> init = http.send(post(url, null, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"), HttpResponse.BodyHandlers.ofString());
    String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
    http.send(post(url, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"), HttpResponse.BodyHandlers.ofString());
    long[] t = new long[CALLS];
    for (int i = 0; i < WARMUP + CALLS; i++) {
      long s = System.nanoTime();
      http.send(post(url, session, "{\"jsonrpc\":\"2.0\",\"id\":" + (i + 1) + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + TOOL + "\",\"arguments\":{\"text\":\"hi\"}}}"), HttpResponse.BodyHandlers.ofString());
      if (i >= WARMUP) {
        t[i - WARMUP] = System.nanoTime() - s;
      }
    }
    return t;
  }

  private static HttpRequest post(String url, String session, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream").header("MCP-Protocol-Version", "2025-11-25")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (session != null) {
      b.header("Mcp-Session-Id", session);
    }
    return b.build();
  }

  private static void report(String name, long[] t) {
    long[] s = t.clone();
    Arrays.sort(s);
    System.out.printf("%-10s n=%d p50=%.2f ms p90=%.2f ms p99=%.2f ms mean=%.2f ms%n", name, s.length,
        s[s.length / 2] / 1e6, s[s.length * 9 / 10] / 1e6, s[s.length * 99 / 100] / 1e6, Arrays.stream(s).average().orElse(0) / 1e6);
  }
}
