package dev.gatehouse.registry.tools;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.Duration;

/**
 * A registered tool: what it is, how to call it, its timeout and retry policy, and who owns it
 * ({@code tenantId} null: a global tool, usable by every tenant's agents that are allowed it), and
 * how Gatehouse authenticates to its upstream ({@code auth} null: no token; header values may
 * still name secrets as {@code {{secret:NAME}}}). {@code approval} {@value #APPROVAL_REQUIRED}: an
 * agent task's call of the tool waits for an operator's decision (null: it does not). {@code cost}:
 * what one call that returned costs, in the currency of the models' prices, counted by budget
 * policies with a cost limit (null: nothing). {@code egressGuarded}: the record was written by a
 * tenant admin, so Gatehouse's calls for it may not reach an internal address (loopback,
 * link-local, unspecified, multicast) whatever its host resolves to when called; stored beside the
 * definition, not in it (see {@code ToolDao}).
 */
public record ToolDefinition(
    String name,
    String description,
    HttpEndpoint http,
    JsonNode inputSchema,
    Duration timeout,
    RetrySpec retry,
    String tenantId,
    UpstreamAuth auth,
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) String approval,
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) BigDecimal cost,
    @JsonIgnore boolean egressGuarded) {

  /** The {@code approval} of a tool whose calls in agent tasks wait for an operator's decision. */
  public static final String APPROVAL_REQUIRED = "required";

  /** A tool written by a platform admin or the registry file (not egress-guarded). */
  public ToolDefinition(
      String name,
      String description,
      HttpEndpoint http,
      JsonNode inputSchema,
      Duration timeout,
      RetrySpec retry,
      String tenantId,
      UpstreamAuth auth,
      String approval,
      BigDecimal cost) {
    this(name, description, http, inputSchema, timeout, retry, tenantId, auth, approval, cost, false);
  }

  /** A tool whose calls need no approval. */
  public ToolDefinition(
      String name,
      String description,
      HttpEndpoint http,
      JsonNode inputSchema,
      Duration timeout,
      RetrySpec retry,
      String tenantId,
      UpstreamAuth auth) {
    this(name, description, http, inputSchema, timeout, retry, tenantId, auth, null, null);
  }

  /** A tool that costs nothing. */
  public ToolDefinition(
      String name,
      String description,
      HttpEndpoint http,
      JsonNode inputSchema,
      Duration timeout,
      RetrySpec retry,
      String tenantId,
      UpstreamAuth auth,
      String approval) {
    this(name, description, http, inputSchema, timeout, retry, tenantId, auth, approval, null);
  }

  /** Whether an agent task's call of this tool waits for an operator's decision. */
  public boolean approvalRequired() {
    return APPROVAL_REQUIRED.equals(approval);
  }

  public ToolDefinition withTenant(String tenant) {
    return new ToolDefinition(name, description, http, inputSchema, timeout, retry, tenant, auth, approval, cost, egressGuarded);
  }

  /** This tool as written by a tenant admin ({@code guarded}) or by a platform admin or the registry file. */
  public ToolDefinition withEgressGuarded(boolean guarded) {
    return new ToolDefinition(name, description, http, inputSchema, timeout, retry, tenantId, auth, approval, cost, guarded);
  }
}
