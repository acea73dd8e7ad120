package dev.gatehouse.frontend.core.auth;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.SecurityContext;
import java.security.Principal;
import java.util.function.BooleanSupplier;

/**
 * The JAX-RS security context of a request {@link AuthFilter} authenticated: its {@link Caller}, by
 * bearer credential. Whether that credential still authenticates it is the request's {@link
 * #VALIDITY} property ({@link #stillValid(ContainerRequestContext)}).
 */
public record CallerSecurityContext(Caller caller, boolean secure) implements SecurityContext {
  /**
   * The request property under which {@link AuthFilter} leaves whether the credential the request
   * came with still authenticates its caller (not revoked or expired, its agent not deleted, since
   * the request began): a request that waits asks before it hands over what it waited for. (A
   * resource's injected {@code SecurityContext} is a proxy, not this record.)
   */
  public static final String VALIDITY = "gatehouse.credential.stillValid";

  /** Whether the request's credential still authenticates its caller; true for one no credential began. */
  public static boolean stillValid(ContainerRequestContext request) {
    return !(request.getProperty(VALIDITY) instanceof BooleanSupplier validity) || validity.getAsBoolean();
  }

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
