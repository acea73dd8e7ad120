package dev.gatehouse.activities.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.http.BlockingHttp;
import dev.gatehouse.activities.model.translate.StreamTranslator;
import dev.gatehouse.activities.model.translate.Translation;
import dev.gatehouse.activities.sse.SseEvent;
import dev.gatehouse.activities.sse.SseParser;
import dev.gatehouse.activities.usage.TokenEstimator;
import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.registry.models.ProviderDefinition;
import dev.gatehouse.registry.tools.RetrySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Routes one model call: the alias's targets in a weighted random order, then each fallback
 * alias's (depth first, each alias once, at most {@link #MAX_ALIASES}). A target that fails with
 * a 429, a 5xx, a timeout or a connection error is retried with jittered exponential backoff
 * (honouring {@code Retry-After} up to {@link ModelRoutingSettings#maxRetryAfter}) up to its
 * model's {@code retry.maxAttempts} (once, for a durable step: the engine retries the step with
 * that policy), then the next target is tried; a provider cooling down is
 * skipped, and so is a target the request cannot be translated for (then the first such refusal
 * is the answer when no other target was tried). A refusal of the request itself (a 4xx) ends
 * the call at once: no provider would answer differently. A stream falls back only until its
 * first event reached the client; after that a failure ends the stream with an error event. A
 * token count is routed the same way: an
 * Anthropic-type target counts it, and the first OpenAI-type target reached is counted by
 * Gatehouse ({@link TokenEstimator}), no call made.
 */
final class ModelRouter {
  /** The retry policy of a model that sets none: one retry, soon. */
  static final RetrySpec DEFAULT_RETRY = new RetrySpec(2, Duration.ofMillis(100), 2.0, Duration.ofSeconds(2));
  static final int MAX_ALIASES = 8;
  private static final int MAX_REPORTED_FAILURES = 6;
  /** A stream's read buffer, one per request thread (a thread relays one stream at a time). */
  private static final ThreadLocal<byte[]> READ_BUFFER = ThreadLocal.withInitial(() -> new byte[8192]);

  private final ModelCatalog catalog;
  private final ProviderClient client;
  private final CoolDowns coolDowns;
  private final StreamWatchdog watchdog;
  private final ModelRoutingSettings settings;
  private final FallbackGuard fallbacks;

  /**
   * Whether a call may go on to a fallback alias: null when it may, else why not. The policies, and
   * the agent's permissions, were checked for the alias the call named; one that governs a
   * fallback and not that alias would be passed by going there.
   */
  interface FallbackGuard {
    String refusal(ModelExchange x, ModelDefinition fallback);

    FallbackGuard NONE = (x, fallback) -> null;
  }

  ModelRouter(ModelCatalog catalog, ProviderClient client, CoolDowns coolDowns, StreamWatchdog watchdog, ModelRoutingSettings settings) {
    this(catalog, client, coolDowns, watchdog, settings, FallbackGuard.NONE);
  }

  ModelRouter(
      ModelCatalog catalog, ProviderClient client, CoolDowns coolDowns, StreamWatchdog watchdog, ModelRoutingSettings settings, FallbackGuard fallbacks) {
    this.catalog = catalog;
    this.client = client;
    this.coolDowns = coolDowns;
    this.watchdog = watchdog;
    this.settings = settings;
    this.fallbacks = fallbacks;
  }

  /** What every failed target said, to pick the answer when none is left. */
  private static final class Failures {
    final Map<String, String> byTarget = new LinkedHashMap<>();
    /** Each failed attempt as the audit row names it: {@code provider/model (kind status)}; never the provider's words. */
    final List<String> attempts = new java.util.ArrayList<>();
    final Set<ProviderFailure.Kind> kinds = EnumSet.noneOf(ProviderFailure.Kind.class);
    Duration retryAfter;
    int skipped;
    ModelCallException untranslatable;

    void add(String target, ProviderFailure f) {
      byTarget.put(target, f.getMessage());
      if (attempts.size() < 16) {
        attempts.add(target + " (" + f.kind().name().toLowerCase(java.util.Locale.ROOT) + (f.status() > 0 ? " " + f.status() : "") + ")");
      }
      kinds.add(f.kind());
      wait(f.retryAfter());
    }

    /**
     * A target that cannot take the request as written (its translation refused it). The first
     * such refusal is the call's answer when no target was called or is cooling down: the
     * caller's request, not a provider, is what failed.
     */
    void cannotTake(String target, ModelCallException refusal) {
      byTarget.putIfAbsent(target, target + " cannot take this request: " + refusal.getMessage());
      if (untranslatable == null) {
        untranslatable = refusal;
      }
    }

    void coolingDown(String provider, CoolDowns.Cooling cooling) {
      if (cooling.rateLimited()) {
        byTarget.putIfAbsent(provider, "provider " + provider + " is rate limited (it answered 429)");
        kinds.add(ProviderFailure.Kind.RATE_LIMITED);
      } else {
        byTarget.putIfAbsent(provider, "provider " + provider + " is cooling down after failures");
        kinds.add(ProviderFailure.Kind.SERVER_ERROR);
      }
      wait(cooling.left());
    }

    void wait(Duration d) {
      if (d != null && !d.isZero() && !d.isNegative() && (retryAfter == null || d.compareTo(retryAfter) < 0)) {
        retryAfter = d;
      }
    }
  }

  ModelAnswer route(ModelExchange x) {
    ModelCall call = x.request();
    Failures failures = new Failures();
    for (ModelDefinition model : aliases(x.model(), call.caller().tenantId())) {
      String refused = model == x.model() ? null : fallbacks.refusal(x, model);
      if (refused != null) {
        failures.byTarget.putIfAbsent(model.name(), refused); // said in the answer; the targets' failures name its code
        continue;
      }
      RetrySpec retry = model.retry() != null ? model.retry() : DEFAULT_RETRY;
      // A durable step is retried by the engine with this same policy: inside one of its attempts
      // each target is tried once, so retries do not multiply.
      int attemptsPerTarget = call.taskId() != null ? 1 : retry.maxAttempts();
      for (ModelDefinition.Target target : order(model.targets())) {
        ProviderDefinition provider = catalog.provider(target.provider(), model.tenantId()).orElse(null);
        if (provider == null) {
          failures.byTarget.putIfAbsent(target.provider(), "provider " + target.provider() + " is not in the registry");
          failures.kinds.add(ProviderFailure.Kind.SERVER_ERROR);
          continue;
        }
        Dialect dialect = Dialect.ofProviderType(provider.type());
        if (call.kind() == ModelCall.Kind.EMBEDDINGS && dialect != Dialect.OPENAI) {
          failures.skipped++;
          continue;
        }
        if (call.kind() == ModelCall.Kind.COUNT_TOKENS && dialect == Dialect.OPENAI) {
          // No OpenAI-type provider counts a request's tokens: Gatehouse does, on the request this
          // provider would be sent, with the encoding of OpenAI's current models. Nothing is called.
          return estimatedCount(x, provider, target.model());
        }
        // A token count neither reads nor moves a provider's cool-down: Anthropic limits counting
        // apart from messages, and a count refused or failing must not turn every tenant's calls away.
        boolean cools = call.kind() != ModelCall.Kind.COUNT_TOKENS;
        CoolDowns.Cooling cooling = cools ? coolDowns.cooling(provider.name()) : CoolDowns.Cooling.NONE;
        if (cooling.active()) {
          failures.coolingDown(provider.name(), cooling);
          continue;
        }
        ObjectNode request;
        try {
          request =
              call.kind() == ModelCall.Kind.EMBEDDINGS
                  ? embeddingsRequest(call.body(), target.model())
                  : call.kind() == ModelCall.Kind.COUNT_TOKENS
                  ? countRequest(call.body(), target.model())
                  : Translation.request(
                      call.dialect(), dialect, OutputBound.forProvider(call.dialect(), dialect, call.body(), x.model(), model), target.model(),
                      call.stream());
        } catch (ModelCallException cannot) {
          // This target cannot take the request as the caller wrote it (n above 1 for an
          // Anthropic model, say); another target of the alias may: nothing was sent here.
          failures.cannotTake(provider.name() + "/" + target.model(), cannot);
          continue;
        }
        for (int attempt = 1; ; attempt++) {
          x.target(provider.name(), target.model());
          try {
            ProviderClient.Prepared prepared = client.prepare(provider, call.kind());
            if (dialect == Dialect.ANTHROPIC && call.dialect() == Dialect.ANTHROPIC) {
              // Betas only where the body is the caller's own: a translated request has none of their members.
              prepared = prepared.withBetas(call.betas());
            }
            ModelAnswer answer =
                call.kind() == ModelCall.Kind.COUNT_TOKENS
                    ? count(x, prepared, request)
                    : call.stream() ? stream(x, model, prepared, request, dialect) : send(x, model, prepared, request, dialect);
            if (cools) {
              coolDowns.success(provider.name());
            }
            x.passed(failures.attempts);
            return answer;
          } catch (ProviderFailure f) {
            if (Thread.currentThread().isInterrupted()) {
              // The call was told to stop (its task was cancelled) and its request aborted: not the
              // provider's failure, so no cool-down (cancelled tasks would cool a provider down for
              // every tenant), and no other target or attempt.
              throw new ModelCallException(ModelCodes.CANCELED, 409, "the model call was stopped", null, null, false);
            }
            if (!f.kind().fallback) {
              throw refusal(f);
            }
            if (f.kind() != ProviderFailure.Kind.EGRESS_REFUSED && cools) {
              // (a refusal costs no call, and cooling down would hide its code behind "cooling down")
              boolean rateLimited = f.kind() == ProviderFailure.Kind.RATE_LIMITED;
              coolDowns.failure(provider.name(), rateLimited, rateLimited ? f.retryAfter() : null);
            }
            failures.add(provider.name() + "/" + target.model(), f);
            if (!f.kind().retry || attempt >= attemptsPerTarget) {
              break;
            }
            // The provider's Retry-After, else a backoff; and never before a cool-down it just entered ends.
            Duration wait = f.retryAfter() != null ? f.retryAfter() : backoff(retry, attempt);
            Duration coolingNow = cools ? coolDowns.cooling(provider.name()).left() : Duration.ZERO;
            if (coolingNow.compareTo(wait) > 0) {
              wait = coolingNow;
            }
            if (wait.compareTo(settings.maxRetryAfter()) > 0 || !sleep(wait)) {
              break;
            }
          }
        }
      }
    }
    // No provider answered: the usage row and the metrics name none (not the last one tried).
    x.target(null, null);
    throw exhausted(x, failures);
  }

  /** A non-streamed call to one provider: its answer in the caller's dialect. */
  private ModelAnswer send(ModelExchange x, ModelDefinition model, ProviderClient.Prepared p, ObjectNode request, Dialect dialect)
      throws ProviderFailure {
    ModelCall call = x.request();
    ObjectNode answer = client.send(p, request);
    ModelUsage usage;
    ObjectNode body;
    try {
      if (call.kind() == ModelCall.Kind.EMBEDDINGS) {
        if (!answer.path("data").isArray() || (answer.get("error") != null && !answer.get("error").isNull())) {
          throw new ModelCallException(ModelCodes.UPSTREAM_ERROR, 502, "the provider's answer has no embeddings (no data)", null, null, false);
        }
        usage = embeddingsUsage(answer);
        body = answer;
      } else {
        usage = Translation.usage(dialect, answer);
        body = Translation.response(dialect, call.dialect(), answer);
      }
    } catch (ModelCallException e) {
      throw new ProviderFailure(ProviderFailure.Kind.BAD_ANSWER, 200, "provider " + p.provider().name() + " gave an answer Gatehouse cannot read: " + e.getMessage(), null);
    }
    if (usage == null) {
      // No usage in the answer (some compatible servers and proxies leave it out): the text it
      // holds is counted, as for a stream that did not end whole, or output would be free
      // against token and cost budgets.
      usage = estimate(call, call.kind() == ModelCall.Kind.EMBEDDINGS ? "" : answerText(dialect, answer));
      if (call.kind() != ModelCall.Kind.EMBEDDINGS && dialect != call.dialect()) {
        // The translation wrote the caller's usage as 0 tokens: tell it what is metered instead.
        // (Passed through, the answer stays as the provider wrote it.)
        Translation.setUsage(call.dialect(), body, usage);
      }
    }
    x.usage(usage);
    return new ModelAnswer(body, usage, null, p.provider().name(), x.providerModel(), null);
  }

  /** A token count's request to an Anthropic provider: the caller's body, for the provider's model, without {@code stream}. */
  private static ObjectNode countRequest(ObjectNode body, String providerModel) {
    ObjectNode copy = Translation.request(Dialect.ANTHROPIC, Dialect.ANTHROPIC, body, providerModel, false);
    copy.remove("stream"); // (false, or the face would have refused it) Anthropic's count takes none
    return copy;
  }

  /**
   * An Anthropic provider's count of the request's input tokens: its {@code input_tokens}, a whole
   * number (and {@code context_management.original_input_tokens}, which Anthropic adds when context
   * management edits the request); nothing else the provider wrote reaches the agent, as no answer
   * policy reads a count. A provider that has no token counting (404: an Anthropic-compatible
   * server, a proxy) gets the request counted by Gatehouse instead, as an OpenAI-type one does.
   */
  private ModelAnswer count(ModelExchange x, ProviderClient.Prepared p, ObjectNode request) throws ProviderFailure {
    ObjectNode answer;
    try {
      answer = client.send(p, request);
    } catch (ProviderFailure f) {
      if (f.status() == 404) {
        return countAnswer(TokenEstimator.inputTokens(Dialect.ANTHROPIC, request), true, p.provider().name(), x.providerModel());
      }
      throw f;
    }
    long tokens = wholeCount(answer.get("input_tokens"));
    if (tokens < 0) {
      throw new ProviderFailure(
          ProviderFailure.Kind.BAD_ANSWER, 200, "provider " + p.provider().name() + " answered a token count without a whole 'input_tokens'", null);
    }
    ModelAnswer counted = countAnswer(tokens, false, p.provider().name(), x.providerModel());
    long original = wholeCount(answer.path("context_management").get("original_input_tokens"));
    if (original >= 0) {
      counted.body().putObject("context_management").put("original_input_tokens", original);
    }
    return counted;
  }

  /** A count a provider gave: a whole number from 0; else -1. */
  private static long wholeCount(JsonNode n) {
    return n != null && n.isIntegralNumber() && n.canConvertToLong() && n.longValue() >= 0 ? n.longValue() : -1;
  }

  /** Anthropic's answer to a token count, {@code {"input_tokens": N}}; its usage says whether Gatehouse counted. */
  private static ModelAnswer countAnswer(long tokens, boolean estimated, String provider, String providerModel) {
    ObjectNode body = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    body.put("input_tokens", tokens);
    return new ModelAnswer(body, new ModelUsage(tokens, 0, 0, 0, estimated), null, provider, providerModel, null);
  }

  /**
   * Gatehouse's own count of a request's input tokens for an OpenAI-type provider: the request it
   * would be sent (translated, when the caller speaks Anthropic's API), counted by {@link
   * TokenEstimator}; the answer in Anthropic's shape, its usage marked estimated.
   */
  private static ModelAnswer estimatedCount(ModelExchange x, ProviderDefinition provider, String providerModel) {
    ModelCall call = x.request();
    // (The translation builds the request anew from the members it knows: no copy first.)
    ObjectNode sent = Translation.request(call.dialect(), Dialect.OPENAI, call.body(), providerModel, false);
    x.target(provider.name(), providerModel);
    return countAnswer(TokenEstimator.inputTokens(Dialect.OPENAI, sent), true, provider.name(), providerModel);
  }

  /** Thrown out of the SSE parser's listener when the client is gone. */
  private static final class ClientGone extends RuntimeException {
    ClientGone() {
      super(null, null, false, false);
    }
  }

  /**
   * The caller's sink, opened at the first event; an IOException from it means the client left.
   * The provider's secret values are kept out of the events ({@link StreamSecrets}: replaced by
   * {@code [redacted]}, a value split across events included).
   */
  private static final class Relay implements StreamSink {
    private final StreamSink sink;
    private final long startNanos;
    private final StreamSecrets secrets;
    /** Held while writing to the client: by the relaying thread, and by a keep-alive ({@link #keepAlive}). */
    private final java.util.concurrent.locks.ReentrantLock writes = new java.util.concurrent.locks.ReentrantLock();
    volatile boolean opened;
    volatile boolean gone;
    long firstEventNanos;
    /** The provider stream's watch: its idle time stops while an event is written to the client. */
    StreamWatchdog.Watch watch;

    Relay(StreamSink sink, long startNanos, Dialect dialect, dev.gatehouse.activities.credentials.UpstreamCredentials.Resolved secrets) {
      this.sink = sink;
      this.startNanos = startNanos;
      StreamSecrets kept = new StreamSecrets(dialect, secrets);
      this.secrets = kept.redacts() ? kept : null;
    }

    @Override
    public void open() throws IOException {
      if (!opened) {
        writes.lock();
        try {
          opened = true;
          sink.open();
        } catch (IOException e) {
          gone = !(e instanceof StreamStopped);
          throw e;
        } finally {
          writes.unlock();
        }
      }
    }

    @Override
    public void event(String name, String data) throws IOException {
      open();
      if (firstEventNanos == 0) {
        firstEventNanos = System.nanoTime();
      }
      writing(true);
      writes.lock();
      try {
        long before = sink.written();
        if (secrets == null) {
          sink.event(name, data);
        } else {
          secrets.event(name, data, sink);
        }
        long after = sink.written();
        if (watch != null && (after < 0 || after != before)) {
          watch.wroteToClient(); // what a policy held back reached no one: it keeps nothing alive
        }
      } catch (IllegalArgumentException e) {
        // The sink cannot write the event (a name it refuses): the provider sent it, and the client is still there.
        throw new ModelCallException(ModelCodes.UPSTREAM_ERROR, 502, "the stream sent an event that cannot be relayed", null, null, true);
      } catch (IOException e) {
        gone = !(e instanceof StreamStopped);
        throw e;
      } finally {
        writes.unlock();
        writing(false);
      }
    }

    @Override
    public void flush() throws IOException {
      if (opened) {
        writing(true);
        writes.lock();
        try {
          sink.flush();
        } catch (IOException e) {
          gone = !(e instanceof StreamStopped);
          throw e;
        } finally {
          writes.unlock();
          writing(false);
        }
      }
    }

    /**
     * From the watchdog's keep-alive pool, while the provider is quiet: a keep-alive comment to
     * the client. A provider quiet since it answered (a model that thinks before its first event)
     * has the stream opened here, the status line and headers committed: the router no longer
     * falls back from it, but the client's connection is kept alive. Skipped while the relaying
     * thread writes. A client that has left fails the write: the stream is marked gone and {@code
     * upstream} closed, which ends the relaying thread's wait on the provider, and the call ends
     * as the client's leaving.
     */
    void keepAlive(java.io.InputStream upstream) {
      if (gone || !writes.tryLock()) {
        return;
      }
      try {
        open();
        sink.keepAlive();
      } catch (IOException | RuntimeException e) {
        gone = true;
        ProviderClient.closeQuietly(upstream);
      } finally {
        writes.unlock();
      }
    }

    private void writing(boolean now) {
      if (watch != null) {
        watch.writingToClient(now);
      }
    }

    Long ttftMs() {
      return firstEventNanos == 0 ? null : (firstEventNanos - startNanos) / 1_000_000;
    }
  }

  /**
   * A streamed call to one provider, relayed event by event. Throws {@link ProviderFailure} only
   * while nothing has reached the client (the router may still fall back); after that it returns,
   * having ended the client's stream with an error event if the provider's stream broke.
   */
  private ModelAnswer stream(ModelExchange x, ModelDefinition model, ProviderClient.Prepared p, ObjectNode request, Dialect dialect)
      throws ProviderFailure {
    ModelCall call = x.request();
    long start = System.nanoTime();
    boolean clientWantsUsage =
        call.dialect() == Dialect.OPENAI && call.body().path("stream_options").path("include_usage").asBoolean(false);
    StreamTranslator translator = Translation.stream(dialect, call.dialect(), clientWantsUsage);
    // A translated stream tells its caller what is metered (below) when the provider reports no usage.
    translator.estimateUsageWith(relayedText -> partial(call, translator.usage(), relayedText));
    Relay relay = new Relay(x.sink(), start, call.dialect(), p.secrets());
    BlockingHttp.Body in = client.open(p, request);
    ProviderFailure broken = null;
    try (StreamWatchdog.Watch watch =
        watchdog.watch(in, p.provider().timeoutOrDefault(), settings.maxStreamDuration(), settings.streamKeepAlive(), () -> relay.keepAlive(in))) {
      relay.watch = watch;
      SseParser parser =
          new SseParser(
              settings.maxStreamEventBytes(),
              new SseParser.Listener() {
                @Override
                public void event(SseEvent event) {
                  // Only an event with data is the provider's activity: keep-alive comments and
                  // empty events are not (they kept a stream that said nothing else open for ever).
                  watch.activity();
                  try {
                    translator.accept(event, relay);
                  } catch (IOException e) {
                    throw relay.gone ? new ClientGone() : new UncheckedIOException(e);
                  }
                }

                @Override
                public void tooLarge(int max) {
                  throw new ModelCallException(
                      ModelCodes.UPSTREAM_ERROR, 502, "the stream sent an event over " + max + " bytes", null, null, true);
                }
              });
      // All the provider sent so far is relayed when a read must go to the network: it leaves
      // then, before that read may wait, and events that came in together leave in one write.
      // (The last events go out with the end of the response.)
      in.beforeNetworkRead(
          () -> {
            if (!translator.complete()) {
              try {
                relay.flush();
              } catch (IOException e) {
                throw relay.gone ? new ClientGone() : new UncheckedIOException(e);
              }
            }
          });
      byte[] buffer = READ_BUFFER.get();
      while (!translator.complete()) {
        int n;
        try {
          n = in.read(buffer);
        } catch (IOException e) {
          if (relay.gone) {
            throw new ClientGone(); // a keep-alive found the client gone and closed the upstream
          }
          broken =
              watch.overran()
                  ? new ProviderFailure(
                      ProviderFailure.Kind.TIMEOUT, 200, "the stream from provider " + p.provider().name() + " went on for more than "
                          + settings.maxStreamDuration().toMillis() + " ms", null)
              : watch.fired()
                  ? new ProviderFailure(
                      ProviderFailure.Kind.TIMEOUT, 200, "provider " + p.provider().name() + " sent no event for " + p.provider().timeoutOrDefault().toMillis() + " ms", null)
                  : new ProviderFailure(
                      ProviderFailure.Kind.CONNECTION, 200, "the stream from provider " + p.provider().name() + " broke: " + p.redact(dev.gatehouse.activities.http.NetworkFailures.describe(e)), null);
          break;
        }
        if (n < 0) {
          broken = new ProviderFailure(ProviderFailure.Kind.BAD_ANSWER, 200, "the stream from provider " + p.provider().name() + " ended before its last event", null);
          break;
        }
        try {
          parser.feed(buffer, 0, n);
        } catch (ModelCallException e) {
          broken = new ProviderFailure(ProviderFailure.Kind.BAD_ANSWER, 200, "provider " + p.provider().name() + ": " + e.getMessage(), null);
          break;
        }
      }
      if (broken == null) {
        translator.finish(relay);
        // The provider should end the body now: read to its end, so its connection is kept.
        in.finish(FINISH_GRACE, FINISH_MAX_BYTES);
      }
    } catch (ClientGone e) {
      // The client left (the relay saw its IOException): the upstream request is abandoned below.
      x.clientClosed(true);
    } catch (IOException e) {
      // The client left, or a policy's sink ended the stream (StreamStopped): abandoned below either way.
      x.clientClosed(relay.gone);
    } catch (UncheckedIOException e) {
      x.clientClosed(relay.gone);
    } finally {
      ProviderClient.closeQuietly(in);
    }
    if (broken != null && !relay.opened && !x.clientClosed()) {
      throw broken;
    }
    // The first of the provider's events, not Gatehouse's error event below (a stream that broke
    // before its first event has no time to first token).
    Long ttft = relay.ttftMs();
    if (broken != null && !x.clientClosed()) {
      coolDowns.failure(p.provider().name(), false, null);
      String code = broken.kind() == ProviderFailure.Kind.TIMEOUT ? ModelCodes.TIMED_OUT : ModelCodes.UPSTREAM_ERROR;
      x.streamFailure(code);
      try {
        translator.fail(code, broken.getMessage(), relay);
      } catch (IOException | RuntimeException e) {
        x.clientClosed(relay.gone);
      }
    }
    boolean whole = broken == null && !x.clientClosed() && translator.complete();
    ModelUsage reported = translator.usage();
    ModelUsage usage = whole && reported != null && translator.usageFinal() ? reported : partial(call, reported, translator.relayedText());
    x.usage(usage);
    if (ttft != null) {
      x.timeToFirstToken(ttft);
    }
    return new ModelAnswer(null, usage, null, p.provider().name(), x.providerModel(), ttft);
  }

  /** How long, and how much, a provider's stream is read after its last event to reach its end. */
  private static final Duration FINISH_GRACE = Duration.ofMillis(200);

  private static final int FINISH_MAX_BYTES = 64 * 1024;

  /** Usage of a stream that did not end whole: what the provider reported, topped up by counting what was relayed. */
  private static ModelUsage partial(ModelCall call, ModelUsage reported, CharSequence relayed) {
    ModelUsage counted = estimate(call, relayed);
    if (reported == null) {
      return counted;
    }
    return new ModelUsage(
        reported.inputTokens() > 0 ? reported.inputTokens() : counted.inputTokens(),
        reported.cachedInputTokens(),
        reported.cacheWriteInputTokens(),
        Math.max(reported.outputTokens(), counted.outputTokens()),
        reported.reasoningTokens(),
        true);
  }

  /**
   * The text of a non-streamed answer of dialect {@code dialect} that the model wrote: every string
   * under its {@code choices} (OpenAI) or {@code content} (Anthropic), contents, reasoning, refusals
   * and tool calls' names and arguments alike.
   */
  static CharSequence answerText(Dialect dialect, ObjectNode answer) {
    StringBuilder text = new StringBuilder();
    java.util.ArrayDeque<com.fasterxml.jackson.databind.JsonNode> pending = new java.util.ArrayDeque<>();
    pending.push(answer.path(dialect == Dialect.OPENAI ? "choices" : "content"));
    while (!pending.isEmpty()) {
      com.fasterxml.jackson.databind.JsonNode n = pending.pop();
      if (n.isTextual()) {
        text.append(n.asText()).append(' ');
      } else if (n.isContainerNode()) {
        n.forEach(pending::push);
      }
    }
    return text;
  }

  private static ModelUsage estimate(ModelCall call, CharSequence output) {
    return new ModelUsage(TokenEstimator.inputTokens(call.dialect(), call.body()), 0, TokenEstimator.tokens(output), 0, true);
  }

  private static ObjectNode embeddingsRequest(ObjectNode body, String providerModel) {
    ObjectNode copy = body.deepCopy();
    copy.put("model", providerModel);
    return copy;
  }

  private static ModelUsage embeddingsUsage(ObjectNode answer) {
    var usage = answer.path("usage");
    if (!usage.isObject()) {
      return null;
    }
    long input = usage.path("prompt_tokens").asLong(usage.path("total_tokens").asLong(0));
    return new ModelUsage(input, 0, 0, 0, false);
  }

  /** The model and its fallbacks, depth first, each once, those the tenant can see. */
  private List<ModelDefinition> aliases(ModelDefinition first, String tenantId) {
    List<ModelDefinition> out = new ArrayList<>();
    addWithFallbacks(first, tenantId, out);
    return out;
  }

  private void addWithFallbacks(ModelDefinition model, String tenantId, List<ModelDefinition> out) {
    if (out.size() >= MAX_ALIASES || out.stream().anyMatch(m -> m.name().equals(model.name()))) {
      return;
    }
    out.add(model);
    for (String alias : model.fallbacks()) {
      catalog.model(alias, tenantId).ifPresent(m -> addWithFallbacks(m, tenantId, out));
    }
  }

  /** The targets in a weighted random order (Efraimidis–Spirakis: key u^(1/w), largest first). */
  static List<ModelDefinition.Target> order(List<ModelDefinition.Target> targets) {
    if (targets.size() < 2) {
      return targets;
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    record Keyed(ModelDefinition.Target target, double key) {}
    List<Keyed> keyed = new ArrayList<>(targets.size());
    for (ModelDefinition.Target t : targets) {
      double u = random.nextDouble(Double.MIN_VALUE, 1.0);
      keyed.add(new Keyed(t, Math.log(u) / Math.max(1, t.weight())));
    }
    keyed.sort(Comparator.comparingDouble(Keyed::key).reversed());
    return keyed.stream().map(Keyed::target).toList();
  }

  /** The wait before retry {@code attempt + 1}: exponential, with "equal jitter" (half fixed, half random). */
  static Duration backoff(RetrySpec retry, int attempt) {
    double base = retry.initialInterval().toMillis() * Math.pow(retry.backoff(), attempt - 1);
    double capped = Math.min(base, retry.maxInterval().toMillis());
    double jittered = capped / 2 + ThreadLocalRandom.current().nextDouble() * capped / 2;
    return Duration.ofMillis(Math.max(1, Math.round(jittered)));
  }

  private static boolean sleep(Duration wait) {
    try {
      Thread.sleep(wait.toMillis());
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** A provider's refusal of the request itself, as the caller sees it. */
  private static ModelCallException refusal(ProviderFailure f) {
    if (f.status() == 400 || f.status() == 413 || f.status() == 422) {
      return new ModelCallException(ModelCodes.INVALID_REQUEST, 400, f.getMessage(), null, null, false);
    }
    return new ModelCallException(ModelCodes.UPSTREAM_ERROR, 502, f.getMessage(), null, null, false);
  }

  /** Nothing answered: the code says what kind of failure it was when all were of one kind. */
  private static ModelCallException exhausted(ModelExchange x, Failures failures) {
    String alias = x.request().alias();
    if (failures.untranslatable != null && failures.kinds.isEmpty()) {
      return failures.untranslatable;
    }
    if (failures.byTarget.isEmpty()) {
      if (failures.skipped > 0) {
        return ModelCallException.invalid("model '" + alias + "' has no OpenAI-compatible provider, which embeddings need", "model");
      }
      return new ModelCallException(ModelCodes.UPSTREAM_UNAVAILABLE, 503, "model '" + alias + "' has no provider to call", null, null, true);
    }
    StringBuilder why = new StringBuilder("no provider of model '").append(alias).append("' answered: ");
    int n = 0;
    for (Map.Entry<String, String> e : failures.byTarget.entrySet()) {
      if (n++ == MAX_REPORTED_FAILURES) {
        why.append("; and ").append(failures.byTarget.size() - MAX_REPORTED_FAILURES).append(" more");
        break;
      }
      why.append(n > 1 ? "; " : "").append(e.getValue());
    }
    // A provider's Retry-After is told on no longer than a cool-down can last: some clients sleep
    // for whatever the header says, and a provider (or anything on its path) could say years.
    Duration told = failures.retryAfter == null || failures.retryAfter.compareTo(CoolDowns.MAX_COOL_DOWN) <= 0
        ? failures.retryAfter
        : CoolDowns.MAX_COOL_DOWN;
    Duration retryAfter = told == null ? null : ceilSeconds(told);
    if (failures.kinds.size() == 1) {
      switch (failures.kinds.iterator().next()) {
        case RATE_LIMITED:
          return new ModelCallException(
              ModelCodes.RATE_LIMITED, 429, why.toString(), null, retryAfter == null ? Duration.ofSeconds(1) : retryAfter, true);
        case TIMEOUT:
          return new ModelCallException(ModelCodes.TIMED_OUT, 504, why.toString(), null, retryAfter, true);
        case TOO_LARGE:
          return new ModelCallException(ModelCodes.RESPONSE_TOO_LARGE, 502, why.toString(), null, null, false);
        case CREDENTIALS:
          return new ModelCallException(ModelCodes.CREDENTIALS_UNAVAILABLE, 502, why.toString(), null, null, false);
        case EGRESS_REFUSED:
          return new ModelCallException(ModelCodes.EGRESS_REFUSED, 502, why.toString(), null, null, false);
        case BAD_ANSWER:
          // Every provider answered, with something that is not an answer: retrying may help.
          return new ModelCallException(ModelCodes.UPSTREAM_ERROR, 502, why.toString(), null, null, true);
        default:
          break;
      }
    }
    return new ModelCallException(ModelCodes.UPSTREAM_UNAVAILABLE, 503, why.toString(), null, retryAfter, true);
  }

  private static Duration ceilSeconds(Duration d) {
    long s = d.toSeconds() + (d.toNanosPart() > 0 ? 1 : 0);
    return Duration.ofSeconds(Math.max(1, s));
  }
}
