package dev.gatehouse.frontend.core.errors;

import dev.gatehouse.workflows.agent.AgentWorkflow;
import dev.gatehouse.workflows.spi.Governed;
import dev.gatehouse.workflows.model.ModelBudget;
import dev.gatehouse.workflows.pipeline.PipelineWorkflow;
import dev.gatehouse.workflows.task.FailureCodes;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The error catalog: every failure an agent or operator can see, with its stable {@code code},
 * the HTTP status a REST answer carries, the JSON-RPC error code a JSON-RPC face (MCP, A2A)
 * answers with, whether trying again could help, and (for failures that cross the workflow
 * boundary) the Temporal {@code ApplicationFailure} type that carries it. Every mapper reads this
 * one table: the REST exception mapper, Jetty's error handler, the MCP face, task outcomes and
 * traces, so one failure has one code on every path.
 *
 * <p>{@link #toolOutcome()} separates a tool that ran and failed (its upstream refused, broke or
 * timed out) from a call that was refused before anything ran. MCP answers the first with a
 * {@code CallToolResult} whose {@code isError} is true, so the model can read what happened and
 * react, and the second with a JSON-RPC error, as the MCP specification asks.
 */
public enum ErrorCode {
  // ---- the request itself
  INVALID_REQUEST("invalid_request", 400, Rpc.INVALID_REQUEST),
  INVALID_JSON("invalid_json", 400, Rpc.PARSE_ERROR),
  /** The parameters of a JSON-RPC method (not a tool's arguments) are missing or malformed. */
  INVALID_PARAMS("invalid_params", 400, Rpc.INVALID_PARAMS),
  REQUEST_TOO_LARGE("request_too_large", 413, Rpc.INVALID_REQUEST),
  NOT_FOUND("not_found", 404, Rpc.INVALID_REQUEST),
  METHOD_NOT_ALLOWED("method_not_allowed", 405, Rpc.INVALID_REQUEST),
  NOT_ACCEPTABLE("not_acceptable", 406, Rpc.INVALID_REQUEST),
  UNSUPPORTED_MEDIA_TYPE("unsupported_media_type", 415, Rpc.INVALID_REQUEST),
  /** The body does not decode as its {@code Content-Encoding} says (gzip that is not gzip). */
  INVALID_ENCODING("invalid_encoding", 400, Rpc.INVALID_REQUEST),
  /** A {@code Content-Encoding} Gatehouse does not decode (only gzip and identity). */
  UNSUPPORTED_ENCODING("unsupported_encoding", 415, Rpc.INVALID_REQUEST),
  /** The body's HTTP framing is broken: a bad chunk, or fewer bytes than its Content-Length. */
  MALFORMED_BODY("malformed_body", 400, Rpc.INVALID_REQUEST),
  /** The body arrived slower than {@code limits.minRequestBodyRate}, or stopped coming for the idle timeout. */
  REQUEST_TIMEOUT("request_timeout", 408, Rpc.INVALID_REQUEST),
  URI_TOO_LONG("uri_too_long", 414, Rpc.INVALID_REQUEST),
  HEADERS_TOO_LARGE("headers_too_large", 431, Rpc.INVALID_REQUEST),
  /** The request line names an HTTP version this server does not speak (it speaks HTTP/1.0 and 1.1). */
  HTTP_VERSION_NOT_SUPPORTED("http_version_not_supported", 505, Rpc.INVALID_REQUEST),
  BATCH_NOT_SUPPORTED("batch_not_supported", 400, Rpc.INVALID_REQUEST),
  FORBIDDEN_HOST("forbidden_host", 403, Rpc.INVALID_REQUEST),
  FORBIDDEN_ORIGIN("forbidden_origin", 403, Rpc.INVALID_REQUEST),

  // ---- who is calling
  UNAUTHORIZED("unauthorized", 401, Rpc.INVALID_REQUEST),
  FORBIDDEN("forbidden", 403, Rpc.INVALID_REQUEST),
  TOO_MANY_FAILURES("too_many_failures", 429, Rpc.INVALID_REQUEST, Retry.YES),

