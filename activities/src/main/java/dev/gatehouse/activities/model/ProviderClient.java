package dev.gatehouse.activities.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.cache.ReadThroughCache;
import dev.gatehouse.activities.credentials.UpstreamCredentials;
import dev.gatehouse.activities.http.BlockingHttp;
import dev.gatehouse.activities.http.Egress;
import dev.gatehouse.activities.http.EgressRefusedException;
import dev.gatehouse.activities.http.NetworkFailures;
import dev.gatehouse.activities.http.RetryAfter;
import dev.gatehouse.activities.text.UpstreamJson;
import dev.gatehouse.activities.tool.ToolCallException;
import dev.gatehouse.registry.models.ProviderDefinition;
import java.io.IOException;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sends one request to one provider, with Gatehouse's credentials for it (never the agent's):
 * OpenAI-type providers get {@code Authorization: Bearer}, Anthropic-type ones {@code x-api-key}
 * and {@code anthropic-version}; the provider's extra headers after. Paths follow each SDK's base
 * URL convention: an OpenAI base URL ends where {@code /chat/completions} and {@code /embeddings}
 * go ({@code https://api.openai.com/v1}); an Anthropic one is the host ({@code
 * https://api.anthropic.com}) and calls go to {@code /v1/messages} (token counts to {@code
 * /v1/messages/count_tokens}). Every failure is a {@link ProviderFailure} whose message carries no
 * secret, and no answer carries one either: a value of the provider's credentials in an answer
 * (or, streamed, in one event) reaches the caller as {@code [redacted]}.
 */
final class ProviderClient {
  static final String ANTHROPIC_VERSION = "2023-06-01";
  private static final int MAX_ERROR_BODY = 64 * 1024;
  private static final int MAX_ERROR_MESSAGE = 500;

  /** A request ready to send: where, with which headers, and the secrets to keep out of messages. */
  record Prepared(ProviderDefinition provider, URI uri, Map<String, String> headers, UpstreamCredentials.Resolved secrets) {
    String redact(String text) {
      return secrets.redactMessage(text);
    }

    /**
     * This request with {@code betas} added to its {@code anthropic-beta} header: after the
     * betas the provider's own headers name (an operator's), each once. Itself when there are none.
     */
    Prepared withBetas(java.util.List<String> betas) {
      if (betas.isEmpty()) {
        return this;
      }
      Map<String, String> out = new LinkedHashMap<>(headers);
      java.util.Set<String> names = new java.util.LinkedHashSet<>();
      String configured = null;
      for (String header : headers.keySet()) {
        if (header.equalsIgnoreCase(ANTHROPIC_BETA)) {
          configured = header;
          for (String name : headers.get(header).split(",")) {
            if (!name.isBlank()) {
              names.add(name.trim());
            }
          }
        }
      }
      names.addAll(betas);
      if (configured != null) {
        out.remove(configured);
      }
      out.put(ANTHROPIC_BETA, String.join(",", names));
      return new Prepared(provider, uri, out, secrets);
    }
  }

  /** The header that switches on Anthropic's betas. */
  static final String ANTHROPIC_BETA = "anthropic-beta";

  private record Key(ProviderDefinition provider, ModelCall.Kind kind) {}

  private static final int MAX_CACHED = 1_000;

  private final BlockingHttp http;
  private final UpstreamCredentials credentials;
  private final ObjectMapper json;
  private final int maxResponseBytes;
  /** One caller fills an expired entry in and the others asking meanwhile wait for it (see {@link ReadThroughCache}). */
  private final ReadThroughCache<Key, Prepared> prepared;

  /**
   * {@code credentialsTtl}: how long a provider's filled-in headers are reused (a secret read is a
   * database read and a decryption; a changed secret takes up to this to be used; a provider that
   * answers 401 or 403 has its headers read again at once).
   */
  ProviderClient(BlockingHttp http, UpstreamCredentials credentials, ObjectMapper json, int maxResponseBytes, Duration credentialsTtl) {
    this.http = http;
    this.credentials = credentials;
    this.json = UpstreamJson.bounded(json);
    this.maxResponseBytes = maxResponseBytes;
    this.prepared =
        new ReadThroughCache<>(
            credentialsTtl,
            MAX_CACHED,
            k -> {
              try {
                return fill(k.provider(), k.kind());
              } catch (ProviderFailure e) {
                throw new Unfilled(e);
              }
            });
  }

  /**
   * The request to {@code provider} for {@code kind}, its credentials filled in (reused for the TTL
   * and read again by one call before it has passed, see {@link ReadThroughCache}; once it has
   * passed, the concurrent calls to the provider wait for one read of its secrets, not one read each).
   */
  Prepared prepare(ProviderDefinition provider, ModelCall.Kind kind) throws ProviderFailure {
    try {
      return prepared.get(new Key(provider, kind));
    } catch (Unfilled e) {
      throw e.failure;
    }
  }

  /** A {@link ProviderFailure} through the cache's reader, which may throw only unchecked exceptions. */
  private static final class Unfilled extends RuntimeException {
    final ProviderFailure failure;

