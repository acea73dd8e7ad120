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
  private final java.util.Set<String> anthropicServerTools;
  private final int maxRequestBody;
  private final long largeBodyBytes;

  /**
   * {@code anthropicBetas}: the Anthropic betas a caller of {@code /v1/messages} may have passed on
   * to an Anthropic provider; {@code anthropicServerTools}: the server tools it may give the model
   * ({@link AnthropicServerTools}); {@code maxRequestBody}: the largest body a model call may have;
   * {@code largeBodyBytes}: the bytes of bodies above the common limit held at once ({@link LargeBodies}).
   */
  public ModelsFace(
      ModelInvoker invoker, java.util.Set<String> anthropicBetas, java.util.Set<String> anthropicServerTools, int maxRequestBody, long largeBodyBytes) {
    this.invoker = invoker;
    this.anthropicBetas = java.util.Set.copyOf(anthropicBetas);
    this.anthropicServerTools = java.util.Set.copyOf(anthropicServerTools);
    this.maxRequestBody = maxRequestBody;
    this.largeBodyBytes = largeBodyBytes;
  }

  @Override
  public void install(FaceContext core, Environment env) {
    // A conversation outgrows the common body limit long before a model's context is full; bodies
    // above that limit are held within a budget of their own.
    LargeBodies large = new LargeBodies(core.maxRequestBody(), largeBodyBytes, core.metrics());
    ModelsServlet servlet =
        new ModelsServlet(
            invoker,
            core.auth(),
            new ModelRequests(core.bodies().withMaxBytes(maxRequestBody), maxRequestBody, large),
            core.admission(),
            maxRequestBody,
            new AnthropicBetas(anthropicBetas),
            new AnthropicServerTools(anthropicServerTools));
    env.servlets().addServlet("models", servlet).addMapping(Endpoint.paths());
    env.jersey().register(new AgentUsageResource(core.jdbi()));
  }
}
