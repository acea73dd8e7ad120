package dev.gatehouse.workflows.tool;

/** {@code ApplicationFailure} types thrown by tool activities; each maps to a stable error code. */
public final class ToolFailureTypes {
  /** The upstream answered 4xx (not 408/429): retrying the same request cannot help. */
  public static final String UPSTREAM_CLIENT_ERROR = "UpstreamClientError";
  /** The upstream answered 5xx, 408 or 429, or could not be reached: retried. */
  public static final String UPSTREAM_ERROR = "UpstreamError";
  /** The response is larger than the configured cap; it is not stored in history. */
  public static final String RESPONSE_TOO_LARGE = "ResponseTooLarge";
  /**
   * The upstream's host resolves only to addresses the record's writer (a tenant admin) may not
   * reach: loopback, link-local, unspecified, multicast. Nothing was sent; not retried.
   */
  public static final String EGRESS_REFUSED = "EgressRefused";
  /** The tool is not (or no longer) in the registry. */
  public static final String UNKNOWN_TOOL = "UnknownTool";
  /** A secret or token the tool's upstream needs could not be had (not set, or no master key). */
  public static final String CREDENTIALS_UNAVAILABLE = "CredentialsUnavailable";
  /** The caller may not (or may no longer) use the tool. */
  public static final String TOOL_NOT_ALLOWED = "ToolNotAllowed";
  /** The arguments cannot be used with the tool (a URL placeholder without a value, ...). */
  public static final String INVALID_ARGUMENTS = "InvalidArguments";

  /**
   * A rate-limit policy refused the call for now (nothing was sent). Inside a task the call waits
   * and is made again ({@code RateLimitWaits}); its code is {@code rate_limited}.
   */
  public static final String RATE_LIMITED = "RateLimited";
  /**
   * The tenant's tasks have their whole share of the worker's call slots in use on this replica
   * ({@code worker.maxActivitiesPerTenant}; nothing was sent). Inside a task the call waits and is
   * made again, as after a rate limit's refusal ({@code RateLimitWaits}); its code is {@code
   * overloaded}.
   */
  public static final String OVERLOADED = "Overloaded";
  /**
   * A PII policy that blocks found personal data or a credential in the call's arguments (nothing
   * was sent) or in its result (the result reached no one): not retried.
   */
  public static final String PII_DETECTED = "PiiDetected";
  /** A guardrail that blocks found something in the tool's result (it reached no one): not retried. */
  public static final String GUARDRAIL_BLOCKED = "GuardrailBlocked";

  /** The caller gave up on the call (an MCP agent's notifications/cancelled): not retried. */
  public static final String CANCELED = "Canceled";

  private ToolFailureTypes() {}
}
