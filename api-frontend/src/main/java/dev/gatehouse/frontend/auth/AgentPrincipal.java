package dev.gatehouse.frontend.auth;

import java.security.Principal;

/** The authenticated agent behind a request. */
public record AgentPrincipal(String agent) implements Principal {
  @Override
  public String getName() {
    return agent;
  }
}
