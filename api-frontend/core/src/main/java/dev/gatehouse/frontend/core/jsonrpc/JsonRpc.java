package dev.gatehouse.frontend.core.jsonrpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * JSON-RPC 2.0 envelopes for the faces that speak it (MCP now, A2A next): one received message
 * checked for shape, and the messages a face sends. Errors carry the JSON-RPC code of their {@link
 * ErrorCode} and Gatehouse's stable code in {@code data.code}.
 */
public final class JsonRpc {
  public static final String VERSION = "2.0";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private JsonRpc() {}

  /**
   * One message as received: a request ({@code method} and an {@code id}), a notification
   * ({@code method}, no {@code id}) or a response to a request the face sent ({@code result} or
   * {@code error}, no {@code method}).
   */
  public record Message(ObjectNode json, String method, JsonNode id) {
    public boolean isResponse() {
      return method == null;
    }

    /** A request that expects an answer: it has a method and an id that is not null. */
    public boolean isRequest() {
      return method != null && id != null && !id.isNull();
    }

    /** The request's id as the JSON-RPC libraries hold it: a String or a Long; null when there is none. */
    public Object idValue() {
      if (!isRequest()) {
        return null;
      }
      return id.isTextual() ? id.asText() : (Object) id.asLong();
    }

    public JsonNode params() {
      return json.path("params");
    }
  }

