package dev.gatehouse.frontend.core.auth;

import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.frontend.core.http.RequestIdFilter;
import dev.gatehouse.policies.limits.FailureThrottle;
import dev.gatehouse.registry.audit.AuditEvent;
import jakarta.annotation.Priority;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.SecurityContext;
import java.security.Principal;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * Every request under {@code /v1/} needs an agent credential and every request under
 * {@code /admin/} an admin key, as {@code Authorization: Bearer ...}; this is checked before any
 * route is matched, so unauthenticated callers learn nothing. A failure answers 401 (with
 * {@code WWW-Authenticate}) and is audited; a source that keeps failing is refused with 429 for a
 * while without its credentials being checked at all.
 */
@PreMatching
@Priority(Priorities.AUTHENTICATION)
public class AuthFilter implements ContainerRequestFilter {
  private final Authenticator authenticator;
  private final FailureThrottle throttle;
  private final AuditLog audit;

  @Context private HttpServletRequest servletRequest;

  public AuthFilter(Authenticator authenticator, FailureThrottle throttle, AuditLog audit) {
    this.authenticator = authenticator;
    this.throttle = throttle;
    this.audit = audit;
  }

  @Override
  public void filter(ContainerRequestContext request) {
    String path = request.getUriInfo().getPath();
    boolean api = path.equals("v1") || path.startsWith("v1/");
    boolean admin = path.equals("admin") || path.startsWith("admin/");
    if (!api && !admin) {
      return;
    }
    String source = servletRequest == null ? "unknown" : servletRequest.getRemoteAddr();
    Duration wait = throttle.retryAfter(source);
    if (!wait.isZero()) {
      throw new ApiException(
          ErrorCode.TOO_MANY_FAILURES,
          "too many failed authentication attempts from this address; retry in " + wait.toSeconds() + " s",
          Map.of("Retry-After", Long.toString(wait.toSeconds())));
    }
    String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
    Caller caller;
    try {
      if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
        throw new AuthenticationException(
            admin ? "send an admin key as 'Authorization: Bearer <key>'" : "send your agent key or token as 'Authorization: Bearer <credential>'");
      }
      caller = authenticator.authenticate(header.substring(7).trim());
    } catch (AuthenticationException e) {
      throttle.failure(source);
      audit.record(event(request, null, source, "auth", path(path), "deny", "unauthorized", e.getMessage()));
      throw ApiException.unauthorized(e.getMessage());
    }
    if (api && !(caller instanceof Caller.AgentCaller)) {
      throw new ApiException(ErrorCode.FORBIDDEN, "admin keys cannot call the agent API; use an agent key");
    }
    if (admin && !(caller instanceof Caller.AdminCaller)) {
      throw new ApiException(ErrorCode.FORBIDDEN, "agent credentials cannot call the admin API; use an admin key");
    }
    boolean secure = request.getSecurityContext().isSecure();
    request.setSecurityContext(
        new SecurityContext() {
          @Override
          public Principal getUserPrincipal() {
            return caller;
          }

          @Override
          public boolean isUserInRole(String role) {
            return false;
          }

          @Override
          public boolean isSecure() {
            return secure;
          }

          @Override
          public String getAuthenticationScheme() {
            return "Bearer";
          }
        });
  }

  private static String path(String path) {
    return "/" + (path.length() > 200 ? path.substring(0, 200) : path);
  }

  static AuditEvent event(
      ContainerRequestContext request, String tenant, String actor, String action, String target,
      String decision, String outcome, String detail) {
    Object requestId = request.getProperty(RequestIdFilter.MDC_KEY);
    return new AuditEvent(
        Instant.now(), tenant, null, actor, requestId == null ? null : requestId.toString(), null, action, target,
        decision, outcome, null, "authentication", detail);
  }
}
