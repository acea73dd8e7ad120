package dev.gatehouse.activities.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.activities.chain.CountDecisions;
import dev.gatehouse.activities.chain.PolicyChain;
import dev.gatehouse.activities.chain.PolicyStep;
import dev.gatehouse.activities.chain.RecordAudit;
import dev.gatehouse.activities.chain.ResolveAgent;
import dev.gatehouse.activities.credentials.UpstreamCredentials;
import dev.gatehouse.activities.http.BlockingHttp;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.activities.policy.ApplyRateLimits;
import dev.gatehouse.activities.policy.BudgetLedger;
import dev.gatehouse.activities.policy.ChargeBudgets;
import dev.gatehouse.activities.policy.ModelAnswerPii;
import dev.gatehouse.activities.policy.ModelRequestPolicies;
import dev.gatehouse.activities.policy.PolicyCatalog;
import dev.gatehouse.activities.policy.RateLimitStatus;
import dev.gatehouse.activities.usage.UsageLog;
import dev.gatehouse.policies.DenialCodes;
import dev.gatehouse.policies.access.AccessPolicy;
import dev.gatehouse.policies.data.CallKind;
import dev.gatehouse.policies.data.CompiledPolicy;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentStatements;
import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.registry.policies.PolicyDefinition;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.jdbi.v3.core.Jdbi;

/**
 * The governed call of a model, the same on every path (the OpenAI and Anthropic faces, pipeline
 * model steps, the agent loop): resolves the alias, checks the agent may use it and the request's
 * shape, routes to a provider (weighted targets, retries, fallback, cool-down; see {@link
 * ModelRouter}), translates between dialects, and records an audit row, metrics and a usage row
 * whatever happens. Knows nothing of Temporal or HTTP servers: failures are {@link
 * ModelCallException}s.
 */
public class ModelInvoker implements AutoCloseable {
  private final PolicyChain<ModelExchange, ModelAnswer> chain;
  private final PolicyChain<ModelExchange, ModelAnswer> counting;
  private final ModelCatalog catalog;
  private final StreamWatchdog watchdog = new StreamWatchdog();

  /** {@code budgets}: where budget policies reserve and settle (one per process, which sweeps). */
  public ModelInvoker(
      Jdbi jdbi,
      UpstreamCredentials credentials,
      GatehouseMetrics metrics,
      AuditLog audit,
      UsageLog usage,
      ModelRoutingSettings settings,
      PolicyCatalog policies,
      BudgetLedger budgets) {
    this(jdbi, credentials, metrics, audit, usage, settings, new BlockingHttp(Duration.ofSeconds(10)), policies, budgets);
  }

  public ModelInvoker(
      Jdbi jdbi,
      UpstreamCredentials credentials,
      GatehouseMetrics metrics,
      AuditLog audit,
      UsageLog usage,
      ModelRoutingSettings settings,
      BlockingHttp http,
      PolicyCatalog policies,
      BudgetLedger budgets) {
    this.catalog = new ModelCatalog(jdbi, settings.cacheTtl());
    ProviderClient client = new ProviderClient(http, credentials, new ObjectMapper(), settings.maxResponseBytes(), settings.cacheTtl());
    ModelRouter router =
        new ModelRouter(
            catalog, client, new CoolDowns(settings.coolDownAfter(), settings.coolDown(), System::nanoTime), watchdog, settings,
            (x, fallback) -> fallbackRefusal(policies, x, fallback));
    // The steps both chains take (each holds no state of a call's: one instance serves every call).
    CountDecisions decisions = new CountDecisions(metrics);
    ResolveAgent resolveAgent = new ResolveAgent(new AgentStatements(jdbi), DenialCodes.MODEL_NOT_ALLOWED);
    ModelAnswerPii answerPii = new ModelAnswerPii(policies);
    ValidateModelRequest validate = new ValidateModelRequest();
    ResolveModel resolveModel = new ResolveModel(catalog);
    AuthorizeModel authorize = new AuthorizeModel();
    ModelRequestPolicies requestPolicies = new ModelRequestPolicies(policies);
    List<PolicyStep<? super ModelExchange>> steps =
        List.of(
            // Completion runs in reverse: bookkeeping goes first so it records after every other step completed.
            new RecordAudit(audit, "model.call"),
            new RecordUsage(usage, metrics),
            decisions,
            resolveAgent,
            // Its after runs last, once every other step has seen the answer (and its usage) as the provider gave it.
            answerPii,
            validate,
            resolveModel,
            authorize,
            new CheckTaskBudget(catalog),
            requestPolicies,
            new ChargeBudgets<>(policies, budgets, CallKind.MODEL, new ModelBudgetPricing()),
            // Last, after every local refusal and the budgets (a refused call takes no request): only a call that may run
            // takes from the shared buckets.
            ApplyRateLimits.forModels(jdbi, policies));
    this.chain = new PolicyChain<>(steps, router::route, ModelCallFailures.INSTANCE);
    // A token count generates nothing and costs nothing: no usage row, no budget, no tokens taken
    // from a rate limit; but who may count what, and what a request policy does to the text
    // (redacted, or refused) are as for the call the count is for, and it takes a request. Its
    // answer is a number; a failure's message (the provider's words, which may quote the request)
    // is read by the answer's PII entries, as a call's is.
    List<PolicyStep<? super ModelExchange>> countSteps =
        List.of(
            new RecordAudit(audit, "model.count_tokens"),
            decisions,
            resolveAgent,
            answerPii,
            validate,
            resolveModel,
            authorize,
            requestPolicies,
            ApplyRateLimits.forModelRequests(jdbi, policies));
    this.counting = new PolicyChain<>(countSteps, router::route, ModelCallFailures.INSTANCE);
  }

