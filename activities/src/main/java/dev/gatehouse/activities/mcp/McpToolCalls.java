package dev.gatehouse.activities.mcp;

import dev.gatehouse.activities.http.Egress;
import dev.gatehouse.activities.http.NetworkFailures;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.tool.CallContext;
import dev.gatehouse.activities.tool.ToolCallException;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import dev.gatehouse.workflows.tool.ToolProgress;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpTransportException;
import io.modelcontextprotocol.spec.McpTransportSessionNotFoundException;
import reactor.core.publisher.Mono;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Calls a tool on an upstream MCP server and maps what can go wrong to the gateway's failure
 * types: a result with {@code isError} is a result (the agent sees it as such); a JSON-RPC error
 * from the upstream is the upstream refusing the call (not retried), except an internal error; an
 * unreachable server, a broken connection, an HTTP error status or a timeout is retryable; all
 * but the status drop the shared client so the next attempt reconnects. Every call carries {@code
 * _meta["dev.gatehouse/idempotency-key"]} when it runs as part of a task, so a retried side
 * effect can be recognised upstream. A call whose route is cancelled (the agent's {@code
 * notifications/cancelled}) stops waiting, and a Streamable HTTP upstream is told with a {@code
 * notifications/cancelled} of its own.
 */
public class McpToolCalls {
  public static final String IDEMPOTENCY_META = "dev.gatehouse/idempotency-key";
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  /** {@code limits.maxToolResponse}'s default. */
  public static final int DEFAULT_MAX_ANSWER_BYTES = 256 * 1024;

  private final McpUpstreams upstreams;
  private final McpConnector connector;
  private final McpRoute shared;
  private final int maxAnswerBytes;

  public McpToolCalls(McpUpstreams upstreams, McpConnector connector) {
    this(upstreams, connector, DEFAULT_MAX_ANSWER_BYTES);
  }

  /**
   * {@code maxAnswerBytes}: the largest answer taken (the upstream's JSON-RPC response, UTF-8;
   * {@code limits.maxToolResponse}); a larger one fails the call with {@code response_too_large},
   * not retried, as an HTTP tool's does.
   */
  public McpToolCalls(McpUpstreams upstreams, McpConnector connector, int maxAnswerBytes) {
    if (maxAnswerBytes < 1) {
      throw new IllegalArgumentException("maxAnswerBytes must be positive");
    }
    this.upstreams = upstreams;
    this.connector = connector;
    this.maxAnswerBytes = maxAnswerBytes;
    this.shared =
        new McpRoute() {
          @Override
          public McpAsyncClient client(McpServerDefinition server) {
            return upstreams.client(server);
          }

          @Override
          public boolean shared() {
            return true;
          }
        };
  }

  public McpRoute sharedRoute() {
    return shared;
  }