  // ---- what the agent may use
  TOOL_NOT_ALLOWED("tool_not_allowed", 403, Rpc.INVALID_PARAMS, ToolFailureTypes.TOOL_NOT_ALLOWED),
  WORKFLOW_NOT_ALLOWED("workflow_not_allowed", 403, Rpc.INVALID_PARAMS),
  MODEL_NOT_ALLOWED("model_not_allowed", 403, Rpc.INVALID_PARAMS),
  UNKNOWN_TOOL("unknown_tool", 422, Rpc.INVALID_PARAMS, ToolFailureTypes.UNKNOWN_TOOL),
  INVALID_ARGUMENTS("invalid_arguments", 422, Rpc.INVALID_PARAMS, ToolFailureTypes.INVALID_ARGUMENTS),
  /** The PII policy's action is BLOCK and the request or result held personal data or a credential: nothing was passed on. */
  PII_DETECTED("pii_detected", 422, Rpc.INVALID_PARAMS, ToolFailureTypes.PII_DETECTED),
  /** A guardrail whose action is BLOCK found something in a tool result or a model request: nothing was passed on. */
  GUARDRAIL_BLOCKED("guardrail_blocked", 422, Rpc.INVALID_PARAMS, ToolFailureTypes.GUARDRAIL_BLOCKED),
  UNKNOWN_WORKFLOW("unknown_workflow", 422, Rpc.INVALID_PARAMS),
  INVALID_TEMPLATE("invalid_template", 400, Rpc.INVALID_PARAMS),
  /** A pipeline step's template could not be filled from the outputs it got (the task had started). */
  TEMPLATE_ERROR("template_error", 422, Rpc.INVALID_PARAMS, PipelineWorkflow.TEMPLATE_ERROR),
  /** A pipeline's step arguments would grow past the expansion limits once their templates are filled. */
  EXPANSION_TOO_LARGE("expansion_too_large", 400, Rpc.INVALID_PARAMS, PipelineWorkflow.EXPANSION_TOO_LARGE),
  /** The outputs of a pipeline's steps together grew past the limit a task may keep. */
  OUTPUTS_TOO_LARGE("outputs_too_large", 422, Rpc.INVALID_PARAMS, PipelineWorkflow.OUTPUTS_TOO_LARGE),
  /** An agent task's transcript grew past the most a task keeps. */
  TRANSCRIPT_TOO_LARGE("transcript_too_large", 422, Rpc.INVALID_PARAMS, AgentWorkflow.TRANSCRIPT_TOO_LARGE),
  /**
   * A call whose worst case would pass what its agent task has left, or what a budget policy's
   * period has left (the call is not sent).
   */
  BUDGET_EXCEEDED("budget_exceeded", 402, Rpc.INVALID_REQUEST, ModelBudget.BUDGET_EXCEEDED),

  // ---- a tool that ran and failed (MCP: a result with isError)
  UPSTREAM_CLIENT_ERROR("upstream_client_error", 502, Rpc.UPSTREAM, ToolFailureTypes.UPSTREAM_CLIENT_ERROR, Retry.NO, true),
  UPSTREAM_ERROR("upstream_error", 502, Rpc.UPSTREAM, ToolFailureTypes.UPSTREAM_ERROR, Retry.YES, true),
  UPSTREAM_UNAVAILABLE("upstream_unavailable", 503, Rpc.UPSTREAM, null, Retry.YES, true),
  RESPONSE_TOO_LARGE("response_too_large", 502, Rpc.UPSTREAM, ToolFailureTypes.RESPONSE_TOO_LARGE, Retry.NO, true),
  CREDENTIALS_UNAVAILABLE("credentials_unavailable", 502, Rpc.UPSTREAM, ToolFailureTypes.CREDENTIALS_UNAVAILABLE, Retry.NO, true),
  /**
   * The upstream of a record a tenant admin wrote resolves, when called, only to addresses it may
   * not reach (loopback, link-local, unspecified, multicast): nothing was sent.
   */
  EGRESS_REFUSED("egress_refused", 502, Rpc.UPSTREAM, ToolFailureTypes.EGRESS_REFUSED, Retry.NO, true),
  TIMED_OUT("timed_out", 504, Rpc.UPSTREAM, null, Retry.YES, true),
  STEP_FAILED("step_failed", 502, Rpc.UPSTREAM, PipelineWorkflow.STEP_FAILED, Retry.NO, true),
  /** A model call of an agent task failed for good; the task fails. */
  MODEL_FAILED("model_failed", 502, Rpc.UPSTREAM, AgentWorkflow.MODEL_FAILED, Retry.NO, true),
  STILL_RUNNING("still_running", 504, Rpc.UPSTREAM, null, Retry.YES, true),
  /**
   * A rate-limit policy has no room for the call now (nothing was sent; inside a task the call
   * waits and is made again), or a model provider refused for rate after every target and
   * fallback; with Retry-After.
   */
  RATE_LIMITED("rate_limited", 429, Rpc.UPSTREAM, ToolFailureTypes.RATE_LIMITED, Retry.YES, false),

