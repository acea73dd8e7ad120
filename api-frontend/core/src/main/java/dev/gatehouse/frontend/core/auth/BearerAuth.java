package dev.gatehouse.frontend.core.auth;

import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.policies.limits.FailureThrottle;
import dev.gatehouse.registry.audit.AuditEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The bearer check every face runs before anything else: {@code Authorization: Bearer <key or
 * token>} turned into the {@link Caller} the face serves (an agent, or an admin for the admin
 * API). A source address that keeps presenting bad credentials is refused for a while (429 with
 * {@code Retry-After}) without its credentials being checked at all; each failure is audited. A
 * request that presents no credential is refused but not counted: it guesses nothing, and MCP
 * clients send one such request first to discover where to get a token.
 */
public final class BearerAuth {
  /** Who a face serves. */
  public enum Audience {
    AGENT,
    ADMIN
  }

  /** One request to check: its header, where it came from, what it asked for (for the audit row). */
  public record Attempt(String authorization, String source, String target, String requestId) {}

  private static final int MAX_TARGET = 200;

  private final Authenticator authenticator;
  private final FailureThrottle throttle;
  private final AuditLog audit;

  public BearerAuth(Authenticator authenticator, FailureThrottle throttle, AuditLog audit) {
    this.authenticator = authenticator;
    this.throttle = throttle;
    this.audit = audit;
  }

  /**
   * The caller behind {@code attempt}, who must be of {@code audience}; {@code surface} names
   * what was asked for in messages ("the agent API", "/mcp"). Throws an {@link ApiException}:
   * {@code too_many_failures} (429, {@code Retry-After}), {@code unauthorized} (401, {@code
   * WWW-Authenticate}) or {@code forbidden} (403, a credential of the other audience).
   */
  public Caller authenticate(Attempt attempt, Audience audience, String surface) {
    String source = attempt.source() == null ? "unknown" : attempt.source();
    Duration wait = throttle.retryAfter(source);
    if (!wait.isZero()) {
      throw new ApiException(
          ErrorCode.TOO_MANY_FAILURES,
          "too many failed authentication attempts from this address; retry in " + wait.toSeconds() + " s",
          Map.of("Retry-After", Long.toString(wait.toSeconds())));
    }
    String header = attempt.authorization();
    Caller caller;
    try {
      if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
        throw new AuthenticationException(
            audience == Audience.ADMIN
                ? "send an admin key as 'Authorization: Bearer <key>'"
                : "send your agent key or token as 'Authorization: Bearer <credential>'");
      }
      caller = authenticator.authenticate(header.substring(7).trim());
    } catch (AuthenticationException e) {
      if (header != null) {
        throttle.failure(source);
      }
      audit.record(
          new AuditEvent(
              Instant.now(), null, null, source, attempt.requestId(), null, "auth", target(attempt.target()),
              "deny", "unauthorized", null, "authentication", e.getMessage()));
      throw ApiException.unauthorized(e.getMessage());
    }
    if (audience == Audience.AGENT && !(caller instanceof Caller.AgentCaller)) {
      throw new ApiException(ErrorCode.FORBIDDEN, "admin keys cannot call " + surface + "; use an agent key");
    }
    if (audience == Audience.ADMIN && !(caller instanceof Caller.AdminCaller)) {
      throw new ApiException(ErrorCode.FORBIDDEN, "agent credentials cannot call " + surface + "; use an admin key");
    }
    return caller;
  }

  /**
   * Whether {@code authorization}, which authenticated {@code caller} when its request began, still
   * authenticates it: not revoked or expired since, its agent not deleted (through another replica,
   * within the credential cache's time, as for a new request). Neither counted as a failure nor
   * audited: the request had authenticated.
   */
  public boolean stillValid(String authorization, Caller caller) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    try {
      return authenticator.authenticate(authorization.substring(7).trim()).getName().equals(caller.getName());
    } catch (AuthenticationException e) {
      return false;
    } catch (RuntimeException e) {
      return true; // not known (the database is away): it authenticated when the request began
    }
  }

  /** The authenticator behind this check, for admin changes that must take effect at once. */
  public Authenticator authenticator() {
    return authenticator;
  }

  private static String target(String target) {
    if (target == null) {
      return null;
    }
    return target.length() > MAX_TARGET ? target.substring(0, MAX_TARGET) : target;
  }
}