  public ToolCallResult call(McpToolResolver.McpItem tool, JsonNode args, CallContext ctx, McpRoute route) {
    McpServerDefinition server = tool.server();
    Map<String, Object> meta = new LinkedHashMap<>(route.meta());
    if (ctx != null && ctx.taskId() != null) {
      meta.put(IDEMPOTENCY_META, ctx.idempotencyKey());
    }
    String progressToken = null;
    java.util.Deque<ToolProgress> reported = null;
    if (route.shared() && ctx != null && ctx.progress() != null) {
      progressToken = "gh-" + java.util.UUID.randomUUID();
      meta.put("progressToken", progressToken);
      java.util.Deque<ToolProgress> seen = new java.util.ArrayDeque<>();
      reported = seen;
      int[] chars = new int[1];
      upstreams.onProgress(
          progressToken,
          (p, total, message) -> {
            // Each message cut, and the reports kept bounded in number and in characters: they
            // go into heartbeats and the activity's result, which the engine bounds.
            ToolProgress kept = ToolProgress.of(p, total, message);
            synchronized (seen) {
              seen.add(kept);
              chars[0] += kept.messageChars();
              while (seen.size() > ToolCallResult.MAX_PROGRESS || chars[0] > ToolCallResult.MAX_PROGRESS_CHARS) {
                chars[0] -= seen.poll().messageChars();
              }
            }
            ctx.progress().report(p, total, kept.message());
          });
    }
    McpAsyncClient client;
    try {
      client = route.client(server);
    } catch (McpUnavailableException e) {
      if (e.egressRefused()) {
        throw new ToolCallException(ToolFailureTypes.EGRESS_REFUSED, e.getMessage(), false, 502);
      }
      throw new ToolCallException(ToolFailureTypes.UPSTREAM_ERROR, e.getMessage(), true, 503);
    } catch (ToolCallException e) {
      throw e;
    } catch (RuntimeException e) {
      if (Egress.refusal(e) != null) {
        throw refused(server, e);
      }
      throw new ToolCallException(
          ToolFailureTypes.UPSTREAM_ERROR,
          "could not connect to MCP server " + server.name() + ": " + connector.redact(server.name(), NetworkFailures.describe(e)),
          true,
          503);
    }
    Duration timeout = server.timeoutOrDefault();
    try {
      JsonNode result = send(client, tool.upstreamName(), args, meta, timeout, route.cancelled());
      if (result == null) {
        throw new ToolCallException(ToolFailureTypes.CANCELED, "the call was canceled", false);
      }
      List<ToolProgress> progress;
      if (reported == null) {
        progress = null;
      } else {
        synchronized (reported) {
          progress = reported.isEmpty() ? null : List.copyOf(reported);
        }
      }
      return new ToolCallResult(200, connector.redact(client, result), progress);
    } catch (ToolCallException e) {
      throw e;
    } catch (McpAnswerRefusedException e) {
      // The server answered, and its session stands: nothing to reset.
      if (e.tooLarge()) {
        throw tooLarge(tool);
      }
      throw new ToolCallException(ToolFailureTypes.UPSTREAM_ERROR, "MCP server " + server.name() + ": " + e.getMessage(), true, 502);
    } catch (McpError e) {
      McpSchema.JSONRPCResponse.JSONRPCError error = e.getJsonRpcError();
      if (error != null
          && error.code() == ServerMessages.UPSTREAM_ERROR_CODE
          && error.data() instanceof Map<?, ?> data
          && "response_too_large".equals(data.get("code"))) {
        throw tooLarge(tool); // the transport refused the answer (over the largest message it reads)
      }
      int code = error == null ? McpSchema.ErrorCodes.INTERNAL_ERROR : error.code();
      boolean retryable = code == McpSchema.ErrorCodes.INTERNAL_ERROR;
      throw new ToolCallException(
          retryable ? ToolFailureTypes.UPSTREAM_ERROR : ToolFailureTypes.UPSTREAM_CLIENT_ERROR,
          "MCP server " + server.name() + " answered error " + code + ": " + connector.redact(server.name(), NetworkFailures.describe(e)),
          retryable,
          retryable ? 502 : 400);
    } catch (RuntimeException e) {
      if (route.shared() && !(e instanceof McpHttpStatusException) && !interrupted(e)) {
        // The connection or the session broke: the next call reconnects. Not when the server
        // answered with an error status (it is there, the session stands) or when this call's
        // own thread was interrupted (its activity was told to stop): other calls share the client.
        upstreams.reset(server.name(), client);
      }
      if (Egress.refusal(e) != null) {
        throw refused(server, e);
      }
      boolean timedOut =
          e instanceof StreamableHttpClientTransport.TimedOut
              || e.getMessage() != null && e.getMessage().startsWith("Timeout on blocking read");
      throw new ToolCallException(
          ToolFailureTypes.UPSTREAM_ERROR,
          timedOut
              ? "MCP server " + server.name() + " did not answer within " + timeout.toMillis() + " ms"
              : "MCP server " + server.name() + " failed: " + connector.redact(server.name(), NetworkFailures.describe(e)),
          true,
          timedOut ? 504 : 502);
    } finally {
      if (progressToken != null) {
        upstreams.onProgress(progressToken, null);
      }
    }
  }

