package dev.gatehouse.frontend.models;

import dev.gatehouse.activities.model.ModelInvoker;
import dev.gatehouse.frontend.core.face.Face;
import dev.gatehouse.frontend.core.face.FaceContext;
import io.dropwizard.core.setup.Environment;

/**
 * The model gateway's face: {@code POST /v1/chat/completions} (OpenAI), {@code POST /v1/messages}
 * (Anthropic), {@code GET /v1/models}, {@code POST /v1/embeddings} and {@code GET /v1/usage}.
 * (Skeleton; the face is to come.)
 */
public final class ModelsFace implements Face {
  private final ModelInvoker invoker;

  public ModelsFace(ModelInvoker invoker) {
    this.invoker = invoker;
  }

  @Override
  public void install(FaceContext core, Environment env) {}
}
