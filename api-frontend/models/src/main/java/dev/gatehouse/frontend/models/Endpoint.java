package dev.gatehouse.frontend.models;

import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.ModelCall;

/**
 * The model gateway's endpoints: the path, the one method each serves, the dialect its bodies
 * and errors speak, and for those that call a model, what kind of call.
 */
enum Endpoint {
  CHAT_COMPLETIONS("/v1/chat/completions", "POST", Dialect.OPENAI, ModelCall.Kind.CHAT),
  EMBEDDINGS("/v1/embeddings", "POST", Dialect.OPENAI, ModelCall.Kind.EMBEDDINGS),
  MESSAGES("/v1/messages", "POST", Dialect.ANTHROPIC, ModelCall.Kind.CHAT),
  /**
   * Lists in OpenAI's shape, or Anthropic's when the request carries {@code anthropic-version};
   * {@code /v1/models/{id}} answers one model the same way (the SDKs' {@code models.retrieve}).
   */
  MODELS("/v1/models", "GET", Dialect.OPENAI, null);

  /** The mapping that also serves {@code /v1/models/{id}} (the servlet path is then {@code /v1/models}). */
  static final String ONE_MODEL = "/v1/models/*";

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

  static String[] paths() {
    String[] out = new String[values().length + 1];
    for (int i = 0; i < values().length; i++) {
      out[i] = values()[i].path;
    }
    out[values().length] = ONE_MODEL;
    return out;
  }
}
