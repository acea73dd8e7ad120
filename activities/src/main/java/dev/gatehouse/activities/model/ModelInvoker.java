package dev.gatehouse.activities.model;

import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.activities.credentials.UpstreamCredentials;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.activities.usage.UsageLog;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.models.ModelDefinition;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/**
 * The governed call of a model, the same on every path (the OpenAI and Anthropic faces, pipeline
 * model steps, the agent loop): resolves the alias, checks the agent may use it, routes to a
 * provider (weighted targets, retries, fallback, cool-down), translates between dialects, and
 * records an audit row, metrics and a usage row whatever happens. Knows nothing of Temporal or
 * HTTP servers: failures are {@link ModelCallException}s.
 */
public class ModelInvoker {

  public ModelInvoker(
      Jdbi jdbi, UpstreamCredentials credentials, GatehouseMetrics metrics, AuditLog audit, UsageLog usage, ModelRoutingSettings settings) {}

  /** A non-streamed call (chat or embeddings): the answer in the caller's dialect, or throws {@link ModelCallException}. */
  public ModelAnswer call(ModelCall call) {
    throw new ModelCallException(ModelCodes.UPSTREAM_UNAVAILABLE, 503, "not yet", null, null, true);
  }

  /**
   * A streamed chat call: events go to {@code sink}. Throws {@link ModelCallException} when it
   * fails before {@link StreamSink#open} (the face then answers with an error status); after
   * that, a failure ends the stream with an error event and this returns normally. Returns how
   * the stream ended (body null).
   */
  public ModelAnswer stream(ModelCall call, StreamSink sink) {
    throw new ModelCallException(ModelCodes.UPSTREAM_UNAVAILABLE, 503, "not yet", null, null, true);
  }

  /** The models {@code agent} may use (with its token's {@code scopes}), by name. */
  public List<ModelDefinition> models(Agent agent, List<String> scopes) {
    return List.of();
  }
}