    Unfilled(ProviderFailure failure) {
      super(null, null, false, false);
      this.failure = failure;
    }
  }

  /** Forgets {@code provider}'s filled-in headers (after it refused them). */
  void forget(ProviderDefinition provider) {
    for (ModelCall.Kind kind : ModelCall.Kind.values()) {
      prepared.invalidate(new Key(provider, kind));
    }
  }

  private Prepared fill(ProviderDefinition provider, ModelCall.Kind kind) throws ProviderFailure {
    String base = provider.baseUrl().endsWith("/") ? provider.baseUrl().substring(0, provider.baseUrl().length() - 1) : provider.baseUrl();
    boolean anthropic = Dialect.ofProviderType(provider.type()) == Dialect.ANTHROPIC;
    String path =
        anthropic
            ? kind == ModelCall.Kind.COUNT_TOKENS ? "/v1/messages/count_tokens" : "/v1/messages"
            : kind == ModelCall.Kind.EMBEDDINGS ? "/embeddings" : "/chat/completions";
    Map<String, String> refs = new LinkedHashMap<>();
    if (provider.apiKey() != null) {
      refs.put(anthropic ? "x-api-key" : "Authorization", anthropic ? provider.apiKey() : "Bearer " + provider.apiKey());
    }
    if (anthropic) {
      refs.put("anthropic-version", ANTHROPIC_VERSION);
    }
    refs.putAll(provider.headers());
    try {
      UpstreamCredentials.Resolved resolved = credentials.resolve("provider " + provider.name(), provider.tenantId(), refs, null, provider.egressGuarded());
      URI uri;
      try {
        uri = URI.create(base + path);
      } catch (IllegalArgumentException e) {
        throw badUrl(provider);
      }
      return new Prepared(provider, uri, resolved.headers(), resolved);
    } catch (ToolCallException e) {
      throw new ProviderFailure(ProviderFailure.Kind.CREDENTIALS, 0, e.getMessage(), null);
    }
  }

  /** A non-streamed call: the provider's answer as JSON. */
  ObjectNode send(Prepared p, ObjectNode body) throws ProviderFailure {
    BlockingHttp.Exchange exchange = exchange(p, body, false);
    try (exchange) {
      ClassicHttpResponse response = exchange.send();
      int status = response.getCode();
      int limit = status == 200 ? maxResponseBytes : MAX_ERROR_BODY;
      byte[] bytes;
      try (BlockingHttp.Body in = exchange.body()) {
        bytes = in.readNBytes(limit + 1); // fewer: the body ended, and its connection is kept
      }
      if (bytes.length > limit) {
        if (status == 200) {
          throw new ProviderFailure(
              ProviderFailure.Kind.TOO_LARGE, 200, "provider " + p.provider().name() + " answered with more than " + maxResponseBytes + " bytes", null);
        }
        bytes = java.util.Arrays.copyOf(bytes, limit);
      }
      if (status != 200) {
        throw refused(p, status, BlockingHttp.header(response, "Retry-After"), bytes);
      }
      try {
        JsonNode node = json.readTree(bytes);
        if (node instanceof ObjectNode o) {
          // A provider that echoes its request (a proxy's debug page, a misconfigured mock) must
          // not hand Gatehouse's key for it to the agent, nor into a task's history.
          return (ObjectNode) p.secrets().redactTree(o);
        }
      } catch (com.fasterxml.jackson.core.exc.StreamConstraintsException e) {
        throw new ProviderFailure(
            ProviderFailure.Kind.BAD_ANSWER, 200,
            "provider " + p.provider().name() + " answered with JSON past what Gatehouse reads (" + UpstreamJson.limits() + ")",
            null);
      } catch (IOException e) {
        // said below
      }
      throw new ProviderFailure(ProviderFailure.Kind.BAD_ANSWER, 200, "provider " + p.provider().name() + " answered with something that is not a JSON object", null);
    } catch (IOException | RuntimeException e) {
      throw failed(p, exchange, e);
    }
  }

