package dev.gatehouse.frontend.core.auth;

import dev.gatehouse.registry.keys.ApiKeys;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.jdbi.v3.core.Jdbi;

/**
 * Turns a bearer credential into a {@link Caller}: admin keys, agent keys and OIDC tokens.
 * Successful answers are cached for a few seconds only (and never past the credential's own
 * expiry), keyed by the credential's hash, so a revoked key or a changed agent takes effect almost
 * at once while a busy agent costs one hash per request. A credential in use is looked up again
 * before its answer expires: the first request that meets the answer after three quarters of the
 * TTL looks it up, and the others keep using the answer meanwhile, so a busy agent's requests do
 * not all stop for a lookup once per TTL. When an answer has expired (or there is none), the
 * concurrent requests with that credential share one lookup.
 */
public class Authenticator {
  private static final int MAX_CACHED = 10_000;
  private static final int MAX_CREDENTIAL = 8_192;

  /** An answer, used until {@code expiresAtNanos}, looked up again by one request from {@code refreshAtNanos}. */
  private record Entry(Caller caller, long expiresAtNanos, long refreshAtNanos) {}

  private final KeyAuthenticator keys;
  private final OidcAuthenticator oidc;
  private final long ttlNanos;
  private final LongSupplier nanoTime;
  private final Map<String, Entry> cache = new ConcurrentHashMap<>();
  /** Lookups in progress, by cache key. */
  private final Map<String, CompletableFuture<Caller>> loading = new ConcurrentHashMap<>();
  /** Counts {@link #invalidate} calls, so a lookup that raced one does not cache what it read. */
  private final AtomicLong invalidations = new AtomicLong();

  public Authenticator(Jdbi jdbi, Duration cacheTtl) {
    this(jdbi, cacheTtl, OidcAuthenticator.DEFAULT_JWKS_TTL);
  }

  /** {@code cacheTtl}: how long an answer is kept; {@code jwksTtl}: how long a provider's signing keys are. */
  public Authenticator(Jdbi jdbi, Duration cacheTtl, Duration jwksTtl) {
    this(jdbi, cacheTtl, jwksTtl, System::nanoTime);
  }

  /** With the time of {@code nanoTime} for the cache (tests). */
  Authenticator(Jdbi jdbi, Duration cacheTtl, Duration jwksTtl, LongSupplier nanoTime) {
    this.keys = new KeyAuthenticator(jdbi);
    this.oidc = new OidcAuthenticator(jdbi, jwksTtl);
    this.ttlNanos = cacheTtl.toNanos();
    this.nanoTime = nanoTime;
  }

  public Caller authenticate(String credential) throws AuthenticationException {
    if (credential == null || credential.isBlank() || credential.length() > MAX_CREDENTIAL) {
      throw new AuthenticationException("the bearer credential is not valid");
    }
    String cacheKey = cacheKey(credential);
    long now = nanoTime.getAsLong();
    Entry e = cache.get(cacheKey);
    if (e != null && e.expiresAtNanos - now > 0) {
      if (e.refreshAtNanos - now > 0) {
        return e.caller;
      }
      // Still valid, and due to be looked up again: this request does it, unless another one is
      // already; the others keep using the answer meanwhile instead of waiting.
      CompletableFuture<Caller> mine = new CompletableFuture<>();
      if (loading.putIfAbsent(cacheKey, mine) != null) {
        return e.caller;
      }
      return lookUp(credential, cacheKey, now, mine, e);
    }
    // One lookup per credential at a time: the requests that find its entry missing or expired
    // while another is looking it up wait for that lookup's answer, rather than all querying the
    // registry at once (a busy agent's key expires for all its concurrent requests together).
    CompletableFuture<Caller> mine = new CompletableFuture<>();
    CompletableFuture<Caller> running = loading.putIfAbsent(cacheKey, mine);
    if (running != null) {
      return await(running);
    }
    return lookUp(credential, cacheKey, now, mine, null);
  }

