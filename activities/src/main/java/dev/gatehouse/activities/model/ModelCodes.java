package dev.gatehouse.activities.model;

/** The stable codes model calls fail with, on every face and in task failures. */
public final class ModelCodes {
  /** 404: no model of that name is visible to the caller's tenant. */
  public static final String MODEL_NOT_FOUND = "model_not_found";
  /** 403: the agent's permissions do not include the model. */
  public static final String MODEL_NOT_ALLOWED = "model_not_allowed";
  /** 400: the request is malformed or cannot be served (a wrong type, an unknown operation). */
  public static final String INVALID_REQUEST = "invalid_request";
  /** 429: the provider (after every fallback) or Gatehouse refused for rate; with Retry-After. */
  public static final String RATE_LIMITED = "rate_limited";
  /** 503: every target and fallback failed or is cooling down. */
  public static final String UPSTREAM_UNAVAILABLE = "upstream_unavailable";
  /** 502: the provider answered with something that is not a valid answer. */
  public static final String UPSTREAM_ERROR = "upstream_error";
  /** 504: the provider did not answer within its timeout. */
  public static final String TIMED_OUT = "timed_out";
  /** 502: a provider credential could not be read (a missing secret). */
  public static final String CREDENTIALS_UNAVAILABLE = "credentials_unavailable";
  /**
   * 502: the provider a tenant admin wrote resolves, when called, only to addresses it may not
   * reach (loopback, link-local, unspecified, multicast); nothing was sent.
   */
  public static final String EGRESS_REFUSED = dev.gatehouse.activities.http.EgressRefusedException.CODE;
  /** 502: the provider's answer is larger than Gatehouse accepts. */
  public static final String RESPONSE_TOO_LARGE = "response_too_large";
  /**
   * 409: the call was told to stop (its task was cancelled, or reached its deadline) while the
   * provider worked: not the provider's failure, in the usage row, the metrics and the audit log.
   */
  public static final String CANCELED = "canceled";

  private ModelCodes() {}
}
