package dev.gatehouse.frontend.models;

import dev.gatehouse.activities.model.ModelInvoker;
import dev.gatehouse.frontend.core.face.Face;
import dev.gatehouse.frontend.core.face.FaceContext;
import io.dropwizard.core.setup.Environment;

/**
 * The model gateway's face: {@code POST /v1/chat/completions} and {@code POST /v1/embeddings}
 * (OpenAI), {@code POST /v1/messages} (Anthropic), and {@code GET /v1/models}, each on its exact
 * path, served by {@link ModelsServlet} beside Jersey (which keeps every other {@code /v1} path);
 * and {@code GET /v1/usage} for an agent's own usage ({@link AgentUsageResource}, on Jersey). Every
 * call goes through the one {@link ModelInvoker}.
 */
public final class ModelsFace implements Face {
  private final ModelInvoker invoker;
  private final java.util.Set<String> anthropicBetas;

  /** {@code anthropicBetas}: the Anthropic betas a caller of {@code /v1/messages} may have passed on to an Anthropic provider. */
  public ModelsFace(ModelInvoker invoker, java.util.Set<String> anthropicBetas) {
    this.invoker = invoker;
    this.anthropicBetas = java.util.Set.copyOf(anthropicBetas);
  }

  @Override
  public void install(FaceContext core, Environment env) {
    ModelsServlet servlet =
        new ModelsServlet(
            invoker,
            core.auth(),
            new ModelRequests(core.bodies(), core.maxRequestBody()),
            core.admission(),
            core.maxRequestBody(),
            new AnthropicBetas(anthropicBetas));
    env.servlets().addServlet("models", servlet).addMapping(Endpoint.paths());
    env.jersey().register(new AgentUsageResource(core.jdbi()));
  }
}
