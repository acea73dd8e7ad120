package dev.gatehouse.workflows.tool;

import java.util.List;

/**
 * Who a task acts for: checked again at every tool call, so a permission withdrawn while a task
 * runs stops its next step. {@code scopes} are the token's scopes (OIDC), empty for API keys.
 */
public record Caller(String tenantId, String agentId, List<String> scopes) {
  public Caller {
    scopes = scopes == null ? List.of() : List.copyOf(scopes);
  }
}