  // ---- tasks
  CANCELED("canceled", 409, Rpc.REQUEST_CANCELLED, ToolFailureTypes.CANCELED, Retry.NO, false),
  TASK_NOT_FOUND("task_not_found", 404, Rpc.INVALID_PARAMS),
  TASK_CLOSED("task_closed", 409, Rpc.INVALID_REQUEST),
  IDEMPOTENCY_KEY_REUSED("idempotency_key_reused", 409, Rpc.INVALID_REQUEST),
  HISTORY_UNAVAILABLE("history_unavailable", 404, Rpc.INVALID_PARAMS),
  /** No stored tool result of that id belongs to the task (unknown, another task's, or deleted after its retention). */
  RESULT_NOT_FOUND("result_not_found", 404, Rpc.INVALID_PARAMS),
  TERMINATED("terminated", 500, Rpc.INTERNAL_ERROR),
  WORKFLOW_FAILED("workflow_failed", 500, Rpc.INTERNAL_ERROR),
  ENGINE_RESET("engine_reset", 500, Rpc.INTERNAL_ERROR),
  ENGINE_UNAVAILABLE("engine_unavailable", 503, Rpc.UPSTREAM, Retry.YES),
  /** Gatehouse's database cannot be reached or used right now (down, restarting, out of connections). */
  DATABASE_UNAVAILABLE("database_unavailable", 503, Rpc.UPSTREAM, Retry.YES),
  /** An operator's decision names no call of the task that waits for approval. */
  APPROVAL_NOT_FOUND("approval_not_found", 404, Rpc.INVALID_PARAMS),
  /**
   * The tool is registered with {@code approval: required}, and the call came where no operator can
   * be asked (a pipeline step, an MCP {@code tools/call}): nothing was called.
   */
  APPROVAL_REQUIRED("approval_required", 403, Rpc.INVALID_PARAMS),
  /** The call was approved or denied already. */
  APPROVAL_DECIDED("approval_decided", 409, Rpc.INVALID_REQUEST),
  /**
   * An operator denied a task's tool call; it was not run (an agent's model reads this as its
   * result; a team's workflow gets it as the step's failure).
   */
  APPROVAL_DENIED("approval_denied", 403, Rpc.INVALID_REQUEST, Governed.APPROVAL_DENIED),
  /** The call's approval expired (which counted as a denial). */
  APPROVAL_EXPIRED("approval_expired", 410, Rpc.INVALID_REQUEST, Governed.APPROVAL_EXPIRED),
  /** A team's workflow called a tool it does not declare (a bug in the workflow); nothing was called. */
  TOOL_NOT_DECLARED("tool_not_declared", 500, Rpc.INTERNAL_ERROR, Governed.TOOL_NOT_DECLARED),
  /** A team's workflow called a model it does not declare (a bug in the workflow); nothing was called. */
  MODEL_NOT_DECLARED("model_not_declared", 500, Rpc.INTERNAL_ERROR, Governed.MODEL_NOT_DECLARED),
  /** A team's workflow named a step with an id the trace cannot take (a bug in the workflow); nothing was called. */
  INVALID_STEP_ID("invalid_step_id", 500, Rpc.INTERNAL_ERROR, Governed.INVALID_STEP_ID),
  /** The decision names other arguments than the call has. */
  APPROVAL_MISMATCH("approval_mismatch", 409, Rpc.INVALID_REQUEST),
  /** Admission control: too much work is open or in flight to start this soon (nothing started). */
  OVERLOADED("overloaded", 429, Rpc.OVERLOADED, ToolFailureTypes.OVERLOADED, Retry.YES, false),

  // ---- MCP sessions and pass-through
  MISSING_SESSION("missing_session", 400, Rpc.INVALID_REQUEST),
  UNKNOWN_SESSION("unknown_session", 404, Rpc.SESSION_NOT_FOUND),
  UNKNOWN_VIRTUAL_SERVER("unknown_virtual_server", 404, Rpc.INVALID_REQUEST),
  UNKNOWN_PROMPT("unknown_prompt", 404, Rpc.INVALID_PARAMS),
  UNKNOWN_RESOURCE("unknown_resource", 404, Rpc.RESOURCE_NOT_FOUND),
  AGENT_GONE("agent_gone", 410, Rpc.INTERNAL_ERROR),