  /**
   * Looks {@code credential} up for the lookup {@code mine} (in {@link #loading}), caches and
   * returns its answer. {@code due}: the answer still valid that this lookup renews, or null.
   */
  private Caller lookUp(String credential, String cacheKey, long now, CompletableFuture<Caller> mine, Entry due)
      throws AuthenticationException {
    long generation = invalidations.get();
    try {
      Caller caller =
          OidcAuthenticator.looksLikeJwt(credential) ? oidc.authenticate(credential) : keys.authenticate(credential);
      if (cache.size() >= MAX_CACHED) {
        cache.clear();
      }
      long until = now + ttlNanos;
      if (caller.expiresAt() != null) {
        // Never serve a credential from the cache past its own expiry (an agent's or an admin's key, a token).
        long left = java.time.Duration.between(java.time.Instant.now(), caller.expiresAt()).toNanos();
        until = Math.min(until, now + Math.max(0, left));
      }
      if (invalidations.get() == generation) { // an answer read before an invalidation is not kept
        cache.put(cacheKey, new Entry(caller, until, now + ttlNanos / 4 * 3));
      }
      mine.complete(caller);
      return caller;
    } catch (AuthenticationException refused) {
      if (due != null) {
        cache.remove(cacheKey, due); // refused now (revoked, expired): the answer before is not used again
      }
      mine.completeExceptionally(refused);
      throw refused;
    } catch (RuntimeException failure) {
      mine.completeExceptionally(failure);
      if (due != null && invalidations.get() == generation) {
        // The registry could not be read: the answer this lookup renews is still within its TTL,
        // and serves until then (the next request due to renew it tries again).
        return due.caller;
      }
      throw failure;
    } finally {
      loading.remove(cacheKey, mine);
      // An Error (out of memory, a class that failed to load) is not caught above: the requests
      // waiting on this lookup must not wait for it forever.
      if (!mine.isDone()) {
        mine.completeExceptionally(new IllegalStateException("the credential's lookup failed"));
      }
    }
  }

  /** The answer of another request's lookup of the same credential, or its failure. */
  private static Caller await(CompletableFuture<Caller> lookup) throws AuthenticationException {
    try {
      return lookup.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof AuthenticationException refused) {
        throw refused; // (it carries no stack trace: safe to throw on every thread that waited)
      }
      if (e.getCause() instanceof RuntimeException failed) {
        throw failed;
      }
      throw e;
    }
  }

  /** A SHA-256 digest, copied for each use instead of looked up among the providers each time. */
  private static final MessageDigest SHA_256;

  static {
    try {
      SHA_256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The credential's SHA-256 (as {@link ApiKeys#hash}), one char per byte: the cache never holds a credential. */
  static String cacheKey(String credential) {
    MessageDigest digest;
    try {
      digest = (MessageDigest) SHA_256.clone();
    } catch (CloneNotSupportedException e) {
      return HexFormat.of().formatHex(ApiKeys.hash(credential));
    }
    return new String(digest.digest(credential.getBytes(StandardCharsets.UTF_8)), StandardCharsets.ISO_8859_1);
  }

  /**
   * Forgets cached answers and identity provider {@code id}'s signing keys, which its next token
   * fetches again (an admin's write of the provider, even unchanged: how a key removed from its set
   * is refused before the set's cache time is up).
   */
  public void invalidateKeysOf(String id) {
    oidc.forgetKeys(id);
    invalidate();
  }

  /** Forgets cached answers (after an admin change that must take effect at once). */
  public void invalidate() {
    invalidations.incrementAndGet();
    loading.clear(); // a request from now on does not wait for a lookup that started before
    cache.clear();
    try {
      oidc.forgetRemoved(); // a deleted identity provider's keys are not kept
    } catch (RuntimeException e) {
      // the next admin change tries again
    }
  }
}
