package dev.gatehouse.frontend.core.auth;

import jakarta.ws.rs.core.SecurityContext;
import java.security.Principal;

/** The JAX-RS security context of a request {@link AuthFilter} authenticated: its {@link Caller}, by bearer credential. */
public record CallerSecurityContext(Caller caller, boolean secure) implements SecurityContext {
  @Override
  public Principal getUserPrincipal() {
    return caller;
  }

  /** Gatehouse authorizes by policy, not by container roles. */
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
}
