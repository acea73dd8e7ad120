package dev.gatehouse.frontend.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.ModelCall;
import dev.gatehouse.activities.model.ModelCallException;
import dev.gatehouse.activities.model.translate.ResponsesRequest;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.frontend.core.errors.UnreadableBody;
import dev.gatehouse.frontend.core.http.BoundedBody;
import dev.gatehouse.frontend.core.http.ContentEncodingFilter;
import dev.gatehouse.frontend.core.http.JsonBodies;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.Locale;

/**
 * The body of a model call, read and checked before anything is sent upstream: UTF-8 JSON
 * ({@code Content-Type} application/json or none; a gzip body is inflated by the server, any other
 * {@code Content-Encoding} refused), at most the request limit, parsed strictly ({@link
 * JsonBodies}: no member twice, no NUL), a JSON object with a non-empty string {@code model}, a
 * boolean {@code stream} when given, and the members each kind of call cannot do without. Every
 * other member is left as it came: the provider (or the translation) reads it.
 */
final class ModelRequests {
  /** A refused oversized body is read and dropped up to this many times the limit. */
  private static final long DRAIN_FACTOR = 8;

  /**
   * A checked request: the whole body, the alias it names, whether it streams, and what its body
   * holds of {@link LargeBodies} (to close when its call has ended). On {@code /v1/responses},
   * {@code body} is the chat-completions request made of the Responses API request, {@code
   * responses} (null elsewhere).
   */
  record ModelRequest(ObjectNode body, String alias, boolean stream, LargeBodies.Held held, ResponsesRequest.Translated responses) {}

  private final JsonBodies bodies;
  private final long maxBody;
  private final LargeBodies large;

  ModelRequests(JsonBodies bodies, long maxBody, LargeBodies large) {
    this.bodies = bodies;
    this.maxBody = maxBody;
    this.large = large;
  }

  /**
   * The request's body, checked, for a call of {@code tenant}'s; what it holds of {@link
   * LargeBodies} is given back here if it is refused.
   */
  ModelRequest read(HttpServletRequest request, Endpoint endpoint, String tenant) throws IOException {
    LargeBodies.Held held = large.hold(tenant);
    try {
      return read(request, endpoint, held);
    } catch (IOException | RuntimeException e) {
      held.close();
      throw e;
    }
  }

  private ModelRequest read(HttpServletRequest request, Endpoint endpoint, LargeBodies.Held held) throws IOException {
    ContentEncodingFilter.check(request.getHeader("Content-Encoding"));
    checkContentType(request.getHeader("Content-Type"));
    byte[] bytes = request.getContentLengthLong() > maxBody ? null : readBody(request, held);
    if (bytes == null) {
      BoundedBody.drain(request.getInputStream(), maxBody * DRAIN_FACTOR);
      throw new ApiException(ErrorCode.REQUEST_TOO_LARGE, "the body is larger than " + maxBody + " bytes");
    }
    if (large.counts(bytes.length)) {
      // Weighed as the tree it will be before it is built: a body of many small values takes
      // many times its size (a probe's 31 MB of empty objects ran the heap out). A Responses API
      // request is translated into a second tree, which shares its strings: its values count twice.
      long tokens = bodies.tokens(bytes);
      held.grow(LargeBodies.weight(bytes.length, endpoint == Endpoint.RESPONSES ? 2 * tokens : tokens));
    }
    JsonNode json = bodies.read(new Body(bytes));
    if (!(json instanceof ObjectNode body)) {
      throw ModelCallException.invalid("the body must be a JSON object", null);
    }
    JsonNode model = body.get("model");
    if (model == null || model.isNull()) {
      throw ModelCallException.invalid("'model' is required: the name of a model this agent may use (GET /v1/models lists them)", "model");
    }
    if (!model.isTextual() || model.asText().isBlank()) {
      throw ModelCallException.invalid("'model' must be a non-empty string", "model");
    }
    if (model.asText().length() > dev.gatehouse.registry.yaml.ModelEntries.MAX_NAME) {
      // No model has such a name; not quoted back, nor written to the audit log.
      throw ModelCallException.invalid(
          "'model' is longer than any model's name (at most " + dev.gatehouse.registry.yaml.ModelEntries.MAX_NAME + " characters)", "model");
    }
    if (dev.gatehouse.activities.text.Unprintables.in(model.asText())) {
      // Nor is a name with line breaks or terminal escapes, which would go into the audit log and
      // the usage rows as they are.
      throw ModelCallException.invalid("'model' holds control characters, which no model's name has", "model");
    }
    JsonNode stream = body.get("stream");
    if (stream != null && !stream.isNull() && !stream.isBoolean()) {
      throw ModelCallException.invalid("'stream' must be true or false", "stream");
    }
    boolean streams = stream != null && stream.booleanValue();
    if (endpoint.kind == ModelCall.Kind.EMBEDDINGS) {
      if (streams) {
        throw ModelCallException.invalid("embeddings do not stream; leave 'stream' out", "stream");
      }
      JsonNode input = body.get("input");
      if (input == null || !(input.isTextual() || input.isArray())) {
        throw ModelCallException.invalid("'input' is required: a string or an array", "input");
      }
      if (input.isArray() ? input.isEmpty() : input.textValue().isEmpty()) {
        // Nothing to embed: refused here rather than sent to be refused (and counted) upstream.
        throw ModelCallException.invalid("'input' must not be empty", "input");
      }
    } else if (endpoint == Endpoint.RESPONSES) {
      ResponsesRequest.Translated translated = ResponsesRequest.translate(body);
      return new ModelRequest(translated.chat(), model.asText(), streams, held, translated);
    } else {
      if (streams && endpoint.kind == ModelCall.Kind.COUNT_TOKENS) {
        throw ModelCallException.invalid("token counting does not stream; leave 'stream' out", "stream");
      }
      checkMessages(body.get("messages"));
    }
    return new ModelRequest(body, model.asText(), streams, held, null);
  }