  /** The kinds of policy entry whose checks a fallback alias must not escape. */
  private static final List<String> FALLBACK_GOVERNED =
      List.of(PolicyDefinition.PII, PolicyDefinition.GUARDRAIL, PolicyDefinition.RATE_LIMIT, PolicyDefinition.BUDGET);

  /**
   * Why the call may not go on to {@code fallback}: an entry governs the agent's calls to it that
   * does not govern its calls to the alias it named (whose entries were applied). Going there would
   * pass that entry: a probe reached a model through another's fallback past its rate limit, its
   * PII redaction and its guardrail. Null when every entry governing the fallback governs the named
   * alias too.
   */
  static String fallbackRefusal(PolicyCatalog policies, ModelExchange x, ModelDefinition fallback) {
    if (x.agent() == null || x.request().caller() == null) {
      return null;
    }
    var set = policies.forTenant(x.request().caller().tenantId());
    String named = x.request().target();
    for (String kind : FALLBACK_GOVERNED) {
      List<CompiledPolicy> applied = set.governing(kind, x.agent().name(), CallKind.MODEL, named);
      for (CompiledPolicy p : set.governing(kind, x.agent().name(), CallKind.MODEL, fallback.name())) {
        if (!applied.contains(p)) {
          return "fallback " + fallback.name() + " not tried: policy " + p.ref() + " governs it and not " + named;
        }
      }
    }
    return null;
  }

  /** A non-streamed call (chat or embeddings): the answer in the caller's dialect, or throws {@link ModelCallException}. */
  public ModelAnswer call(ModelCall call) {
    return call(call, null);
  }

  /**
   * {@link #call(ModelCall)}; {@code rateLimits} (may be null) hears, before the call is made, what
   * the rate limits that govern it left (a face's rate-limit headers).
   */
  public ModelAnswer call(ModelCall call, Consumer<RateLimitStatus> rateLimits) {
    if (call.stream()) {
      throw ModelCallException.invalid("a streamed call needs a sink", "stream");
    }
    return run(new ModelExchange(call, null, rateLimits));
  }

  /**
   * A streamed chat call: events go to {@code sink}. Throws {@link ModelCallException} when it
   * fails before {@link StreamSink#open} (the face then answers with an error status); after
   * that, a failure ends the stream with an error event and this returns normally, except for a
   * PII entry that blocks the answer midway: it ends the stream with its error event, and this
   * then throws its denial ({@code pii_detected}) for the caller to log, the stream being over.
   * Returns how the stream ended (body null).
   */
  public ModelAnswer stream(ModelCall call, StreamSink sink) {
    return stream(call, sink, null);
  }

  /** {@link #stream(ModelCall, StreamSink)}, with a listener as {@link #call(ModelCall, Consumer)} takes (it hears before {@code open}). */
  public ModelAnswer stream(ModelCall call, StreamSink sink, Consumer<RateLimitStatus> rateLimits) {
    if (!call.stream()) {
      throw ModelCallException.invalid("'stream' must be true for a streamed call", "stream");
    }
    return run(new ModelExchange(call, Objects.requireNonNull(sink, "sink"), rateLimits));
  }

  /**
   * Counts the input tokens of a chat request ({@link ModelCall.Kind#COUNT_TOKENS}, Anthropic's
   * dialect): the body of Anthropic's {@code count_tokens} answer, as an Anthropic-type provider
   * counted it, or as Gatehouse counts it for an OpenAI-type one (its usage then marked estimated).
   * Governed as the call it counts for (the agent, the model, request policies, fallback), and
   * audited as {@code model.count_tokens}; it takes a request from a rate limit's requests per
   * minute and nothing else: no tokens, no budget, no usage row.
   */
  public ModelAnswer count(ModelCall call, Consumer<RateLimitStatus> rateLimits) {
    if (call.kind() != ModelCall.Kind.COUNT_TOKENS) {
      throw new IllegalArgumentException("not a token count: " + call.kind());
    }
    if (call.stream()) {
      throw ModelCallException.invalid("token counting does not stream; leave 'stream' out", "stream");
    }
    return run(counting, new ModelExchange(call, null, rateLimits));
  }

  private ModelAnswer run(ModelExchange x) {
    if (x.request().kind() == ModelCall.Kind.COUNT_TOKENS) {
      throw new IllegalArgumentException("a token count goes through count()");
    }
    return run(chain, x);
  }

  /** The chain's answer, with the notes of the policy entries that decided something about the call. */
  private static ModelAnswer run(PolicyChain<ModelExchange, ModelAnswer> chain, ModelExchange x) {
    ModelAnswer answer = chain.run(x);
    return x.appliedDecisions().isEmpty() ? answer : answer.withPolicies(x.appliedPolicies());
  }

  /** The models {@code agent} may use (with its token's {@code scopes}), by name. */
  public List<ModelDefinition> models(Agent agent, List<String> scopes) {
    return catalog.visibleTo(agent.tenantId()).stream()
        .filter(m -> AccessPolicy.model(agent.permissions(), scopes, m.name()).allowed())
        .toList();
  }

  @Override
  public void close() {
    watchdog.close();
  }
}
