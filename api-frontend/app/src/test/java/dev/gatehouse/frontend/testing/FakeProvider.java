package dev.gatehouse.frontend.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * A fake LLM provider for tests (not a real model: it answers what the test scripted), on a free
 * loopback port, speaking both OpenAI ({@code POST /v1/chat/completions}, {@code POST
 * /v1/embeddings}, {@code GET /v1/models}) and Anthropic ({@code POST /v1/messages}; {@code POST
 * /v1/messages/count_tokens} answers the reply's input tokens as the count).
 *
 * <p>As a provider's base URL: {@link #openaiBase()} ({@code http://127.0.0.1:PORT/v1}) for an
 * {@code openai} provider, {@link #anthropicBase()} ({@code http://127.0.0.1:PORT}) for an
 * {@code anthropic} one.
 *
 * <p>What it answers is a {@link Reply}: text, tool calls, usage figures, how a stream is cut into
 * fragments and paced, or a failure (a status such as 429 with Retry-After, 500 or 503; no answer
 * at all; headers then silence; the connection reset after some events; malformed JSON). A reply
 * is chosen per request from, in order: the requested model's queue, the common queue (both
 * {@link #enqueue}d, each used once), the model's {@link #script(String, Reply)}, the default
 * {@link #script(Reply)}. OpenAI streams carry the usage chunk only when the request asked for it
 * ({@code stream_options.include_usage}), as OpenAI does.
 *
 * <p>It records every request (method, path, headers, body) so a test can assert what reached the
 * provider, and counts the connections the client closed before the answer was complete (a
 * cancelled stream, a timeout given up on).
 *
 * <p>Written on raw sockets, like {@link FaultyUpstream} and for the same reason: a reset
 * connection, and noticing that a client hung up while the server says nothing, are beyond the
 * JDK's {@code HttpServer}. Every answer closes its connection. Thread-safe.
 */
public final class FakeProvider implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_HEAD = 64 * 1024;
  private static final int MAX_BODY = 32 * 1024 * 1024;

  /** One request as it reached the fake; header names are lower-case, the body is as sent. */
  public record Request(String method, String path, Map<String, String> headers, String body) {
    /** A header's value (name in any case), or null. */
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** The body as JSON (a missing node when it is empty or not JSON). */
    public JsonNode json() {
      try {
        JsonNode node = body.isEmpty() ? null : JSON.readTree(body);
        return node == null ? JSON.missingNode() : node;
      } catch (IOException e) {
        return JSON.missingNode();
      }
    }

    /** The body's {@code model} member, or null. */
    public String model() {
      JsonNode m = json().path("model");
      return m.isTextual() ? m.asText() : null;
    }

    /** True when the body asked for a stream. */
    public boolean stream() {
      return json().path("stream").asBoolean(false);
    }

    /** True when the raw request (head and body) contains {@code text} anywhere. */
    public boolean mentions(String text) {
      return body.contains(text) || headers.values().stream().anyMatch(v -> v.contains(text));
    }
  }

  /** A tool call the fake makes: its id, the function's name and its arguments as a JSON text. */
  public record ToolCall(String id, String name, String arguments) {}

  /** What the fake answers one request with. Immutable; each {@code with...} returns a copy. */
  public static final class Reply {
    enum Kind { ANSWER, STATUS, HANG, STALL, RESET, MALFORMED, NO_CHOICE }

    final Kind kind;
    final String text;
    final List<ToolCall> toolCalls;
    final int inputTokens;
    final int outputTokens;
    final int cachedTokens;
    final int reasoningTokens;
    final String finishReason;
    final int fragments;
    final long chunkDelayMillis;
    final long firstByteDelayMillis;
    final int status;
    final String retryAfter;
    final String errorBody;
    final int events;
    final Map<String, String> headers;
    /** A stream's pause after its headers, before its first event (a model that thinks first). */
    final long thinkMillis;

    private Reply(Kind kind, String text, List<ToolCall> toolCalls, int inputTokens, int outputTokens,
        int cachedTokens, int reasoningTokens, String finishReason, int fragments, long chunkDelayMillis,
        long firstByteDelayMillis, int status, String retryAfter, String errorBody, int events,
        Map<String, String> headers, long thinkMillis) {
      this.thinkMillis = thinkMillis;
      this.kind = kind;
      this.text = text;
      this.toolCalls = List.copyOf(toolCalls);
      this.inputTokens = inputTokens;
      this.outputTokens = outputTokens;
      this.cachedTokens = cachedTokens;
      this.reasoningTokens = reasoningTokens;
      this.finishReason = finishReason;
      this.fragments = fragments;
      this.chunkDelayMillis = chunkDelayMillis;
      this.firstByteDelayMillis = firstByteDelayMillis;
      this.status = status;
      this.retryAfter = retryAfter;
      this.errorBody = errorBody;
      this.events = events;
      this.headers = Map.copyOf(headers);
    }

    private static Reply of(Kind kind) {
      return new Reply(kind, "", List.of(), 10, 5, 0, 0, null, 3, 0, 0, 200, null, null, 0, Map.of(), 0);
    }

    /** An answer with this text (usage 10 in, 5 out unless set; streamed in 3 fragments). */
    public static Reply text(String text) {
      return of(Kind.ANSWER).withText(text);
    }

    /** An answer that calls one tool ({@code arguments} a JSON object's text), no text. */
    public static Reply toolCall(String id, String name, String arguments) {
      return of(Kind.ANSWER).withToolCall(id, name, arguments);
    }

    /**
     * An error answer with this status, in the protocol's error shape (OpenAI's {@code
     * {"error":{...}}} or Anthropic's {@code {"type":"error","error":{...}}}).
     */
    public static Reply status(int status) {
      Reply r = of(Kind.STATUS);
      return r.copy(Kind.STATUS, r.text, r.toolCalls, status, null, null, 0);
    }

    /** Never answers: no status line, nothing, until the client hangs up or the fake closes. */
    public static Reply hang() {
      return of(Kind.HANG);
    }

    /**
     * Sends a 200's headers and then {@code events} events of the stream (for a non-stream request:
     * the headers only) and then nothing, until the client hangs up or the fake closes.
     */
    public static Reply stallAfter(int events) {
      Reply r = of(Kind.STALL).withText("This answer stalls part way through.");
      return r.copy(Kind.STALL, r.text, r.toolCalls, 200, null, null, events);
    }

    /**
     * Sends a 200 and {@code events} events of the stream (for a non-stream request: half of the
     * body), then resets the connection (TCP RST). Events: an OpenAI stream's {@code data:} lines,
     * an Anthropic stream's {@code event:}/{@code data:} pairs.
     */
    public static Reply resetAfter(int events) {
      Reply r = of(Kind.RESET).withText("This answer is cut off part way through.");
      return r.copy(Kind.RESET, r.text, r.toolCalls, 200, null, null, events);
    }

    /** A 200 whose JSON is broken (for a stream: one event whose data is not JSON, then the end). */
    public static Reply malformed() {
      return of(Kind.MALFORMED);
    }

    /**
     * A non-streamed OpenAI chat completion with no choice but with its usage: an answer the
     * provider bills that has no message in it.
     */
    public static Reply noChoice() {
      return of(Kind.NO_CHOICE);
    }

    public Reply withText(String text) {
      return copy(kind, text, toolCalls, status, retryAfter, errorBody, events);
    }

    /** Adds a tool call (after any already there). */
    public Reply withToolCall(String id, String name, String arguments) {
      List<ToolCall> calls = new ArrayList<>(toolCalls);
      calls.add(new ToolCall(id, name, arguments));
      return copy(kind, text, calls, status, retryAfter, errorBody, events);
    }

    /** Usage: {@code input} counts all input tokens, cached ones included (OpenAI's convention). */
    public Reply withUsage(int input, int output) {
      return new Reply(kind, text, toolCalls, input, output, cachedTokens, reasoningTokens, finishReason,
          fragments, chunkDelayMillis, firstByteDelayMillis, status, retryAfter, errorBody, events, headers, thinkMillis);
    }

    /**
     * An OpenAI-compatible server that reports no usage (OpenAI's API only): its answers carry no
     * {@code usage}, and its streams no usage chunk even when {@code stream_options} asks for one.
     */
    public Reply withoutUsage() {
      return withUsage(-1, -1);
    }

    boolean reportsUsage() {
      return inputTokens >= 0;
    }

    /** Cached input tokens (part of the input) and reasoning tokens (part of the output). */
    public Reply withDetails(int cached, int reasoning) {
      return new Reply(kind, text, toolCalls, inputTokens, outputTokens, cached, reasoning, finishReason,
          fragments, chunkDelayMillis, firstByteDelayMillis, status, retryAfter, errorBody, events, headers, thinkMillis);
    }

    /**
     * The finish reason in OpenAI's words ({@code stop}, {@code length}, {@code tool_calls}); the
     * Anthropic side maps it to {@code end_turn}, {@code max_tokens}, {@code tool_use}. Default:
     * {@code tool_calls} when there are tool calls, else {@code stop}.
     */
    public Reply withFinishReason(String reason) {
      return new Reply(kind, text, toolCalls, inputTokens, outputTokens, cachedTokens, reasoningTokens, reason,
          fragments, chunkDelayMillis, firstByteDelayMillis, status, retryAfter, errorBody, events, headers, thinkMillis);
    }

    /** Into how many pieces a stream cuts the text and each tool call's arguments. */
    public Reply withFragments(int n) {
      return new Reply(kind, text, toolCalls, inputTokens, outputTokens, cachedTokens, reasoningTokens,
          finishReason, Math.max(1, n), chunkDelayMillis, firstByteDelayMillis, status, retryAfter, errorBody,
          events, headers, thinkMillis);
    }

    /** A stream's pause after its status line and headers, before its first event: a model that thinks before it answers. */
    public Reply withThinking(Duration pause) {
      return new Reply(kind, text, toolCalls, inputTokens, outputTokens, cachedTokens, reasoningTokens,
          finishReason, fragments, chunkDelayMillis, firstByteDelayMillis, status, retryAfter, errorBody, events,
          headers, pause.toMillis());
    }

    /** A pause before each stream event after the first. */
    public Reply withChunkDelay(Duration delay) {
      return new Reply(kind, text, toolCalls, inputTokens, outputTokens, cachedTokens, reasoningTokens,
          finishReason, fragments, delay.toMillis(), firstByteDelayMillis, status, retryAfter, errorBody, events,
          headers, thinkMillis);
    }

    /** A pause before the status line (a slow provider; time to first byte). */
    public Reply withDelay(Duration delay) {
      return new Reply(kind, text, toolCalls, inputTokens, outputTokens, cachedTokens, reasoningTokens,
          finishReason, fragments, chunkDelayMillis, delay.toMillis(), status, retryAfter, errorBody, events,
          headers, thinkMillis);
    }

    /** A {@code Retry-After} header (seconds, or an HTTP date) on an error answer. */
    public Reply withRetryAfter(String value) {
      return copy(kind, text, toolCalls, status, value, errorBody, events);
    }

    /** An error answer's body instead of the protocol's error shape. */
    public Reply withErrorBody(String body) {
      return copy(kind, text, toolCalls, status, retryAfter, body, events);
    }

    /** An extra response header. */
    public Reply withHeader(String name, String value) {
      Map<String, String> h = new LinkedHashMap<>(headers);
      h.put(name, value);
      return new Reply(kind, text, toolCalls, inputTokens, outputTokens, cachedTokens, reasoningTokens,
          finishReason, fragments, chunkDelayMillis, firstByteDelayMillis, status, retryAfter, errorBody, events, h, thinkMillis);
    }

    private Reply copy(Kind kind, String text, List<ToolCall> calls, int status, String retryAfter,
        String errorBody, int events) {
      return new Reply(kind, text, calls, inputTokens, outputTokens, cachedTokens, reasoningTokens, finishReason,
          fragments, chunkDelayMillis, firstByteDelayMillis, status, retryAfter, errorBody, events, headers, thinkMillis);
    }

    String openaiFinish() {
      if (finishReason != null) {
        return finishReason;
      }
      return toolCalls.isEmpty() ? "stop" : "tool_calls";
    }

    String anthropicStop() {
      switch (openaiFinish()) {
        case "length":
          return "max_tokens";
        case "tool_calls":
          return "tool_use";
        case "stop":
          return "end_turn";
        default:
          return openaiFinish();
      }
    }
  }

  /** Thrown inside the fake when the client went away; counted, never seen by tests. */
  private static final class ClientGone extends IOException {
    ClientGone(Throwable cause) {
      super(cause);
    }
  }

  private final ServerSocket server;
  private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "fake-provider");
    t.setDaemon(true);
    return t;
  });
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final Map<String, Reply> byModel = new ConcurrentHashMap<>();
  private final Map<String, Queue<Reply>> queuedByModel = new ConcurrentHashMap<>();
  private final Queue<Reply> queued = new ConcurrentLinkedQueue<>();
  private final AtomicInteger clientClosed = new AtomicInteger();
  private final AtomicInteger completed = new AtomicInteger();
  private final List<Request> completedRequests = new CopyOnWriteArrayList<>();
  private final AtomicInteger ids = new AtomicInteger();
  private volatile Reply fallback = Reply.text("Hello from the fake provider.");
  private volatile List<String> models = List.of("fake-model");
  private volatile boolean closed;

  public FakeProvider() throws IOException {
    server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
    pool.execute(this::acceptLoop);
  }

  public int port() {
    return server.getLocalPort();
  }

  /** The base URL of an {@code openai} provider served by this fake. */
  public String openaiBase() {
    return "http://127.0.0.1:" + port() + "/v1";
  }

  /** The base URL of an {@code anthropic} provider served by this fake. */
  public String anthropicBase() {
    return "http://127.0.0.1:" + port();
  }

  /** What every request gets unless something more specific is scripted. */
  public FakeProvider script(Reply reply) {
    fallback = reply;
    return this;
  }

  /** What requests for {@code model} get unless one is queued. */
  public FakeProvider script(String model, Reply reply) {
    byModel.put(model, reply);
    return this;
  }

  /** Replies for the next requests (any model), each used once, in order. */
  public FakeProvider enqueue(Reply... replies) {
    queued.addAll(List.of(replies));
    return this;
  }

  /** Replies for the next requests for {@code model}, each used once, in order. */
  public FakeProvider enqueue(String model, Reply... replies) {
    queuedByModel.computeIfAbsent(model, k -> new ConcurrentLinkedQueue<>()).addAll(List.of(replies));
    return this;
  }

  /** The model ids {@code GET /v1/models} lists (default {@code fake-model}). */
  public FakeProvider models(String... ids) {
    models = List.of(ids);
    return this;
  }

  /** Forgets scripts, queues and records (the port stays). */
  public void reset() {
    fallback = Reply.text("Hello from the fake provider.");
    byModel.clear();
    queuedByModel.clear();
    queued.clear();
    requests.clear();
    clientClosed.set(0);
    completed.set(0);
    completedRequests.clear();
  }

  /** Every request received so far, in arrival order. */
  public List<Request> requests() {
    return List.copyOf(requests);
  }

  /** The requests to one path (e.g. {@code /v1/chat/completions}). */
  public List<Request> requests(String path) {
    return requests.stream().filter(r -> r.path().equals(path)).toList();
  }

  /** The last request received, or null. */
  public Request last() {
    List<Request> all = requests();
    return all.isEmpty() ? null : all.get(all.size() - 1);
  }

  /** How many connections the client closed before the fake's answer was complete. */
  public int clientClosed() {
    return clientClosed.get();
  }

  /** How many answers (of any status) the fake wrote to their end. */
  public int completed() {
    return completed.get();
  }

  /**
   * The requests whose answers the fake wrote to their end. Unlike a difference of {@link
   * #completed} counts, this is not thrown off by an earlier answer that is counted late.
   */
  public List<Request> completedRequests() {
    return List.copyOf(completedRequests);
  }

  /**
   * Waits until at least {@code n} answers were written to their end (the client can read an
   * answer before the fake's thread counts it); false on timeout.
   */
  public boolean awaitCompleted(int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (completed.get() < n) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
  }

  /** Waits until at least {@code n} connections were closed by the client; false on timeout. */
  public boolean awaitClientClosed(int n, Duration timeout) {
    return await(() -> clientClosed.get() >= n, timeout);
  }

  /** Waits until at least {@code n} requests arrived; false on timeout. */
  public boolean awaitRequests(int n, Duration timeout) {
    return await(() -> requests.size() >= n, timeout);
  }

  private static boolean await(BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    pool.shutdownNow();
  }

  // ---- serving ----

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket socket = server.accept();
        open.add(socket);
        pool.execute(() -> serve(socket));
      } catch (IOException e) {
        if (!closed) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }

  private void serve(Socket socket) {
    try {
      socket.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(socket.getInputStream());
      Request request = read(socket, in);
      if (request == null) {
        return;
      }
      requests.add(request);
      if (answer(socket, in, request)) {
        completedRequests.add(request);
        completed.incrementAndGet();
      }
    } catch (ClientGone e) {
      clientClosed.incrementAndGet();
    } catch (IOException | InterruptedException e) {
      // a broken request, or the fake is closing
    } finally {
      open.remove(socket);
      try {
        socket.close();
      } catch (IOException ignored) {
        // closed already
      }
    }
  }

  private Request read(Socket socket, InputStream in) throws IOException {
    String head = readHead(in);
    if (head == null) {
      return null;
    }
    String[] lines = head.split("\r\n");
    String[] start = lines[0].split(" ");
    if (start.length < 2) {
      return null;
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.merge(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim(),
            (a, b) -> a + ", " + b);
      }
    }
    if ("100-continue".equalsIgnoreCase(headers.get("expect"))) {
      socket.getOutputStream().write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
    }
    byte[] body;
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      body = readChunked(in);
    } else {
      int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
      if (length > MAX_BODY) {
        throw new IOException("body too large");
      }
      body = in.readNBytes(length);
    }
    String target = start[1];
    int q = target.indexOf('?');
    String path = q < 0 ? target : target.substring(0, q);
    return new Request(start[0], path, Collections.unmodifiableMap(headers), new String(body, StandardCharsets.UTF_8));
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.write(b);
      if (head.size() > MAX_HEAD) {
        throw new IOException("head too large");
      }
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String text = head.toString(StandardCharsets.ISO_8859_1);
    return text.substring(0, text.length() - 4);
  }

  private static byte[] readChunked(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String size = readLine(in);
      int semi = size.indexOf(';');
      int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
      if (n == 0) {
        while (!readLine(in).isEmpty()) {
          // trailers
        }
        return body.toByteArray();
      }
      if (body.size() + n > MAX_BODY) {
        throw new IOException("body too large");
      }
      body.write(in.readNBytes(n));
      readLine(in);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int b;
    while ((b = in.read()) >= 0 && b != '\n') {
      if (b != '\r') {
        line.append((char) b);
      }
    }
    if (b < 0) {
      throw new IOException("end of stream");
    }
    return line.toString();
  }

  private Reply choose(Request request) {
    String model = request.model();
    if (model != null) {
      Queue<Reply> q = queuedByModel.get(model);
      Reply r = q == null ? null : q.poll();
      if (r != null) {
        return r;
      }
    }
    Reply r = queued.poll();
    if (r != null) {
      return r;
    }
    if (model != null && byModel.containsKey(model)) {
      return byModel.get(model);
    }
    return fallback;
  }

  /** Answers one request; false when the answer was cut short on purpose. */
  private boolean answer(Socket socket, InputStream in, Request request) throws IOException, InterruptedException {
    Wire wire = new Wire(socket, in);
    boolean anthropic = request.path().equals("/v1/messages") || request.path().equals("/v1/messages/count_tokens")
        || (request.path().equals("/v1/models") && request.header("anthropic-version") != null);
    if (!request.method().equals("POST") && !(request.method().equals("GET") && request.path().equals("/v1/models"))) {
      wire.json(405, List.of(), error(anthropic, 405, "method not allowed"));
      return true;
    }
    switch (request.path()) {
      case "/v1/models":
        wire.json(200, List.of(), anthropic ? anthropicModels() : openaiModels());
        return true;
      case "/v1/chat/completions":
      case "/v1/messages":
      case "/v1/messages/count_tokens":
      case "/v1/embeddings":
        break;
      default:
        wire.json(404, List.of(), error(anthropic, 404, "no such path on the fake provider: " + request.path()));
        return true;
    }
    JsonNode body = request.json();
    if (!body.isObject()) {
      wire.json(400, List.of(), error(anthropic, 400, "the body is not a JSON object"));
      return true;
    }
    Reply reply = choose(request);
    if (reply.firstByteDelayMillis > 0) {
      wire.sleep(reply.firstByteDelayMillis);
    }
    List<String> extra = new ArrayList<>();
    reply.headers.forEach((k, v) -> extra.add(k + ": " + v));
    switch (reply.kind) {
      case HANG:
        wire.awaitHangUp();
        return false;
      case STATUS:
        if (reply.retryAfter != null) {
          extra.add("Retry-After: " + reply.retryAfter);
        }
        wire.json(reply.status, extra,
            reply.errorBody != null ? reply.errorBody : error(anthropic, reply.status, "the fake provider answers " + reply.status));
        return true;
      case NO_CHOICE:
        wire.json(200, extra,
            "{\"id\":\"chatcmpl-empty\",\"object\":\"chat.completion\",\"model\":\"fake-model\",\"choices\":[],"
                + "\"usage\":{\"prompt_tokens\":" + reply.inputTokens + ",\"completion_tokens\":" + reply.outputTokens
                + ",\"total_tokens\":" + (reply.inputTokens + reply.outputTokens) + "}}");
        return true;
      case MALFORMED:
        if (request.stream() && !request.path().equals("/v1/embeddings")) {
          wire.startStream(extra);
          wire.event(null, "{\"id\": \"broken\", \"choices\": [");
          wire.event(null, "[DONE]");
          wire.endStream();
        } else {
          wire.raw(200, extra, "application/json", "{\"id\": \"broken\", \"choi".getBytes(StandardCharsets.UTF_8));
        }
        return true;
      default:
        break;
    }
    if (request.path().equals("/v1/messages/count_tokens")) {
      wire.json(200, extra, "{\"input_tokens\":" + reply.inputTokens + "}");
      return true;
    }
    String id = (anthropic ? "msg_fake_" : "chatcmpl-fake-") + ids.incrementAndGet();
    String model = body.path("model").asText("fake-model");
    if (request.path().equals("/v1/embeddings")) {
      return cutOrAnswer(wire, reply, extra, embeddings(body, model, reply));
    } else if (!request.stream()) {
      return cutOrAnswer(wire, reply, extra, anthropic ? anthropicMessage(id, model, reply) : openaiCompletion(id, model, reply));
    } else {
      List<String[]> events = anthropic ? anthropicEvents(id, model, reply)
          : openaiEvents(id, model, reply, body.path("stream_options").path("include_usage").asBoolean(false));
      wire.startStream(extra);
      if (reply.thinkMillis > 0) {
        wire.sleep(reply.thinkMillis);
      }
      int n = 0;
      for (String[] e : events) {
        if ((reply.kind == Reply.Kind.STALL || reply.kind == Reply.Kind.RESET) && n == reply.events) {
          break;
        }
        if (n > 0 && reply.chunkDelayMillis > 0) {
          wire.sleep(reply.chunkDelayMillis);
        }
        wire.event(e[0], e[1]);
        n++;
      }
      if (reply.kind == Reply.Kind.STALL) {
        wire.awaitHangUp();
        return false;
      } else if (reply.kind == Reply.Kind.RESET) {
        wire.reset();
        return false;
      }
      wire.endStream();
      return true;
    }
  }

  private static boolean cutOrAnswer(Wire wire, Reply reply, List<String> extra, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    if (reply.kind == Reply.Kind.STALL) {
      wire.head(200, extra, "application/json", bytes.length);
      wire.awaitHangUp();
      return false;
    } else if (reply.kind == Reply.Kind.RESET) {
      wire.head(200, extra, "application/json", bytes.length);
      wire.write(Arrays.copyOf(bytes, bytes.length / 2));
      wire.reset();
      return false;
    }
    wire.raw(200, extra, "application/json", bytes);
    return true;
  }

  // ---- OpenAI shapes ----

  private String openaiModels() {
    ObjectNode root = JSON.createObjectNode().put("object", "list");
    ArrayNode data = root.putArray("data");
    for (String m : models) {
      data.addObject().put("id", m).put("object", "model").put("created", 1700000000L).put("owned_by", "fake-provider");
    }
    return root.toString();
  }

  private static String openaiCompletion(String id, String model, Reply reply) {
    ObjectNode root = JSON.createObjectNode();
    root.put("id", id).put("object", "chat.completion").put("created", now()).put("model", model);
    ObjectNode choice = root.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message").put("role", "assistant");
    if (reply.text.isEmpty() && !reply.toolCalls.isEmpty()) {
      message.putNull("content");
    } else {
      message.put("content", reply.text);
    }
    if (!reply.toolCalls.isEmpty()) {
      ArrayNode calls = message.putArray("tool_calls");
      for (ToolCall c : reply.toolCalls) {
        ObjectNode call = calls.addObject().put("id", c.id()).put("type", "function");
        call.putObject("function").put("name", c.name()).put("arguments", c.arguments());
      }
    }
    choice.putNull("logprobs");
    choice.put("finish_reason", reply.openaiFinish());
    if (reply.reportsUsage()) {
      root.set("usage", openaiUsage(reply));
    }
    return root.toString();
  }

  private static ObjectNode openaiUsage(Reply reply) {
    ObjectNode usage = JSON.createObjectNode()
        .put("prompt_tokens", reply.inputTokens)
        .put("completion_tokens", reply.outputTokens)
        .put("total_tokens", reply.inputTokens + reply.outputTokens);
    usage.putObject("prompt_tokens_details").put("cached_tokens", reply.cachedTokens);
    usage.putObject("completion_tokens_details").put("reasoning_tokens", reply.reasoningTokens);
    return usage;
  }

  private static List<String[]> openaiEvents(String id, String model, Reply reply, boolean includeUsage) {
    List<String[]> events = new ArrayList<>();
    long created = now();
    java.util.function.Function<ObjectNode, String> chunk = delta -> {
      ObjectNode root = JSON.createObjectNode();
      root.put("id", id).put("object", "chat.completion.chunk").put("created", created).put("model", model);
      ObjectNode choice = root.putArray("choices").addObject();
      choice.put("index", 0).set("delta", delta);
      choice.putNull("logprobs");
      choice.putNull("finish_reason");
      if (includeUsage) {
        root.putNull("usage");
      }
      return root.toString();
    };
    ObjectNode first = JSON.createObjectNode().put("role", "assistant");
    if (reply.toolCalls.isEmpty() || !reply.text.isEmpty()) {
      first.put("content", "");
    } else {
      first.putNull("content");
    }
    events.add(new String[] {null, chunk.apply(first)});
    for (String piece : split(reply.text, reply.fragments)) {
      events.add(new String[] {null, chunk.apply(JSON.createObjectNode().put("content", piece))});
    }
    for (int i = 0; i < reply.toolCalls.size(); i++) {
      ToolCall c = reply.toolCalls.get(i);
      ObjectNode start = JSON.createObjectNode();
      ObjectNode call = start.putArray("tool_calls").addObject().put("index", i).put("id", c.id()).put("type", "function");
      call.putObject("function").put("name", c.name()).put("arguments", "");
      events.add(new String[] {null, chunk.apply(start)});
      for (String piece : split(c.arguments(), reply.fragments)) {
        ObjectNode more = JSON.createObjectNode();
        more.putArray("tool_calls").addObject().put("index", i).putObject("function").put("arguments", piece);
        events.add(new String[] {null, chunk.apply(more)});
      }
    }
    ObjectNode last = (ObjectNode) tree(chunk.apply(JSON.createObjectNode()));
    ((ObjectNode) last.path("choices").get(0)).put("finish_reason", reply.openaiFinish());
    events.add(new String[] {null, last.toString()});
    if (includeUsage && reply.reportsUsage()) {
      ObjectNode root = JSON.createObjectNode();
      root.put("id", id).put("object", "chat.completion.chunk").put("created", created).put("model", model);
      root.putArray("choices");
      root.set("usage", openaiUsage(reply));
      events.add(new String[] {null, root.toString()});
    }
    events.add(new String[] {null, "[DONE]"});
    return events;
  }

  private String embeddings(JsonNode body, String model, Reply reply) {
    JsonNode input = body.path("input");
    List<String> inputs = new ArrayList<>();
    if (input.isArray()) {
      input.forEach(i -> inputs.add(i.toString()));
    } else {
      inputs.add(input.toString());
    }
    boolean base64 = "base64".equals(body.path("encoding_format").asText());
    ObjectNode root = JSON.createObjectNode().put("object", "list");
    ArrayNode data = root.putArray("data");
    for (int i = 0; i < inputs.size(); i++) {
      float[] vector = vector(inputs.get(i));
      ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
      if (base64) {
        ByteBuffer buffer = ByteBuffer.allocate(vector.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : vector) {
          buffer.putFloat(f);
        }
        item.put("embedding", Base64.getEncoder().encodeToString(buffer.array()));
      } else {
        ArrayNode values = item.putArray("embedding");
        for (float f : vector) {
          values.add(f);
        }
      }
    }
    root.put("model", model);
    root.putObject("usage").put("prompt_tokens", reply.inputTokens).put("total_tokens", reply.inputTokens);
    return root.toString();
  }

  /** A fixed 8-dimensional vector derived from the input's text (same text, same vector). */
  private static float[] vector(String text) {
    float[] v = new float[8];
    int h = text.hashCode();
    for (int i = 0; i < v.length; i++) {
      h = h * 31 + i;
      v[i] = ((h >>> 8) % 2000) / 1000f - 1f;
    }
    return v;
  }

  // ---- Anthropic shapes ----

  private String anthropicModels() {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode data = root.putArray("data");
    for (String m : models) {
      data.addObject().put("type", "model").put("id", m).put("display_name", m).put("created_at", "2024-01-01T00:00:00Z");
    }
    root.put("has_more", false);
    root.put("first_id", models.isEmpty() ? null : models.get(0));
    root.put("last_id", models.isEmpty() ? null : models.get(models.size() - 1));
    return root.toString();
  }

  private static String anthropicMessage(String id, String model, Reply reply) {
    ObjectNode root = JSON.createObjectNode();
    root.put("id", id).put("type", "message").put("role", "assistant").put("model", model);
    ArrayNode content = root.putArray("content");
    if (!reply.text.isEmpty() || reply.toolCalls.isEmpty()) {
      content.addObject().put("type", "text").put("text", reply.text);
    }
    for (ToolCall c : reply.toolCalls) {
      content.addObject().put("type", "tool_use").put("id", c.id()).put("name", c.name()).set("input", tree(c.arguments()));
    }
    root.put("stop_reason", reply.anthropicStop());
    root.putNull("stop_sequence");
    root.set("usage", anthropicUsage(reply, reply.outputTokens));
    return root.toString();
  }

  private static ObjectNode anthropicUsage(Reply reply, int output) {
    return JSON.createObjectNode()
        .put("input_tokens", reply.inputTokens - reply.cachedTokens)
        .put("cache_creation_input_tokens", 0)
        .put("cache_read_input_tokens", reply.cachedTokens)
        .put("output_tokens", output);
  }

  private static List<String[]> anthropicEvents(String id, String model, Reply reply) {
    List<String[]> events = new ArrayList<>();
    ObjectNode start = JSON.createObjectNode().put("type", "message_start");
    ObjectNode message = start.putObject("message");
    message.put("id", id).put("type", "message").put("role", "assistant").put("model", model);
    message.putArray("content");
    message.putNull("stop_reason");
    message.putNull("stop_sequence");
    message.set("usage", anthropicUsage(reply, 1));
    events.add(new String[] {"message_start", start.toString()});
    int index = 0;
    if (!reply.text.isEmpty() || reply.toolCalls.isEmpty()) {
      ObjectNode blockStart = JSON.createObjectNode().put("type", "content_block_start").put("index", index);
      blockStart.putObject("content_block").put("type", "text").put("text", "");
      events.add(new String[] {"content_block_start", blockStart.toString()});
      events.add(new String[] {"ping", "{\"type\":\"ping\"}"});
      for (String piece : split(reply.text, reply.fragments)) {
        ObjectNode delta = JSON.createObjectNode().put("type", "content_block_delta").put("index", index);
        delta.putObject("delta").put("type", "text_delta").put("text", piece);
        events.add(new String[] {"content_block_delta", delta.toString()});
      }
      events.add(new String[] {"content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" + index + "}"});
      index++;
    }
    for (ToolCall c : reply.toolCalls) {
      ObjectNode blockStart = JSON.createObjectNode().put("type", "content_block_start").put("index", index);
      blockStart.putObject("content_block").put("type", "tool_use").put("id", c.id()).put("name", c.name()).putObject("input");
      events.add(new String[] {"content_block_start", blockStart.toString()});
      for (String piece : split(c.arguments(), reply.fragments)) {
        ObjectNode delta = JSON.createObjectNode().put("type", "content_block_delta").put("index", index);
        delta.putObject("delta").put("type", "input_json_delta").put("partial_json", piece);
        events.add(new String[] {"content_block_delta", delta.toString()});
      }
      events.add(new String[] {"content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" + index + "}"});
      index++;
    }
    ObjectNode delta = JSON.createObjectNode().put("type", "message_delta");
    delta.putObject("delta").put("stop_reason", reply.anthropicStop()).putNull("stop_sequence");
    delta.putObject("usage").put("output_tokens", reply.outputTokens);
    events.add(new String[] {"message_delta", delta.toString()});
    events.add(new String[] {"message_stop", "{\"type\":\"message_stop\"}"});
    return events;
  }

  private static String error(boolean anthropic, int status, String message) {
    String type;
    switch (status) {
      case 400:
        type = "invalid_request_error";
        break;
      case 401:
        type = "authentication_error";
        break;
      case 403:
        type = "permission_error";
        break;
      case 404:
        type = "not_found_error";
        break;
      case 429:
        type = "rate_limit_error";
        break;
      case 503:
      case 529:
        type = "overloaded_error";
        break;
      default:
        type = "api_error";
    }
    if (anthropic) {
      ObjectNode root = JSON.createObjectNode().put("type", "error");
      root.putObject("error").put("type", type).put("message", message);
      return root.toString();
    }
    ObjectNode root = JSON.createObjectNode();
    root.putObject("error").put("message", message).put("type", type).putNull("param").put("code", type);
    return root.toString();
  }

  // ---- helpers ----

  /** {@code text} cut into at most {@code n} non-empty pieces of about equal length. */
  static List<String> split(String text, int n) {
    List<String> pieces = new ArrayList<>();
    if (text.isEmpty()) {
      return pieces;
    }
    int size = Math.max(1, (text.length() + n - 1) / n);
    for (int i = 0; i < text.length(); i += size) {
      pieces.add(text.substring(i, Math.min(text.length(), i + size)));
    }
    return pieces;
  }

  private static JsonNode tree(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + json, e);
    }
  }

  private static long now() {
    return System.currentTimeMillis() / 1000;
  }

  /** Writes one answer on one connection; an IOException on write means the client went away. */
  private static final class Wire {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    Wire(Socket socket, InputStream in) throws IOException {
      this.socket = socket;
      this.in = in;
      this.out = socket.getOutputStream();
    }

    void json(int status, List<String> extra, String body) throws IOException {
      raw(status, extra, "application/json", body.getBytes(StandardCharsets.UTF_8));
    }

    void raw(int status, List<String> extra, String type, byte[] body) throws IOException {
      head(status, extra, type, body.length);
      write(body);
    }

    void head(int status, List<String> extra, String type, long length) throws IOException {
      StringBuilder h = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
      h.append("Content-Type: ").append(type).append("\r\n");
      if (length >= 0) {
        h.append("Content-Length: ").append(length).append("\r\n");
      } else {
        h.append("Transfer-Encoding: chunked\r\n");
      }
      for (String e : extra) {
        h.append(e).append("\r\n");
      }
      h.append("Connection: close\r\n\r\n");
      write(h.toString().getBytes(StandardCharsets.US_ASCII));
    }

    void startStream(List<String> extra) throws IOException {
      List<String> headers = new ArrayList<>(extra);
      headers.add("Cache-Control: no-cache");
      head(200, headers, "text/event-stream; charset=utf-8", -1);
    }

    void event(String name, String data) throws IOException {
      String text = (name == null ? "" : "event: " + name + "\n") + "data: " + data + "\n\n";
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      ByteArrayOutputStream chunk = new ByteArrayOutputStream();
      chunk.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      chunk.write(bytes);
      chunk.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      write(chunk.toByteArray());
    }

    void endStream() throws IOException {
      write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    void write(byte[] bytes) throws IOException {
      try {
        out.write(bytes);
        out.flush();
      } catch (IOException e) {
        throw new ClientGone(e);
      }
    }

    /** Says nothing more until the client hangs up (then ClientGone) or the fake closes. */
    void awaitHangUp() throws IOException {
      int b;
      try {
        do {
          b = in.read();
        } while (b >= 0);
      } catch (IOException e) {
        if (socket.isClosed()) {
          throw e; // the fake closed it
        }
      }
      throw new ClientGone(null);
    }

    /** Closes the connection with a TCP RST instead of a FIN. */
    void reset() throws IOException {
      socket.setSoLinger(true, 0);
      socket.close();
    }

    /** Sleeps, noticing nothing: a client that hangs up meanwhile is seen at the next write. */
    void sleep(long millis) throws InterruptedException {
      Thread.sleep(millis);
    }

    private static String reason(int status) {
      switch (status) {
        case 200:
          return "OK";
        case 400:
          return "Bad Request";
        case 404:
          return "Not Found";
        case 405:
          return "Method Not Allowed";
        case 429:
          return "Too Many Requests";
        case 500:
          return "Internal Server Error";
        case 502:
          return "Bad Gateway";
        case 503:
          return "Service Unavailable";
        default:
          return "Status";
      }
    }
  }
}
