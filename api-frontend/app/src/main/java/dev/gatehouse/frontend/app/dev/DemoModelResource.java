package dev.gatehouse.frontend.app.dev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The provider behind dev mode's demo model: an OpenAI-compatible endpoint served by Gatehouse
 * itself under {@code /demo/llm/v1}, so a newcomer's first model call works with no provider key.
 * It is not a language model: it echoes the last user message ({@code "You said: ..."}),
 * deterministically, streamed word by word when asked, with usage counted in words. A request's
 * {@code max_completion_tokens} or {@code max_tokens} bounds a text answer in words, as a model's
 * bounds it in tokens: a longer answer is cut there and ends with {@code finish_reason: "length"}.
 *
 * <p>So that an agent task can be tried too, it follows a script when the request offers tools
 * (not streamed): a last user message with lines {@code call FUNCTION {"arg": ...}} naming offered
 * functions is answered with those tool calls; a request whose last message is a tool result is
 * answered with the results ({@code "Tool results: ..."}).
 */
@Path("/demo/llm/v1")
@Produces(MediaType.APPLICATION_JSON)
public class DemoModelResource {
  /** A word, as the demo model counts tokens. */
  private static final java.util.regex.Pattern WORD = java.util.regex.Pattern.compile("\\S+");

  private static final ObjectMapper JSON = new ObjectMapper();
  /** The most an embeddings request takes. */
  private static final int MAX_BODY = 1024 * 1024;

  /**
   * The most a chat request takes: what the model faces take ({@code models.maxRequestBody}), so
   * a conversation that grew past a megabyte (Claude Code sends the whole of it each turn) is
   * answered as a provider would answer it; a smaller limit cut the gateway's request off mid-body,
   * and the gateway took the demo provider for a failing one and cooled it down.
   */
  private final int maxChatBody;

  public DemoModelResource(int maxChatBody) {
    this.maxChatBody = maxChatBody;
  }

  /** The demo's embeddings have this many dimensions unless a request's {@code dimensions} asks for fewer. */
  static final int EMBEDDING_DIMENSIONS = 16;
  /** The most inputs one demo embeddings request takes. */
  static final int MAX_EMBEDDING_INPUTS = 256;