  private static void checkMessages(JsonNode messages) {
    if (messages == null || !messages.isArray()) {
      throw ModelCallException.invalid("'messages' is required and must be an array of messages", "messages");
    }
    if (messages.isEmpty()) {
      throw ModelCallException.invalid("'messages' must hold at least one message", "messages");
    }
    for (int i = 0; i < messages.size(); i++) {
      if (!messages.get(i).isObject()) {
        throw ModelCallException.invalid("'messages[" + i + "]' must be an object", "messages[" + i + "]");
      }
    }
  }

  /** JSON in UTF-8 (RFC 8259): {@code application/json}, or no type at all as some clients send. */
  private static void checkContentType(String contentType) {
    if (contentType == null || contentType.isBlank()) {
      return;
    }
    String[] parts = contentType.split(";", -1);
    if (!parts[0].trim().toLowerCase(Locale.ROOT).equals("application/json")) {
      throw new ApiException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json");
    }
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i].trim().toLowerCase(Locale.ROOT);
      if (p.startsWith("charset=")) {
        String charset = p.substring("charset=".length()).replace("\"", "").trim();
        if (!charset.equals("utf-8") && !charset.equals("utf8")) {
          throw new ApiException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json in UTF-8");
        }
      }
    }
  }

  /**
   * The body, at most {@code maxBody} bytes (null when longer), counted against {@link LargeBodies}
   * as it comes (not by its declared length: a client that declares much and sends slowly holds
   * only what it sent); a body that cannot be read is the client's 400.
   */
  private byte[] readBody(HttpServletRequest request, LargeBodies.Held held) {
    try {
      // One of a known length (the usual request) is read into one array of its size; an encoded
      // body (Jetty inflates gzip) is longer than its Content-Length and is read on, within the limit.
      long declared = request.getHeader("Content-Encoding") != null ? -1 : request.getContentLengthLong();
      return BoundedBody.read(new Counted(request.getInputStream(), held), maxBody, declared);
    } catch (ApiException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw UnreadableBody.of(e).orElseGet(() -> new ApiException(ErrorCode.MALFORMED_BODY, "the body could not be read"));
    }
  }

  /** A body, counted against {@link LargeBodies} as it is read. */
  private static final class Counted extends InputStream {
    private final InputStream in;
    private final LargeBodies.Held held;
    private long read;

    Counted(InputStream in, LargeBodies.Held held) {
      this.in = in;
      this.held = held;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        held.grow(++read);
      }
      return b;
    }

    @Override
    public int read(byte[] into, int off, int len) throws IOException {
      int n = in.read(into, off, len);
      if (n > 0) {
        read += n;
        held.grow(read);
      }
      return n;
    }
  }

  /** A body already read, handed over whole (no copy) when it is read whole. */
  private static final class Body extends InputStream {
    private final byte[] bytes;
    private int pos;

    Body(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public int read() {
      return pos < bytes.length ? bytes[pos++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] into, int off, int len) {
      Objects.checkFromIndexSize(off, len, into.length);
      if (len == 0) {
        return 0;
      }
      if (pos >= bytes.length) {
        return -1;
      }
      int n = Math.min(len, bytes.length - pos);
      System.arraycopy(bytes, pos, into, off, n);
      pos += n;
      return n;
    }

    @Override
    public byte[] readNBytes(int len) throws IOException {
      if (pos == 0 && len >= bytes.length) {
        pos = bytes.length;
        return bytes;
      }
      return super.readNBytes(len);
    }

    @Override
    public byte[] readAllBytes() throws IOException {
      return readNBytes(Integer.MAX_VALUE);
    }

    @Override
    public int available() {
      return bytes.length - pos;
    }
  }
}
