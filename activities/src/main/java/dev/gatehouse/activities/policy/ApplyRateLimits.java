package dev.gatehouse.activities.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.chain.Exchange;
import dev.gatehouse.activities.chain.GovernedCall;
import dev.gatehouse.activities.chain.PolicyStep;
import dev.gatehouse.activities.model.ModelCall;
import dev.gatehouse.activities.model.ModelExchange;
import dev.gatehouse.activities.tool.ToolExchange;
import dev.gatehouse.activities.usage.TokenEstimator;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.DenialCodes;
import dev.gatehouse.policies.data.CallKind;
import dev.gatehouse.policies.data.CompiledPolicy;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.limits.RateBucketDao;
import dev.gatehouse.registry.limits.RateBucketStatements;
import dev.gatehouse.registry.policies.PolicyDefinition.RateLimit;
import dev.gatehouse.registry.policies.PolicyDefinition;
import dev.gatehouse.workflows.tool.Caller;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code rate-limit} policies, applied to every governed call after it was authorized (an
 * unauthorized call spends nothing): each policy that governs the call takes one request from its
 * requests bucket (capacity {@code requestsPerMinute}, refilling at a sixtieth of that per
 * second) and, on a model call, the call's worst case from its tokens bucket ({@code
 * tokensPerMinute}). Buckets live in PostgreSQL ({@link RateBucketDao}), shared by every replica,
 * one per policy and subject ({@code per}: the agent, the tenant or the target).
 *
 * <p><b>One round trip per call.</b> Every bucket of every governing policy is taken from in one
 * statement ({@link RateBucketStatements#takeAll}). When one of them refuses, what the others took is
 * given back (one more round trip, only then) and the call is denied {@code rate_limited} by the
 * refusing policy, with a reason that names it, its limit and the wait until it has what the call
 * needs ({@link RateLimitStatus#retryAfter}). A call no rate limit governs costs no round trip.
 *
 * <p><b>Tokens.</b> A model call reserves its worst case: its input as Gatehouse counts it ({@link
 * TokenEstimator}) plus the most output it may get ({@link
 * dev.gatehouse.activities.model.OutputBound}: its {@code max_tokens}, no more than the model's
 * {@code maxOutput}, else the model's {@code maxOutput}, else {@value #DEFAULT_OUTPUT_TOKENS}, times
 * its choices {@code n}); an embeddings call its input.
 * A reservation above the whole minute's tokens reserves the whole minute's (the call waits for a
 * full bucket instead of never being admitted). When the call completes the reservation is
 * settled to what it used ({@link RateBucketStatements#settle}): the difference goes back, or, when the
 * provider counted more, is charged; a call denied after this step or failed before any provider
 * answered used nothing and gives all of it back. Requests are not given back: a request that a
 * later step denies or that fails was still made.
 *
 * <p><b>Keys.</b> {@code rl:<policy>:<r|t>:<per>:<subject>}: neither the version nor the limit is
 * part of a key, so editing a policy keeps its counts (a lowered limit applies at the next take,
 * which never finds more than the new capacity; a raised one fills at the new rate, no sudden
 * burst). Changing {@code per} starts new buckets, as it should: the counts are of other subjects.
 *
 * <p>Idle buckets are forgotten after {@link #IDLE} (a bucket idle that long is full, or holds at
 * most its debt paid back) by {@link #idleSweep}, which the application runs every {@link #IDLE}.
 */
public final class ApplyRateLimits<E extends Exchange<? extends GovernedCall, ?>> implements PolicyStep<E> {
  private static final Logger LOG = LoggerFactory.getLogger(ApplyRateLimits.class);
  /** The output a model call reserves when neither it nor its model bounds its output. */
  public static final long DEFAULT_OUTPUT_TOKENS = dev.gatehouse.activities.model.OutputBound.DEFAULT_MAX_OUTPUT;
  /** How long a bucket may stay untouched before it is forgotten. */
  public static final Duration IDLE = Duration.ofMinutes(10);

  /** What a model call reserved in each of its tokens buckets, settled on completion. */
  public record Reservation(String[] keys, double[] capacities, double[] reserved) {}

  /** How a kind of call counts tokens; null for calls that take none (tool calls, token counts). */
  private interface Tokens<E> {
    /** The call's worst case. */
    long reserve(E exchange);

    /** What the call used, once it ended (0 when it never reached a provider's answer). */
    long used(E exchange);

    Reservation reservation(E exchange);

    void reservation(E exchange, Reservation r);
  }

  private final RateBucketStatements buckets;
  private final PolicyCatalog policies;
  private final CallKind kind;
  private final Tokens<E> tokens;
  private ApplyRateLimits(Jdbi jdbi, PolicyCatalog policies, CallKind kind, Tokens<E> tokens) {
    this.buckets = new RateBucketStatements(jdbi);
    this.policies = policies;
    this.kind = kind;
    this.tokens = tokens;
  }

  /** The step of the tool chain: requests per minute. */
  public static ApplyRateLimits<ToolExchange> forTools(Jdbi jdbi, PolicyCatalog policies) {
    return new ApplyRateLimits<>(jdbi, policies, CallKind.TOOL, null);
  }

  /** The step of the model chain: requests and tokens per minute. */
  public static ApplyRateLimits<ModelExchange> forModels(Jdbi jdbi, PolicyCatalog policies) {
    return new ApplyRateLimits<>(
        jdbi,
        policies,
        CallKind.MODEL,
        new Tokens<>() {
          @Override
          public long reserve(ModelExchange x) {
            return worstCase(x);
          }

          @Override
          public long used(ModelExchange x) {
            return x.usage() == null ? 0 : x.usage().totalTokens();
          }

          @Override
          public Reservation reservation(ModelExchange x) {
            return x.tokenReservation();
          }

          @Override
          public void reservation(ModelExchange x, Reservation r) {
            x.tokenReservation(r);
          }
        });
  }

  /**
   * The step of a model chain whose calls take a request and no tokens (a token count: it
   * generates nothing, and its input is not sent to be answered).
   */
  public static ApplyRateLimits<ModelExchange> forModelRequests(Jdbi jdbi, PolicyCatalog policies) {
    return new ApplyRateLimits<>(jdbi, policies, CallKind.MODEL, null);
  }

  /** One bucket a call takes from. */
  private record Bucket(CompiledPolicy policy, boolean requests, String key, int limit, double cost) {
    double ratePerSecond() {
      return limit / 60.0;
    }
  }

  @Override
  public Decision before(E x) {
    GovernedCall call = x.request();
    Caller caller = call.caller();
    Agent agent = x.agent();
    if (caller == null || agent == null) {
      return PROCEED;
    }
    List<CompiledPolicy> governing =
        policies.forTenant(caller.tenantId()).governing(PolicyDefinition.RATE_LIMIT, agent.name(), kind, call.target());
    if (governing.isEmpty()) {
      return PROCEED;
    }
    List<Bucket> list = new ArrayList<>(governing.size() * 2);
    long worst = -1;
    for (CompiledPolicy p : governing) {
      RateLimit r = p.definition().rateLimit();
      if (r == null) {
        continue;
      }
      String per = r.per() == null ? "agent" : r.per();
      String subject =
          switch (per) {
            case "tenant" -> caller.tenantId();
            case "target" -> call.target();
            default -> agent.id();
          };
      if (r.requestsPerMinute() != null) {
        list.add(new Bucket(p, true, key(p, "r", per, subject), r.requestsPerMinute(), 1));
      }
      if (r.tokensPerMinute() != null && tokens != null) {
        if (worst < 0) {
          long reserve = tokens.reserve(x);
          // A worst case below 0 is one that overflowed: unbounded, not free.
          worst = reserve < 0 ? Long.MAX_VALUE : Math.max(1, reserve);
        }
        list.add(new Bucket(p, false, key(p, "t", per, subject), r.tokensPerMinute(), Math.min(worst, r.tokensPerMinute())));
      }
    }
    if (list.isEmpty()) {
      return PROCEED;
    }
    int n = list.size();
    String[] keys = new String[n];
    double[] capacities = new double[n];
    double[] rates = new double[n];
    double[] costs = new double[n];
    for (int i = 0; i < n; i++) {
      Bucket b = list.get(i);
      keys[i] = b.key();
      capacities[i] = b.limit();
      rates[i] = b.ratePerSecond();
      costs[i] = b.cost();
    }
    Map<String, RateBucketDao.KeyedTake> taken = new HashMap<>(n * 2);
    for (RateBucketDao.KeyedTake t : buckets.takeAll(keys, capacities, rates, costs)) {
      taken.put(t.key(), t);
    }
    Bucket refused = null;
    double refusedWait = 0;
    for (Bucket b : list) {
      RateBucketDao.KeyedTake t = taken.get(b.key());
      if (t != null && !t.admitted()) {
        double wait = (b.cost() - t.tokens()) / b.ratePerSecond();
        if (refused == null || wait > refusedWait) {
          refused = b;
          refusedWait = wait;
        }
      }
    }
    if (refused == null) {
      admitted(x, list, taken);
      return PROCEED;
    }
    giveBack(list, taken);
    Duration retryAfter = Duration.ofMillis((long) Math.ceil(Math.max(0, refusedWait) * 1000));
    RateLimitStatus status = status(list, taken, true, retryAfter, refused.policy().ref());
    x.rateLimited(status);
    return Decision.deny(refused.policy().ref(), DenialCodes.RATE_LIMITED, reason(refused, status.retryAfterSeconds()));
  }

  @Override
  public void complete(E x) {
    if (tokens == null) {
      return;
    }
    Reservation r = tokens.reservation(x);
    if (r == null) {
      return;
    }
    tokens.reservation(x, null);
    long used = tokens.used(x);
    double[] deltas = new double[r.keys().length];
    boolean any = false;
    for (int i = 0; i < deltas.length; i++) {
      deltas[i] = r.reserved()[i] - used;
      any |= deltas[i] != 0;
    }
    if (any) {
      try {
        buckets.settle(r.keys(), r.capacities(), deltas);
      } catch (RuntimeException e) {
        // The call itself is done: a reservation left unsettled only makes the bucket stricter for a minute.
        LOG.warn("settling a tokens-per-minute reservation failed: {}", e.toString());
      }
    }
  }

  private void admitted(E x, List<Bucket> list, Map<String, RateBucketDao.KeyedTake> taken) {
    RateLimitStatus status = status(list, taken, false, null, null);
    x.rateLimited(status);
    if (status.requests() != null) {
      x.applied(Decision.record(status.requests().policy(), "rate-limit: " + status.requests().remaining() + " requests left"));
    }
    if (status.tokens() != null) {
      x.applied(Decision.record(status.tokens().policy(), "rate-limit: " + status.tokens().remaining() + " tokens left"));
    }
    if (tokens == null) {
      return;
    }
    List<Bucket> held = list.stream().filter(b -> !b.requests()).sorted(Comparator.comparing(Bucket::key)).toList();
    if (!held.isEmpty()) {
      tokens.reservation(
          x,
          new Reservation(
              held.stream().map(Bucket::key).toArray(String[]::new),
              held.stream().mapToDouble(Bucket::limit).toArray(),
              held.stream().mapToDouble(Bucket::cost).toArray()));
    }
  }

  /** A refused call takes nothing: what the other buckets admitted goes back. */
  private void giveBack(List<Bucket> list, Map<String, RateBucketDao.KeyedTake> taken) {
    List<Bucket> back = new ArrayList<>();
    for (Bucket b : list) {
      RateBucketDao.KeyedTake t = taken.get(b.key());
      if (t != null && t.admitted()) {
        back.add(b);
      }
    }
    if (back.isEmpty()) {
      return;
    }
    back.sort(Comparator.comparing(Bucket::key));
    try {
      buckets.settle(
          back.stream().map(Bucket::key).toArray(String[]::new),
          back.stream().mapToDouble(Bucket::limit).toArray(),
          back.stream().mapToDouble(Bucket::cost).toArray());
    } catch (RuntimeException e) {
      // The refusal stands; what was not given back only makes those buckets stricter for a while.
      LOG.warn("giving back a refused call's rate-limit takes failed: {}", e.toString());
    }
  }

  /** The tightest requests and tokens buckets as the take left them (given back, when refused). */
  private static RateLimitStatus status(
      List<Bucket> list, Map<String, RateBucketDao.KeyedTake> taken, boolean refused, Duration retryAfter, String policy) {
    RateLimitStatus.Window requests = null;
    RateLimitStatus.Window tokens = null;
    for (Bucket b : list) {
      RateBucketDao.KeyedTake t = taken.get(b.key());
      if (t == null) {
        continue;
      }
      double left = refused && t.admitted() ? t.tokens() + b.cost() : t.tokens();
      left = Math.min(b.limit(), left);
      long reset = (long) Math.ceil(Math.max(0, b.limit() - left) / b.ratePerSecond() * 1000);
      RateLimitStatus.Window w =
          new RateLimitStatus.Window(b.policy().ref(), b.limit(), (long) Math.floor(Math.max(0, left)), Duration.ofMillis(reset));
      if (b.requests()) {
        requests = tighter(requests, w);
      } else {
        tokens = tighter(tokens, w);
      }
    }
    return new RateLimitStatus(requests, tokens, retryAfter, policy);
  }

  private static RateLimitStatus.Window tighter(RateLimitStatus.Window a, RateLimitStatus.Window b) {
    if (a == null) {
      return b;
    }
    if (b.remaining() != a.remaining()) {
      return b.remaining() < a.remaining() ? b : a;
    }
    return b.limit() < a.limit() ? b : a;
  }

  private static String reason(Bucket b, long retryAfterSeconds) {
    RateLimit r = b.policy().definition().rateLimit();
    String per = r.per() == null ? "agent" : r.per();
    String what =
        b.requests()
            ? b.limit() + " requests per minute per " + per
            : b.limit() + " tokens per minute per " + per + ", and this call reserves " + (long) b.cost() + " (its input and most output)";
    return "rate limit " + b.policy().ref() + " allows " + what + "; retry after " + retryAfterSeconds + " s";
  }

  private static String key(CompiledPolicy p, String bucket, String per, String subject) {
    return "rl:" + p.name() + ":" + bucket + ":" + per + ":" + subject;
  }

  /** A model call's worst case in tokens: its input as counted here, plus the most output it may get. */
  static long worstCase(ModelExchange x) {
    ModelCall call = x.request();
    long input = x.estimatedInputTokens();
    if (call.kind() == ModelCall.Kind.EMBEDDINGS) {
      return input;
    }
    long output = dev.gatehouse.activities.model.OutputBound.maxOutput(call.dialect(), call.body(), x.model());
    return dev.gatehouse.activities.model.OutputBound.plus(input, output);
  }

  /**
   * Forgets the buckets no call took from for {@link #IDLE}, every replica's: for a process to run
   * every {@link #IDLE} (the application schedules it on its managed executor).
   */
  public static Runnable idleSweep(Jdbi jdbi) {
    RateBucketDao buckets = jdbi.onDemand(RateBucketDao.class);
    return () -> sweep(buckets);
  }

  private static void sweep(RateBucketDao buckets) {
    try {
      buckets.deleteIdleSince(Instant.now().minus(IDLE));
    } catch (RuntimeException e) {
      LOG.warn("forgetting idle rate-limit buckets failed: {}", e.toString());
    }
  }
}
