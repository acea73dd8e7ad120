package dev.gatehouse.frontend.core.auth;

import dev.gatehouse.frontend.core.http.RequestIdFilter;
import jakarta.annotation.Priority;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;

/**
 * {@link BearerAuth} for the REST faces: every request under {@code /v1/} needs an agent
 * credential and every request under {@code /admin/} an admin key. This runs before any route is
 * matched, so unauthenticated callers learn nothing; the caller becomes the request's principal.
 */
@PreMatching
@Priority(Priorities.AUTHENTICATION)
public class AuthFilter implements ContainerRequestFilter {
  private final BearerAuth auth;

  @Context private HttpServletRequest servletRequest;

  public AuthFilter(BearerAuth auth) {
    this.auth = auth;
  }

  @Override
  public void filter(ContainerRequestContext request) {
    String path = request.getUriInfo().getPath();
    boolean api = path.equals("v1") || path.startsWith("v1/");
    boolean admin = path.equals("admin") || path.startsWith("admin/");
    if (!api && !admin) {
      return;
    }
    Object requestId = request.getProperty(RequestIdFilter.MDC_KEY);
    String authorization = request.getHeaderString(HttpHeaders.AUTHORIZATION);
    Caller caller =
        auth.authenticate(
            new BearerAuth.Attempt(
                authorization,
                servletRequest == null ? null : servletRequest.getRemoteAddr(),
                "/" + path,
                requestId == null ? null : requestId.toString()),
            admin ? BearerAuth.Audience.ADMIN : BearerAuth.Audience.AGENT,
            admin ? "the admin API" : "the agent API");
    request.setSecurityContext(new CallerSecurityContext(caller, request.getSecurityContext().isSecure()));
    request.setProperty(CallerSecurityContext.VALIDITY, (java.util.function.BooleanSupplier) () -> auth.stillValid(authorization, caller));
  }
}