  // ---- the admin API
  TENANT_NOT_FOUND("tenant_not_found", 404, Rpc.INVALID_PARAMS),
  TENANT_EXISTS("tenant_exists", 409, Rpc.INVALID_PARAMS),
  TENANT_NOT_EMPTY("tenant_not_empty", 409, Rpc.INVALID_PARAMS),
  AGENT_NOT_FOUND("agent_not_found", 404, Rpc.INVALID_PARAMS),
  AGENT_EXISTS("agent_exists", 409, Rpc.INVALID_PARAMS),
  KEY_NOT_FOUND("key_not_found", 404, Rpc.INVALID_PARAMS),
  OWN_KEY("own_key", 409, Rpc.INVALID_PARAMS),
  SECRET_NOT_FOUND("secret_not_found", 404, Rpc.INVALID_PARAMS),
  SECRETS_NOT_CONFIGURED("secrets_not_configured", 409, Rpc.INVALID_PARAMS),
  IDENTITY_PROVIDER_NOT_FOUND("identity_provider_not_found", 404, Rpc.INVALID_PARAMS),
  IDENTITY_PROVIDER_EXISTS("identity_provider_exists", 409, Rpc.INVALID_PARAMS),
  TOOL_NOT_FOUND("tool_not_found", 404, Rpc.INVALID_PARAMS),
  TOOL_EXISTS("tool_exists", 409, Rpc.INVALID_PARAMS),
  INVALID_TOOL("invalid_tool", 422, Rpc.INVALID_PARAMS),
  MCP_SERVER_NOT_FOUND("mcp_server_not_found", 404, Rpc.INVALID_PARAMS),
  MCP_SERVER_EXISTS("mcp_server_exists", 409, Rpc.INVALID_PARAMS),
  MCP_PREFIX_TAKEN("mcp_prefix_taken", 409, Rpc.INVALID_PARAMS),
  INVALID_MCP_SERVER("invalid_mcp_server", 422, Rpc.INVALID_PARAMS),
  VIRTUAL_SERVER_NOT_FOUND("virtual_server_not_found", 404, Rpc.INVALID_PARAMS),
  VIRTUAL_SERVER_EXISTS("virtual_server_exists", 409, Rpc.INVALID_PARAMS),
  INVALID_VIRTUAL_SERVER("invalid_virtual_server", 422, Rpc.INVALID_PARAMS),
  POLICY_NOT_FOUND("policy_not_found", 404, Rpc.INVALID_PARAMS),
  POLICY_EXISTS("policy_exists", 409, Rpc.INVALID_PARAMS),
  INVALID_POLICY("invalid_policy", 422, Rpc.INVALID_PARAMS),
  PROVIDER_NOT_FOUND("provider_not_found", 404, Rpc.INVALID_PARAMS),
  PROVIDER_EXISTS("provider_exists", 409, Rpc.INVALID_PARAMS),
  INVALID_PROVIDER("invalid_provider", 422, Rpc.INVALID_PARAMS),
  MODEL_NOT_FOUND("model_not_found", 404, Rpc.INVALID_PARAMS),
  MODEL_EXISTS("model_exists", 409, Rpc.INVALID_PARAMS),
  INVALID_MODEL("invalid_model", 422, Rpc.INVALID_PARAMS),
  INVALID_REGISTRY("invalid_registry", 422, Rpc.INVALID_PARAMS),
  /** The change would break a uniqueness or reference rule of the registry that no more specific code names. */
  CONFLICT("conflict", 409, Rpc.INVALID_PARAMS),
  /** The tenant (or the agent, for its keys) holds the most records of the kind it may. */
  QUOTA_EXCEEDED("quota_exceeded", 409, Rpc.INVALID_PARAMS),
  /**
   * An admin write's {@code If-Match} does not match the record's current {@code ETag}: it changed
   * (or was deleted) since the client read it. Nothing was changed.
   */
  PRECONDITION_FAILED("precondition_failed", 412, Rpc.INVALID_PARAMS),

  // ---- Gatehouse itself
  INTERRUPTED("interrupted", 503, Rpc.INTERNAL_ERROR, Retry.YES),
  INTERNAL_ERROR("internal_error", 500, Rpc.INTERNAL_ERROR, Retry.YES);