  /**
   * Embeddings, so that the SDKs' embeddings examples work in dev mode too: not a model's either,
   * each a unit vector drawn from the SHA-256 of its text (the same text, the same vector), with
   * usage counted in words. {@code input} is a string or an array of strings; {@code
   * encoding_format} {@code float} (the default) or {@code base64}, which OpenAI's SDKs ask for.
   */
  @POST
  @Path("/embeddings")
  @Consumes(MediaType.WILDCARD)
  public ObjectNode embeddings(InputStream body) {
    JsonNode request = DemoToolsResource.read(body, MAX_BODY, "a demo embeddings request");
    if (request == null || !request.isObject()) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "the body must be an embeddings request with 'input'");
    }
    JsonNode input = request.path("input");
    java.util.List<String> texts = new java.util.ArrayList<>();
    if (input.isTextual()) {
      texts.add(input.asText());
    } else if (input.isArray() && !input.isEmpty() && input.size() <= MAX_EMBEDDING_INPUTS) {
      for (JsonNode item : input) {
        if (!item.isTextual()) {
          throw new ApiException(ErrorCode.INVALID_REQUEST, "the demo model embeds text: 'input' must be a string or an array of strings");
        }
        texts.add(item.asText());
      }
    } else {
      throw new ApiException(
          ErrorCode.INVALID_REQUEST, "'input' must be a string or an array of 1 to " + MAX_EMBEDDING_INPUTS + " strings");
    }
    int dimensions = EMBEDDING_DIMENSIONS;
    if (request.has("dimensions")) {
      JsonNode d = request.get("dimensions");
      if (!d.canConvertToInt() || !d.isIntegralNumber() || d.asInt() < 1 || d.asInt() > EMBEDDING_DIMENSIONS) {
        throw new ApiException(ErrorCode.INVALID_REQUEST, "'dimensions' must be an integer from 1 to " + EMBEDDING_DIMENSIONS);
      }
      dimensions = d.asInt();
    }
    String encoding = request.path("encoding_format").asText("float");
    if (!encoding.equals("float") && !encoding.equals("base64")) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "'encoding_format' must be 'float' or 'base64'");
    }
    boolean base64 = encoding.equals("base64");
    ObjectNode answer = JSON.createObjectNode().put("object", "list");
    ArrayNode data = answer.putArray("data");
    long words = 0;
    for (int i = 0; i < texts.size(); i++) {
      String text = texts.get(i);
      words += WORD.matcher(text).results().count();
      ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
      double[] unit = unitVector(text, dimensions);
      if (base64) {
        // as OpenAI encodes it (and its SDKs ask for it by default): little-endian float32s
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(4 * unit.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (double x : unit) {
          bytes.putFloat((float) x);
        }
        item.put("embedding", java.util.Base64.getEncoder().encodeToString(bytes.array()));
      } else {
        ArrayNode vector = item.putArray("embedding");
        for (double x : unit) {
          vector.add(x);
        }
      }
    }
    answer.put("model", request.path("model").asText("echo"));
    answer.putObject("usage").put("prompt_tokens", words).put("total_tokens", words);
    return answer;
  }

  /** A unit vector of {@code n} (at most 32) dimensions from the SHA-256 of {@code text}. */
  static double[] unitVector(String text, int n) {
    byte[] hash = java.util.HexFormat.of().parseHex(dev.gatehouse.frontend.core.durable.DurableCalls.sha256(text));
    double[] v = new double[n];
    double norm = 0;
    for (int i = 0; i < n; i++) {
      v[i] = (hash[i] & 0xff) / 255.0 - 0.5;
      norm += v[i] * v[i];
    }
    norm = Math.sqrt(norm);
    for (int i = 0; i < n; i++) {
      v[i] = norm == 0 ? (i == 0 ? 1 : 0) : v[i] / norm;
    }
    return v;
  }

  @POST
  @Path("/chat/completions")
  @Consumes(MediaType.WILDCARD)
  @Produces({MediaType.APPLICATION_JSON, "text/event-stream"})
  public Response chat(InputStream body) {
    JsonNode request = DemoToolsResource.read(body, maxChatBody, "a demo model request");
    if (request == null || !request.isObject() || !request.path("messages").isArray()) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "the body must be a chat completion request with 'messages'");
    }
    String model = request.path("model").asText("echo");
    if (request.path("tools").isArray() && !request.path("stream").asBoolean(false)) {
      ObjectNode scripted = toolScript(model, request);
      if (scripted != null) {
        return Response.ok(scripted).build();
      }
    }
    String full = "You said: " + lastUserText(request.path("messages"));
    String reply = cut(full, maxWords(request));
    String finish = reply.length() < full.length() ? "length" : "stop";
    long input = words(request.path("messages").toString());
    long output = words(reply);
    if (request.path("stream").asBoolean(false)) {
      boolean usage = request.path("stream_options").path("include_usage").asBoolean(false);
      StreamingOutput out = os -> stream(os, model, reply, finish, usage, input, output);
      return Response.ok(out, "text/event-stream").header("Cache-Control", "no-cache").build();
    }
    ObjectNode answer = base(model, "chat.completion");
    ObjectNode choice = answer.putArray("choices").addObject();
    choice.put("index", 0);
    choice.putObject("message").put("role", "assistant").put("content", reply);
    choice.put("finish_reason", finish);
    usage(answer, input, output);
    return Response.ok(answer).build();
  }

  /** The most words an answer may have: the request's {@code max_completion_tokens}, else its {@code max_tokens}, else no bound. */
  private static int maxWords(JsonNode request) {
    for (String field : new String[] {"max_completion_tokens", "max_tokens"}) {
      JsonNode n = request.path(field);
      if (n.isIntegralNumber() && n.canConvertToInt() && n.intValue() >= 1) {
        return n.intValue();
      }
    }
    return Integer.MAX_VALUE;
  }

  /** {@code text} up to the end of its {@code max}-th word, or all of it when it has no more. */
  private static String cut(String text, int max) {
    var m = WORD.matcher(text);
    for (int n = 0; m.find(); ) {
      if (++n == max) {
        int end = m.end();
        return m.find() ? text.substring(0, end) : text;
      }
    }
    return text;
  }

  private static void stream(OutputStream os, String model, String reply, String finish, boolean withUsage, long input, long output)
      throws java.io.IOException {
    String[] parts = reply.split("(?<= )");
    for (int i = 0; i < parts.length; i++) {
      ObjectNode chunk = base(model, "chat.completion.chunk");
      ObjectNode choice = chunk.putArray("choices").addObject();
      choice.put("index", 0);
      ObjectNode delta = choice.putObject("delta");
      if (i == 0) {
        delta.put("role", "assistant");
      }
      delta.put("content", parts[i]);
      choice.putNull("finish_reason");
      write(os, chunk);
    }
    ObjectNode last = base(model, "chat.completion.chunk");
    ObjectNode choice = last.putArray("choices").addObject();
    choice.put("index", 0);
    choice.putObject("delta");
    choice.put("finish_reason", finish);
    write(os, last);
    if (withUsage) {
      ObjectNode u = base(model, "chat.completion.chunk");
      u.putArray("choices");
      usage(u, input, output);
      write(os, u);
    }
    os.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
    os.flush();
  }

  private static void write(OutputStream os, ObjectNode chunk) throws java.io.IOException {
    os.write(("data: " + JSON.writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8));
    os.flush();
  }

  private static ObjectNode base(String model, String object) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", "chatcmpl-demo");
    n.put("object", object);
    n.put("created", 1_700_000_000L);
    n.put("model", model);
    return n;
  }

  private static void usage(ObjectNode n, long input, long output) {
    n.putObject("usage").put("prompt_tokens", input).put("completion_tokens", output).put("total_tokens", input + output);
  }

  private static final java.util.regex.Pattern CALL =
      java.util.regex.Pattern.compile("(?m)^\\s*call\\s+([A-Za-z0-9_-]{1,64})\\s*(\\{.*\\})?\\s*$");

  /** The scripted answer to a request that offers tools, or null when the script says nothing (then it echoes). */
  private static ObjectNode toolScript(String model, JsonNode request) {
    JsonNode messages = request.path("messages");
    if (!messages.isArray() || messages.isEmpty()) {
      return null;
    }
    JsonNode last = messages.get(messages.size() - 1);
    ObjectNode answer = base(model, "chat.completion");
    ObjectNode choice = answer.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message").put("role", "assistant");
    long input = words(messages.toString());
    if ("tool".equals(last.path("role").asText())) {
      StringBuilder sb = new StringBuilder("Tool results:");
      for (int i = messages.size() - 1; i >= 0 && "tool".equals(messages.get(i).path("role").asText()); i--) {
        sb.insert("Tool results:".length(), " " + messages.get(i).path("content").asText());
      }
      String content = cut(sb.toString(), maxWords(request));
      message.put("content", content);
      choice.put("finish_reason", content.length() < sb.length() ? "length" : "stop");
      usage(answer, input, words(content));
      return answer;
    }
    if (!"user".equals(last.path("role").asText())) {
      return null;
    }
    java.util.Set<String> offered = new java.util.HashSet<>();
    for (JsonNode t : request.path("tools")) {
      offered.add(t.path("function").path("name").asText());
    }
    ArrayNode calls = JSON.createArrayNode();
    var m = CALL.matcher(lastUserText(messages));
    while (m.find() && calls.size() < 16) {
      if (offered.contains(m.group(1))) {
        ObjectNode call = calls.addObject().put("id", "call_" + (calls.size() + 1)).put("type", "function");
        call.putObject("function").put("name", m.group(1)).put("arguments", m.group(2) == null ? "{}" : m.group(2));
      }
    }
    if (calls.isEmpty()) {
      return null;
    }
    message.putNull("content");
    message.set("tool_calls", calls);
    choice.put("finish_reason", "tool_calls");
    usage(answer, input, words(calls.toString()));
    return answer;
  }

  /** The text of the last user message: a string, or its text parts joined. */
  private static String lastUserText(JsonNode messages) {
    ArrayNode list = (ArrayNode) messages;
    for (int i = list.size() - 1; i >= 0; i--) {
      JsonNode m = list.get(i);
      if ("user".equals(m.path("role").asText())) {
        JsonNode content = m.path("content");
        if (content.isTextual()) {
          return content.asText();
        }
        StringBuilder sb = new StringBuilder();
        for (JsonNode part : content) {
          if (part.path("text").isTextual()) {
            sb.append(sb.length() == 0 ? "" : " ").append(part.path("text").asText());
          }
        }
        return sb.toString();
      }
    }
    return "";
  }

  private static long words(String text) {
    return WORD.matcher(text).results().count();
  }
}
