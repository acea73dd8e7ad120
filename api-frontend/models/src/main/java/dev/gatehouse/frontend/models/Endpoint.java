package dev.gatehouse.frontend.models;

import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.ModelCall;
import java.util.ArrayList;
import java.util.List;

/**
 * The model gateway's endpoints: the path, the one method each serves, the dialect its bodies
 * and errors speak, and for those that call a model, what kind of call.
 */
enum Endpoint {
  CHAT_COMPLETIONS("/v1/chat/completions", "POST", Dialect.OPENAI, ModelCall.Kind.CHAT),
  EMBEDDINGS("/v1/embeddings", "POST", Dialect.OPENAI, ModelCall.Kind.EMBEDDINGS),
  /**
   * OpenAI's Responses API, served as a chat call: the request is translated to chat completions
   * ({@code ResponsesRequest}) before anything reads it, and the answer or stream back ({@code
   * ResponsesAnswer}, {@code ResponsesStream}). Its errors are OpenAI's.
   */
  RESPONSES("/v1/responses", "POST", Dialect.OPENAI, ModelCall.Kind.CHAT),
  MESSAGES("/v1/messages", "POST", Dialect.ANTHROPIC, ModelCall.Kind.CHAT),
  /** Anthropic's token counting (the SDKs' {@code messages.countTokens}; Claude Code's {@code /context}). */
  COUNT_TOKENS("/v1/messages/count_tokens", "POST", Dialect.ANTHROPIC, ModelCall.Kind.COUNT_TOKENS),
  /**
   * Lists in OpenAI's shape, or Anthropic's when the request carries {@code anthropic-version};
   * {@code /v1/models/{id}} answers one model the same way (the SDKs' {@code models.retrieve}).
   */
  MODELS("/v1/models", "GET", Dialect.OPENAI, null);

  /** The mapping that also serves {@code /v1/models/{id}} (the servlet path is then {@code /v1/models}). */
  static final String ONE_MODEL = "/v1/models/*";

  /**
   * OpenAI's and Anthropic's endpoints Gatehouse does not serve, each with what is under it: a
   * client that calls one is answered 404 in its SDK's shape saying so and what to call instead, after
   * its credential is checked as on the served ones (an Anthropic client's {@code x-api-key} too);
   * Jersey would answer in the REST API's shape that there is "no such resource", and ask an
   * {@code x-api-key} client for a bearer key.
   */
  static final List<String> UNSERVED =
      List.of(
          "/v1/completions", "/v1/moderations", "/v1/batches", "/v1/files", "/v1/uploads", "/v1/images",
          "/v1/audio", "/v1/assistants", "/v1/threads", "/v1/vector_stores", "/v1/fine_tuning", "/v1/realtime",
          "/v1/conversations", "/v1/containers", "/v1/evals", "/v1/complete", "/v1/skills",
          // under the served ones: stored chat completions and responses, message batches
          "/v1/chat/completions", "/v1/responses", "/v1/messages", "/v1/embeddings");

  final String path;
  final String method;
  final Dialect dialect;
  final ModelCall.Kind kind;

  Endpoint(String path, String method, Dialect dialect, ModelCall.Kind kind) {
    this.path = path;
    this.method = method;
    this.dialect = dialect;
    this.kind = kind;
  }

  static Endpoint of(String path) {
    for (Endpoint e : values()) {
      if (e.path.equals(path)) {
        return e;
      }
    }
    return null;
  }

  /**
   * The endpoint a request is for: its servlet path, and no path below it but for a model's
   * ({@code /v1/messages/batches} is not {@code /v1/messages}); null for one not served.
   */
  static Endpoint of(String servletPath, String pathInfo) {
    Endpoint e = of(servletPath);
    return e != null && e != MODELS && pathInfo != null ? null : e;
  }

  static String[] paths() {
    List<String> out = new ArrayList<>();
    for (Endpoint e : values()) {
      out.add(e.path);
    }
    out.add(ONE_MODEL);
    for (String unserved : UNSERVED) {
      out.add(unserved + "/*"); // the path itself and everything under it
    }
    return out.toArray(String[]::new);
  }

  /** Whether a path not served belongs to Anthropic's API (its answer is then in Anthropic's shape). */
  static boolean anthropicPath(String servletPath) {
    return servletPath.equals("/v1/messages") || servletPath.equals("/v1/complete") || servletPath.equals("/v1/skills");
  }

  /** What the 404 for a path not served says: which API it is, and what Gatehouse serves instead. */
  static String unserved(String servletPath, String pathInfo) {
    String what =
        switch (servletPath) {
          case "/v1/responses" ->
              "stored responses (anything under /v1/responses): Gatehouse stores no responses; send the whole conversation as"
                  + " the input of POST /v1/responses";
          case "/v1/messages" ->
              pathInfo.startsWith("/batches")
                  ? "Anthropic's Message Batches API (/v1/messages/batches)"
                  : "anything under /v1/messages but /v1/messages/count_tokens";
          case "/v1/chat/completions" -> "stored chat completions (anything under /v1/chat/completions)";
          case "/v1/embeddings" -> "anything under /v1/embeddings";
          case "/v1/complete" -> "Anthropic's legacy Text Completions API (/v1/complete): call POST /v1/messages instead";
          case "/v1/completions" -> "OpenAI's legacy Completions API (/v1/completions): call POST /v1/chat/completions instead";
          default -> servletPath;
        };
    return "Gatehouse does not serve " + what + "; its model API is POST /v1/chat/completions, POST /v1/responses,"
        + " POST /v1/embeddings, GET /v1/models, POST /v1/messages and POST /v1/messages/count_tokens";
  }
}