  /**
   * Parses one message. Throws an {@link ApiException} for a body that is not JSON ({@code
   * invalid_json}), a batch ({@code batch_not_supported}: one message per request), or anything
   * that is not a JSON-RPC 2.0 message with a string method and a string or integer id, or that
   * holds text Gatehouse does not accept ({@link dev.gatehouse.frontend.core.http.TextChecks}) ({@code
   * invalid_request}; a {@link RefusedRequest}, which names the request's id, when the id itself is
   * acceptable).
   */
  public static Message parse(byte[] body) {
    if (!dev.gatehouse.frontend.core.http.Utf8.json(body)) {
      throw new ApiException(ErrorCode.INVALID_JSON, "Parse error: the body is not valid UTF-8");
    }
    JsonNode message;
    try {
      message = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      String duplicate = dev.gatehouse.frontend.core.http.JsonProblems.duplicateKey(e);
      String limit = dev.gatehouse.frontend.core.http.JsonProblems.limitExceeded(e);
      throw new ApiException(
          ErrorCode.INVALID_JSON,
          duplicate != null
              ? "Parse error: the member '" + duplicate + "' is given twice"
              : limit != null ? "Parse error: the body " + limit : "Parse error: the body is not valid JSON");
    } catch (IOException e) {
      throw new ApiException(ErrorCode.INVALID_JSON, "Parse error: the body could not be read");
    }
    if (message == null || message.isMissingNode()) {
      throw new ApiException(ErrorCode.INVALID_JSON, "Parse error: the body is empty");
    }
    if (message.isArray()) {
      throw new ApiException(
          ErrorCode.BATCH_NOT_SUPPORTED, "JSON-RPC batches are not supported; send one message per request");
    }
    if (!message.isObject() || !VERSION.equals(message.path("jsonrpc").asText(null))) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "Invalid Request: not a JSON-RPC 2.0 message");
    }
    JsonNode method = message.get("method");
    boolean isResponse = message.has("result") || message.has("error");
    if ((method == null && !isResponse) || (method != null && !method.isTextual())) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "Invalid Request: 'method' must be a string");
    }
    JsonNode id = message.get("id");
    if (id != null && !(id.isTextual() || id.isIntegralNumber() || id.isNull())) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "Invalid Request: 'id' must be a string or an integer");
    }
    if (id != null && id.isIntegralNumber() && !id.canConvertToLong()) {
      // The SDK holds an id as a long: a larger one would fail there, logged, or wrap around here.
      throw new ApiException(ErrorCode.INVALID_REQUEST, "Invalid Request: an integer 'id' must fit in 64 bits (or send it as a string)");
    }
    try {
      dev.gatehouse.frontend.core.http.TextChecks.require(message);
    } catch (ApiException refused) {
      // The message was read, so the refusal answers its id, and the agent can match it; an id
      // that is itself text not accepted cannot be echoed, and the refusal answers none.
      boolean echoable =
          method != null && id != null && !id.isNull() && (!id.isTextual() || dev.gatehouse.registry.Texts.problem(id.textValue()) == null);
      throw echoable ? new RefusedRequest(refused, id) : refused;
    }
    if (method == null) {
      checkResponse(message, id);
    }
    return new Message((ObjectNode) message, method == null ? null : method.asText(), id);
  }

  /** A request {@link #parse} read far enough to know its id, refused for what it holds: the refusal answers that id. */
  public static final class RefusedRequest extends ApiException {
    private final JsonNode id;

    RefusedRequest(ApiException refused, JsonNode id) {
      super(refused.error(), refused.getMessage(), refused.headers(), refused.details());
      this.id = id;
    }

    public JsonNode id() {
      return id;
    }
  }

  /**
   * A response (no method) has an id and exactly one of {@code result} and {@code error}; an error
   * is an object with an integer {@code code} and a string {@code message} (JSON-RPC 2.0, section 5).
   */
  private static void checkResponse(JsonNode message, JsonNode id) {
    if (id == null) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "Invalid Request: a response must carry the 'id' of the request it answers");
    }
    if (message.has("result") == message.has("error")) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "Invalid Request: a response carries either 'result' or 'error', not both");
    }
    JsonNode error = message.get("error");
    if (error != null
        && !(error.isObject() && error.path("code").isIntegralNumber() && error.path("message").isTextual())) {
      throw new ApiException(
          ErrorCode.INVALID_REQUEST, "Invalid Request: 'error' must be an object with an integer 'code' and a string 'message'");
    }
  }

  /** An error answer to the request {@code id} (null when it could not be read). */
  public static ObjectNode error(JsonNode id, ErrorCode error, String message) {
    return error(id, errorObject(error, message));
  }

  /** An error answer whose {@code error} member was made elsewhere (a library's, or an upstream's passed through). */
  public static ObjectNode error(JsonNode id, JsonNode error) {
    ObjectNode body = NODES.objectNode().put("jsonrpc", VERSION);
    body.set("id", id == null ? NODES.nullNode() : id);
    body.set("error", error);
    return body;
  }

  /** The {@code error} member: the catalog's JSON-RPC code, the message, Gatehouse's code in {@code data.code}. */
  public static ObjectNode errorObject(ErrorCode error, String message) {
    ObjectNode object = NODES.objectNode().put("code", error.jsonRpcCode()).put("message", message);
    object.putObject("data").put("code", error.code());
    return object;
  }

  public static ObjectNode result(JsonNode id, JsonNode result) {
    ObjectNode body = NODES.objectNode().put("jsonrpc", VERSION);
    body.set("id", id);
    body.set("result", result);
    return body;
  }

  public static ObjectNode notification(String method, JsonNode params) {
    ObjectNode body = NODES.objectNode().put("jsonrpc", VERSION).put("method", method);
    body.set("params", params);
    return body;
  }

  public static ObjectNode request(String id, String method, JsonNode params) {
    ObjectNode body = NODES.objectNode().put("jsonrpc", VERSION).put("id", id).put("method", method);
    body.set("params", params);
    return body;
  }

  /**
   * Answers an HTTP request with an error the face refused before any message was handled: its
   * headers, and its details in {@code data} (with {@code retryable} when they are there).
   */
  public static void writeError(HttpServletResponse response, ApiException e) throws IOException {
    writeError(response, e, null);
  }

  /** Answers the request {@code id} (null when it could not be read) with {@code e}'s status and a JSON-RPC error. */
  public static void writeError(HttpServletResponse response, ApiException e, JsonNode id) throws IOException {
    e.headers().forEach(response::setHeader);
    ObjectNode object = errorObject(e.error(), e.getMessage());
    if (!e.details().isEmpty()) {
      ObjectNode data = (ObjectNode) object.get("data");
      data.put("retryable", e.error().retryable());
      e.details().forEach((k, v) -> data.set(k, JSON.valueToTree(v)));
    }
    write(response, e.error(), error(id, object));
  }

  /** Answers with {@code error}'s HTTP status and a JSON-RPC error object (id null). */
  public static void writeError(HttpServletResponse response, ErrorCode error, String message) throws IOException {
    write(response, error, error(null, error, message));
  }

  private static void write(HttpServletResponse response, ErrorCode error, ObjectNode message) throws IOException {
    byte[] body = message.toString().getBytes(StandardCharsets.UTF_8);
    response.setStatus(error.httpStatus());
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }
}