  /** JSON-RPC 2.0 error codes, the protocol's own and those MCP and Gatehouse add. */
  public static final class Rpc {
    public static final int PARSE_ERROR = -32700;
    public static final int INVALID_REQUEST = -32600;
    public static final int METHOD_NOT_FOUND = -32601;
    public static final int INVALID_PARAMS = -32602;
    public static final int INTERNAL_ERROR = -32603;
    /** The session named by {@code Mcp-Session-Id} is not (or no longer) here. */
    public static final int SESSION_NOT_FOUND = -32001;
    /** MCP's code for a resource that does not exist. */
    public static final int RESOURCE_NOT_FOUND = -32002;
    /** Gatehouse's: an upstream failed or could not be reached (server-defined range). */
    public static final int UPSTREAM = -32003;
    /** Gatehouse's: it refuses work it cannot start soon (admission control); retry later. */
    public static final int OVERLOADED = -32004;
    /** The caller cancelled the request (the code LSP and MCP clients use). */
    public static final int REQUEST_CANCELLED = -32800;

    private Rpc() {}
  }

  private enum Retry { YES, NO }

  private static final Map<String, ErrorCode> BY_CODE = new HashMap<>();
  private static final Map<String, ErrorCode> BY_FAILURE_TYPE = new HashMap<>();

  static {
    for (ErrorCode e : values()) {
      BY_CODE.put(e.code, e);
      if (e.failureType != null) {
        BY_FAILURE_TYPE.put(e.failureType, e);
      }
    }
  }

  private final String code;
  private final int httpStatus;
  private final int jsonRpcCode;
  private final String failureType;
  private final boolean retryable;
  private final boolean toolOutcome;

  ErrorCode(String code, int httpStatus, int jsonRpcCode) {
    this(code, httpStatus, jsonRpcCode, null, Retry.NO, false);
  }

  ErrorCode(String code, int httpStatus, int jsonRpcCode, Retry retry) {
    this(code, httpStatus, jsonRpcCode, null, retry, false);
  }

  ErrorCode(String code, int httpStatus, int jsonRpcCode, String failureType) {
    this(code, httpStatus, jsonRpcCode, failureType, Retry.NO, false);
  }

  ErrorCode(String code, int httpStatus, int jsonRpcCode, String failureType, Retry retry, boolean toolOutcome) {
    this.code = code;
    this.httpStatus = httpStatus;
    this.jsonRpcCode = jsonRpcCode;
    this.failureType = failureType;
    this.retryable = retry == Retry.YES;
    this.toolOutcome = toolOutcome;
  }

  /** The stable, machine-readable code every face shows. */
  public String code() {
    return code;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public int jsonRpcCode() {
    return jsonRpcCode;
  }

  /** The Temporal {@code ApplicationFailure} type that carries this failure out of an activity or workflow, or null. */
  public String failureType() {
    return failureType;
  }

  /** True when the same request could succeed later (the caller may retry, with backoff). */
  public boolean retryable() {
    return retryable;
  }

  /** True when a tool ran and failed, as opposed to a call refused before anything ran. */
  public boolean toolOutcome() {
    return toolOutcome;
  }

  /** The entry with this stable code. */
  public static Optional<ErrorCode> ofCode(String code) {
    return Optional.ofNullable(code == null ? null : BY_CODE.get(code));
  }

  /** The entry carried by this {@code ApplicationFailure} type. */
  public static Optional<ErrorCode> ofFailureType(String type) {
    return Optional.ofNullable(type == null ? null : BY_FAILURE_TYPE.get(type));
  }

  /**
   * The stable code of a failure type: the catalog's, or for a type the catalog does not list (a
   * team's own workflow) the rule every listed type follows too, {@link FailureCodes#of}.
   */
  public static String codeOfFailureType(String type) {
    return ofFailureType(type).map(ErrorCode::code).orElseGet(() -> FailureCodes.of(type));
  }

  /** The code of an HTTP status that carries no code of its own (Jersey's and Jetty's own refusals). */
  public static ErrorCode ofHttpStatus(int status) {
    return switch (status) {
      case 400 -> INVALID_REQUEST;
      case 401 -> UNAUTHORIZED;
      case 403 -> FORBIDDEN;
      case 404 -> NOT_FOUND;
      case 405 -> METHOD_NOT_ALLOWED;
      case 406 -> NOT_ACCEPTABLE;
      case 413 -> REQUEST_TOO_LARGE;
      case 414 -> URI_TOO_LONG;
      case 415 -> UNSUPPORTED_MEDIA_TYPE;
      case 431 -> HEADERS_TOO_LARGE;
      case 505 -> HTTP_VERSION_NOT_SUPPORTED;
      default -> status >= 500 ? INTERNAL_ERROR : INVALID_REQUEST;
    };
  }
}
