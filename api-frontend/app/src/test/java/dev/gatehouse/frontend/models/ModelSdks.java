package dev.gatehouse.frontend.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.frontend.mcp.NodeTools;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The official model SDKs and the real mock server of the Node interop tooling ({@code
 * src/test/mcp-interop}): {@code openai-client.mjs} and {@code anthropic-client.mjs} run one SDK
 * call and print its result as one JSON line; {@link MockLlm} is {@code @dwmkerr/mock-llm}, an
 * OpenAI-compatible mock server, on a free loopback port with the tooling's {@code mock-llm.yaml}.
 */
final class ModelSdks {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(90);

  private ModelSdks() {}

  /** One call of the OpenAI SDK ({@code baseUrl} ends in {@code /v1}); see openai-client.mjs for the modes. */
  static JsonNode openai(String baseUrl, String key, String model, String mode) {
    return run(List.of("node", "openai-client.mjs", baseUrl, key, model, mode));
  }

  /**
   * One call of the Anthropic SDK ({@code baseUrl} without {@code /v1}); {@code auth} is {@code
   * bearer} (the SDK's own) or {@code x-api-key}. See anthropic-client.mjs for the modes.
   */
  static JsonNode anthropic(String baseUrl, String key, String model, String mode, String auth) {
    return run(List.of("node", "anthropic-client.mjs", baseUrl, key, model, mode, auth));
  }

  static JsonNode anthropic(String baseUrl, String key, String model, String mode) {
    return anthropic(baseUrl, key, model, mode, "bearer");
  }

  private static JsonNode run(List<String> command) {
    NodeTools.Result r = NodeTools.run(command, Map.of(), CALL_TIMEOUT);
    String line = null;
    for (String l : r.output().split("\n")) {
      if (l.startsWith("{")) {
        line = l;
      }
    }
    if (!r.ok() || line == null) {
      throw new AssertionError(command.subList(0, 2) + " " + command.subList(4, command.size()) + " failed (exit "
          + r.exitCode() + (r.timedOut() ? ", timed out" : "") + "):\n" + r.output());
    }
    try {
      return JSON.readTree(line);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + r.output(), e);
    }
  }

  /** {@code @dwmkerr/mock-llm}, started with npx from the tooling folder, answering as mock-llm.yaml says. */
  static final class MockLlm implements AutoCloseable {
    private final Process process;
    private final int port;

    MockLlm() throws IOException, InterruptedException {
      NodeTools.ensureInstalled();
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      process = NodeTools.start(
          new ArrayList<>(List.of("npx", "--no-install", "mock-llm", "--config", NodeTools.dir().resolve("mock-llm.yaml").toString())),
          Map.of("HOST", "127.0.0.1", "PORT", String.valueOf(port)));
      Thread drain = new Thread(() -> {
        try {
          process.getInputStream().transferTo(OutputStream.nullOutputStream());
        } catch (IOException ignored) {
          // it stopped
        }
      }, "mock-llm-output");
      drain.setDaemon(true);
      drain.start();
      awaitHealthy();
    }

    private void awaitHealthy() throws InterruptedException {
      HttpClient http = HttpClient.newHttpClient();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new IllegalStateException("mock-llm exited with " + process.exitValue());
        }
        try {
          HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(root() + "/health"))
              .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() == 200) {
            return;
          }
        } catch (IOException notYet) {
          // not listening yet
        }
        Thread.sleep(100);
      }
      close();
      throw new IllegalStateException("mock-llm did not answer /health on port " + port);
    }

    String root() {
      return "http://127.0.0.1:" + port;
    }

    /** The base URL of an {@code openai} provider served by mock-llm. */
    String openaiBase() {
      return root() + "/v1";
    }

    @Override
    public void close() {
      // npx runs mock-llm as a child of its own: stop the whole tree.
      process.descendants().forEach(ProcessHandle::destroy);
      process.destroy();
    }
  }
}
