package dev.gatehouse.frontend.auth;

import dev.gatehouse.frontend.errors.ApiException;
import jakarta.annotation.Priority;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.SecurityContext;
import java.security.Principal;

/**
 * Every request under {@code /v1/} needs {@code Authorization: Bearer <key>}; a missing, malformed
 * or unknown key gets 401 before any route is matched, so unauthenticated callers learn nothing.
 */
@PreMatching
@Priority(Priorities.AUTHENTICATION)
public class ApiKeyAuthFilter implements ContainerRequestFilter {
  private static final int MAX_KEY_LENGTH = 512;
  private final ApiKeyAuthenticator authenticator;

  public ApiKeyAuthFilter(ApiKeyAuthenticator authenticator) {
    this.authenticator = authenticator;
  }

  @Override
  public void filter(ContainerRequestContext request) {
    String path = request.getUriInfo().getPath();
    if (!path.startsWith("v1/") && !path.equals("v1")) {
      return;
    }
    String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw ApiException.unauthorized("send your agent key as 'Authorization: Bearer <key>'");
    }
    String key = header.substring(7).trim();
    if (key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
      throw ApiException.unauthorized("the bearer key is not valid");
    }
    AgentPrincipal agent =
        authenticator
            .authenticate(key)
            .map(AgentPrincipal::new)
            .orElseThrow(() -> ApiException.unauthorized("the bearer key is not valid"));
    boolean secure = request.getSecurityContext().isSecure();
    request.setSecurityContext(
        new SecurityContext() {
          @Override
          public Principal getUserPrincipal() {
            return agent;
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
}