  /**
   * A streamed call: the open event stream once the provider answered 200 with headers. The
   * request timeout covers the wait for those headers; the caller bounds the gaps between events,
   * and {@link BlockingHttp.Body#finish finishes} or closes the stream.
   */
  BlockingHttp.Body open(Prepared p, ObjectNode body) throws ProviderFailure {
    BlockingHttp.Exchange exchange = exchange(p, body, true);
    try {
      ClassicHttpResponse response = exchange.send();
      int status = response.getCode();
      BlockingHttp.Body in = exchange.body();
      if (status != 200) {
        byte[] error;
        try (in) {
          error = in.readNBytes(MAX_ERROR_BODY);
        } catch (IOException e) {
          error = new byte[0];
        }
        throw refused(p, status, BlockingHttp.header(response, "Retry-After"), error);
      }
      String type = BlockingHttp.header(response, "Content-Type");
      if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("text/event-stream")) {
        in.close();
        throw new ProviderFailure(
            ProviderFailure.Kind.BAD_ANSWER, 200, "provider " + p.provider().name() + " answered a stream request without an event stream", null);
      }
      // The stream is open in time: from now on the caller bounds the gaps between its events.
      // (Until now the deadline held, an error body included.)
      exchange.endDeadline();
      return in;
    } catch (ProviderFailure e) {
      exchange.close();
      throw e;
    } catch (IOException | RuntimeException e) {
      exchange.close();
      throw failed(p, exchange, e);
    }
  }

  /**
   * The exchange of {@code body} with {@code p}'s provider, not yet sent. A base URL the HTTP
   * client cannot call (a port out of range, in a row stored before that was checked at write
   * time) is the provider's failure, as an unreachable provider is.
   */
  private BlockingHttp.Exchange exchange(Prepared p, ObjectNode body, boolean stream) throws ProviderFailure {
    try {
      return http.exchange(request(p, body, stream), p.provider().timeoutOrDefault(), p.provider().egressGuarded());
    } catch (IllegalArgumentException e) {
      throw badUrl(p.provider());
    }
  }

  private static ProviderFailure badUrl(ProviderDefinition provider) {
    return new ProviderFailure(ProviderFailure.Kind.CONNECTION, 0, "provider " + provider.name() + " has a base URL that cannot be called", null);
  }

  /** What a failed exchange is: a time-out, or a network failure. */
  private static ProviderFailure failed(Prepared p, BlockingHttp.Exchange exchange, Exception e) {
    if (exchange.timedOut()) {
      return timeout(p);
    }
    return network(p, e);
  }

  private HttpPost request(Prepared p, ObjectNode body, boolean stream) throws ProviderFailure {
    byte[] bytes;
    try {
      bytes = json.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new ProviderFailure(ProviderFailure.Kind.CLIENT_ERROR, 0, "the request could not be written as JSON", null);
    }
    HttpPost post = new HttpPost(p.uri());
    post.setHeader("Accept", stream ? "text/event-stream" : "application/json");
    for (Map.Entry<String, String> h : p.headers().entrySet()) {
      post.setHeader(h.getKey(), h.getValue());
    }
    post.setEntity(new ByteArrayEntity(bytes, BlockingHttp.JSON));
    return post;
  }

  private ProviderFailure refused(Prepared p, int status, String retryAfterHeader, byte[] body) {
    Duration retryAfter = retryAfterHeader == null ? null : RetryAfter.parse(retryAfterHeader, Instant.now()).orElse(null);
    String detail = errorMessage(p, body);
    String name = p.provider().name();
    if (status == 429) {
      return new ProviderFailure(ProviderFailure.Kind.RATE_LIMITED, status, "provider " + name + " is rate limiting (HTTP 429)" + detail, retryAfter);
    }
    if (status >= 500 || status == 408) {
      return new ProviderFailure(ProviderFailure.Kind.SERVER_ERROR, status, "provider " + name + " failed (HTTP " + status + ")" + detail, retryAfter);
    }
    if (status == 401 || status == 403) {
      forget(p.provider());
      return new ProviderFailure(
          ProviderFailure.Kind.CLIENT_ERROR, status, "provider " + name + " refused Gatehouse's credentials (HTTP " + status + ")", null);
    }
    return new ProviderFailure(ProviderFailure.Kind.CLIENT_ERROR, status, "provider " + name + " refused the request (HTTP " + status + ")" + detail, null);
  }

  /**
   * ": the provider's own message", from an OpenAI or Anthropic error body, its secrets redacted
   * before it is cut to length (a key cut in half would not be recognised); empty when there is none.
   */
  private String errorMessage(Prepared p, byte[] body) {
    if (body == null || body.length == 0) {
      return "";
    }
    try {
      JsonNode node = json.readTree(body);
      JsonNode message = node.path("error").path("message");
      if (!message.isTextual()) {
        message = node.path("message");
      }
      if (message.isTextual() && !message.asText().isBlank()) {
        String text = dev.gatehouse.activities.text.Unprintables.spaced(p.redact(message.asText())).strip();
        return ": " + (text.length() > MAX_ERROR_MESSAGE ? text.substring(0, MAX_ERROR_MESSAGE) + "..." : text);
      }
    } catch (IOException | RuntimeException e) {
      // not JSON: no message
    }
    return "";
  }

  private static ProviderFailure timeout(Prepared p) {
    return new ProviderFailure(
        ProviderFailure.Kind.TIMEOUT, 0, "provider " + p.provider().name() + " did not answer within " + p.provider().timeoutOrDefault().toMillis() + " ms", null);
  }

  private static ProviderFailure network(Prepared p, Throwable cause) {
    EgressRefusedException refused = Egress.refusal(cause);
    if (refused != null) {
      return new ProviderFailure(
          ProviderFailure.Kind.EGRESS_REFUSED, 0, "could not call provider " + p.provider().name() + ": " + refused.getMessage(), null);
    }
    return new ProviderFailure(
        ProviderFailure.Kind.CONNECTION, 0, "could not reach provider " + p.provider().name() + ": " + p.redact(NetworkFailures.describe(cause)), null);
  }

  static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException | RuntimeException e) {
      // closing a stream we are abandoning
    }
  }
}