  private ToolCallException tooLarge(McpToolResolver.McpItem tool) {
    return new ToolCallException(
        ToolFailureTypes.RESPONSE_TOO_LARGE,
        "the answer of " + tool.gatewayName() + " is larger than the cap of " + maxAnswerBytes + " bytes",
        false);
  }

  /** The server's host resolves to an address its writer (a tenant admin) may not reach: nothing was sent. */
  private static ToolCallException refused(McpServerDefinition server, Throwable e) {
    return new ToolCallException(
        ToolFailureTypes.EGRESS_REFUSED,
        "could not call MCP server " + server.name() + ": " + Egress.refusal(e).getMessage(),
        false,
        502);
  }

  /** True when {@code e} is, or came of, this thread being interrupted. */
  private static boolean interrupted(Throwable e) {
    if (Thread.currentThread().isInterrupted()) {
      return true;
    }
    for (Throwable t = e; t != null; t = t.getCause()) { // getCause() is never the throwable itself
      if (t instanceof InterruptedException || t instanceof java.io.InterruptedIOException) {
        return true;
      }
    }
    return false;
  }

  /**
   * The upstream's CallToolResult, or null when {@code cancelled} fired first. A Streamable HTTP
   * upstream whose session is up is called through its transport directly (the arguments go out
   * as they came in, the result comes back as JSON); others, and a session the upstream lost,
   * through the SDK client, which initializes a new session first.
   */
  private JsonNode send(
      McpAsyncClient client, String name, JsonNode args, Map<String, Object> meta, Duration timeout, Mono<?> cancelled) {
    StreamableHttpClientTransport transport = connector.streamable(client);
    if (transport != null && transport.ready()) {
      ObjectNode params = McpJson.OBJECT_MAPPER.createObjectNode().put("name", name);
      params.set("arguments", args == null || args.isNull() ? McpJson.OBJECT_MAPPER.createObjectNode() : args);
      if (!meta.isEmpty()) {
        params.set("_meta", McpJson.tree(meta));
      }
      try {
        JsonNode answer = transport.call(McpSchema.METHOD_TOOLS_CALL, params, timeout, cancelled, maxAnswerBytes);
        if (answer == null) {
          return null;
        }
        JsonNode error = answer.get("error");
        if (error != null && !error.isNull()) {
          throw McpError.builder(error.path("code").asInt(McpSchema.ErrorCodes.INTERNAL_ERROR))
              .message(error.path("message").asText("error"))
              .data(error.has("data") ? McpJson.OBJECT_MAPPER.convertValue(error.get("data"), Object.class) : null)
              .build();
        }
        JsonNode result = answer.get("result");
        if (result == null || !result.isObject()) {
          throw new McpTransportException("the MCP server answered tools/call without a result");
        }
        return result;
      } catch (McpTransportSessionNotFoundException lost) {
        // The upstream forgot the session (it restarted): the client starts a new one below.
      }
    }
    Map<String, Object> arguments =
        args == null || args.isNull() ? Map.of() : McpJson.OBJECT_MAPPER.convertValue(args, MAP);
    McpSchema.CallToolRequest request = new McpSchema.CallToolRequest(name, arguments, meta.isEmpty() ? null : meta);
    McpSchema.CallToolResult result = client.callTool(request).takeUntilOther(cancelled).block(timeout);
    if (result == null) {
      return null;
    }
    JsonNode tree = McpJson.tree(result);
    // The SDK client read it whole: measured here (the result, without the JSON-RPC envelope).
    if (writtenLength(tree) > maxAnswerBytes) {
      throw McpAnswerRefusedException.tooLarge(maxAnswerBytes);
    }
    return tree;
  }

  /** The length of {@code tree} written as JSON (UTF-8), counted without keeping the bytes. */
  private static long writtenLength(JsonNode tree) {
    var counter =
        new java.io.OutputStream() {
          long n;

          @Override
          public void write(int b) {
            n++;
          }

          @Override
          public void write(byte[] b, int off, int len) {
            n += len;
          }
        };
    try {
      McpJson.OBJECT_MAPPER.writeValue(counter, tree);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return counter.n;
  }
}
