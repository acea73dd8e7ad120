package dev.gatehouse.frontend.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.activities.http.NetworkFailures;
import dev.gatehouse.activities.mcp.McpConnector;
import dev.gatehouse.activities.mcp.McpJson;
import dev.gatehouse.activities.mcp.McpToolResolver.McpItem;
import dev.gatehouse.activities.mcp.McpToolResolver;
import dev.gatehouse.activities.mcp.McpUpstreams;
import dev.gatehouse.activities.mcp.UriTemplates;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.activities.policy.PolicyCatalog;
import dev.gatehouse.activities.policy.ToolResultPolicies;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.frontend.core.http.JsonProblems;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.DenialCodes;
import dev.gatehouse.policies.access.AccessPolicy;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.audit.AuditEvent;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import reactor.core.publisher.Mono;

/**
 * The MCP methods Gatehouse passes through to the upstream server an item belongs to: resource
 * lists, reads and subscriptions, prompts, completion, and the session's log level. Lists are
 * filtered by the agent's permissions (a virtual server shows tools only); every call goes
 * through the agent session's own upstream session, and answers are redacted of the upstream
 * connection's secrets. What a resource read or a prompt answers goes through the PII and
 * guardrail entries that govern the agent's calls to it, as a tool's result does ({@link
 * ToolResultPolicies#inspect}): redacted, or refused with {@code pii_detected} or {@code
 * guardrail_blocked} before it reaches the agent.
 */
final class PassThrough {
  /**
   * The methods whose handling waits on an upstream server. Each takes a direct-call slot of the
   * agent's tenant before the SDK sees it ({@link McpHttpFilter}) and runs on the face's upstream
   * threads, not on the threads that answer lists from Gatehouse's own catalog.
   */
  static final Set<String> UPSTREAM_METHODS =
      Set.of(
          McpSchema.METHOD_RESOURCES_READ,
          McpSchema.METHOD_RESOURCES_SUBSCRIBE,
          McpSchema.METHOD_RESOURCES_UNSUBSCRIBE,
          McpSchema.METHOD_PROMPT_GET,
          McpSchema.METHOD_COMPLETION_COMPLETE);

  private final McpToolResolver resolver;
  private final McpUpstreams upstreams;
  private final McpConnector connector;
  private final McpSessions sessions;
  /** Where requests in flight are registered, so that notifications/cancelled reaches them. */
  private final McpToolCallHandler calls;
  private final PolicyCatalog policies;
  private final GatehouseMetrics metrics;
  private final AuditLog audit;

  PassThrough(
      McpToolResolver resolver, McpUpstreams upstreams, McpConnector connector, McpSessions sessions, McpToolCallHandler calls,
      PolicyCatalog policies, GatehouseMetrics metrics, AuditLog audit) {
    this.resolver = resolver;
    this.upstreams = upstreams;
    this.connector = connector;
    this.sessions = sessions;
    this.calls = calls;
    this.policies = policies;
    this.metrics = metrics;
    this.audit = audit;
  }

  Object listItems(McpAsyncServerExchange ex, String kind, String field) {
    McpRequestContext ctx = context(ex);
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    ArrayNode items = result.putArray(field);
    if (ctx.virtualServer() != null) {
      return result; // a virtual server is a selection of tools only
    }
    for (McpItem item : resolver.view(ctx.caller().agent().tenantId()).items(kind)) {
      if (!AccessPolicy.tool(ctx.caller().agent().permissions(), ctx.caller().scopes(), item.gatewayName()).allowed()) {
        continue;
      }
      ObjectNode body = item.body().deepCopy();
      if (kind.equals(McpCatalogEntry.PROMPT)) {
        body.put("name", item.gatewayName());
      }
      items.add(body);
    }
    return result;
  }

  /**
   * The resource (or the template) URI {@code uri} names, which the agent may read; refused (and
   * audited as {@code action}) as one that does not exist when there is none or the agent may not
   * use it, and as {@code invalid_params} when the URI holds a dot segment or a control character
   * ({@link UriTemplates#traverses}): checked as written, it could name what the server then
   * resolves to another resource.
   */
  private McpItem resourceFor(McpRequestContext ctx, String uri, String action) {
    if (UriTemplates.traverses(uri)) {
      throw refused(
          ctx, action, null, null,
          McpErrors.of(
              ErrorCode.INVALID_PARAMS,
              "a resource URI with a '.' or '..' path segment (also percent-encoded, or after a backslash) or a control character"
                  + " is refused: name the resource as its server lists it"));
    }
    List<McpItem> candidates = ctx.virtualServer() == null ? resolver.resources(ctx.caller().agent().tenantId(), uri) : List.of();
    if (candidates.isEmpty()) {
      throw refused(ctx, action, null, null, McpErrors.resourceNotFound(uri));
    }
    // Two servers may list one URI (resource URIs carry no prefix): the first the agent may read
    // takes it, so an agent allowed only the second's reads that one.
    for (McpItem item : candidates) {
      if (readable(ctx, item, uri)) {
        return item;
      }
    }
    throw refused(ctx, action, candidates.get(0), AccessPolicy.NAME, McpErrors.resourceNotFound(uri));
  }

  private static boolean readable(McpRequestContext ctx, McpItem item, String uri) {
    return AccessPolicy.tool(ctx.caller().agent().permissions(), ctx.caller().scopes(), item.server().qualify(uri)).allowed();
  }

  /**
   * What a {@code ref/resource} of completion/complete names: a resource template by its URI
   * template as written, else a resource (or the template a URI matches). Either is checked as
   * resources/read checks a resource (the agent's permissions on its gateway name; nothing on a
   * virtual server), and one the agent may not use is answered as one that does not exist.
   */
  private McpItem templateOrResourceFor(McpRequestContext ctx, String uri, String action) {
    if (ctx.virtualServer() != null) {
      throw refused(ctx, action, null, null, McpErrors.resourceNotFound(uri));
    }
    McpItem template =
        resolver.view(ctx.caller().agent().tenantId()).items(McpCatalogEntry.RESOURCE_TEMPLATE).stream()
            .filter(i -> i.upstreamName().equals(uri))
            .findFirst()
            .orElse(null);
    if (template == null) {
      return resourceFor(ctx, uri, action);
    }
    if (!readable(ctx, template, uri)) {
      throw refused(ctx, action, template, AccessPolicy.NAME, McpErrors.resourceNotFound(uri));
    }
    return template;
  }

  Object readResource(McpAsyncServerExchange ex, Object params) {
    McpRequestContext ctx = context(ex);
    requiredText(params, "uri", "resources/read");
    McpSchema.ReadResourceRequest req = McpJson.convert(params, McpSchema.ReadResourceRequest.class);
    McpItem item = resourceFor(ctx, req.uri(), "mcp.resource.read");
    return governed(
        ctx, "mcp.resource.read", item, item.server().qualify(req.uri()), "the resource",
        () -> upstreamCall(ex, item.server(), c -> c.readResource(req)),
        answer -> {
          // What the server answered must be a resource the agent may read too: a server that
          // resolved the URI to another (a template's variable it took for a path) is refused.
          for (JsonNode content : answer.path("contents")) {
            JsonNode uri = content.get("uri");
            if (uri != null && uri.isTextual() && !readable(ctx, item, uri.asText())) {
              return Decision.deny(
                  AccessPolicy.NAME, ErrorCode.UNKNOWN_RESOURCE.code(), "the server answered with a resource this agent may not read");
            }
          }
          return null;
        },
        () -> McpErrors.resourceNotFound(req.uri()));
  }

  Object subscribe(McpAsyncServerExchange ex, Object params, boolean on) {
    McpRequestContext ctx = context(ex);
    String action = on ? "mcp.resource.subscribe" : "mcp.resource.unsubscribe";
    String uri = requiredText(params, "uri", on ? "resources/subscribe" : "resources/unsubscribe");
    McpItem item = resourceFor(ctx, uri, action);
    return audited(
        ctx, action, item,
        () -> upstreamCall(
            ex,
            item.server(),
            c -> (on ? c.subscribeResource(new McpSchema.SubscribeRequest(uri)) : c.unsubscribeResource(new McpSchema.UnsubscribeRequest(uri)))
                .thenReturn(Map.of())));
  }

  Object getPrompt(McpAsyncServerExchange ex, Object params) {
    McpRequestContext ctx = context(ex);
    String name = requiredText(params, "name", "prompts/get");
    JsonNode p = McpJson.tree(params);
    McpItem item = promptFor(ctx, name, "mcp.prompt.get");
    ObjectNode upstreamParams = ((ObjectNode) p).deepCopy();
    upstreamParams.put("name", item.upstreamName());
    McpSchema.GetPromptRequest req = McpJson.convert(upstreamParams, McpSchema.GetPromptRequest.class);
    return governed(
        ctx, "mcp.prompt.get", item, name, "the prompt " + name, () -> upstreamCall(ex, item.server(), c -> c.getPrompt(req)), null, null);
  }

  private McpItem promptFor(McpRequestContext ctx, String name, String action) {
    McpItem item =
        ctx.virtualServer() == null ? resolver.find(ctx.caller().agent().tenantId(), McpCatalogEntry.PROMPT, name).orElse(null) : null;
    if (item == null) {
      throw refused(ctx, action, null, null, McpErrors.of(ErrorCode.UNKNOWN_PROMPT, "Unknown prompt: " + name));
    }
    if (!AccessPolicy.tool(ctx.caller().agent().permissions(), ctx.caller().scopes(), name).allowed()) {
      throw refused(ctx, action, item, AccessPolicy.NAME, McpErrors.of(ErrorCode.UNKNOWN_PROMPT, "Unknown prompt: " + name));
    }
    return item;
  }

  Object complete(McpAsyncServerExchange ex, Object params) {
    McpRequestContext ctx = context(ex);
    String action = "mcp.completion.complete";
    ObjectNode p = ((ObjectNode) McpJson.tree(params)).deepCopy();
    JsonNode ref = p.path("ref");
    McpItem item;
    if ("ref/prompt".equals(ref.path("type").asText())) {
      item = promptFor(ctx, ref.path("name").asText(""), action);
      ((ObjectNode) p.get("ref")).put("name", item.upstreamName());
    } else if ("ref/resource".equals(ref.path("type").asText())) {
      item = templateOrResourceFor(ctx, ref.path("uri").asText(""), action);
    } else {
      throw McpErrors.of(ErrorCode.INVALID_PARAMS, "completion/complete needs a ref of type ref/prompt or ref/resource");
    }
    McpSchema.CompleteRequest req = McpJson.convert(p, McpSchema.CompleteRequest.class);
    return audited(ctx, action, item, () -> upstreamCall(ex, item.server(), c -> c.completeCompletion(req)));
  }

  /**
   * {@code refusal}, after its audit row: the agent asked for {@code item} (null when there is no
   * such item; the name or URI asked for is not written, as it may carry data) and was refused,
   * by {@code policy} when one refused it.
   */
  private McpError refused(McpRequestContext ctx, String action, McpItem item, String policy, McpError refusal) {
    record(ctx, action, item, "deny", codeOf(refusal), null, policy, null);
    return refusal;
  }

  /** What {@code call} answers, with the audit row of its outcome ({@code item}'s catalog name as the target). */
  private Object audited(McpRequestContext ctx, String action, McpItem item, Supplier<Object> call) {
    long start = System.nanoTime();
    String outcome = "ok";
    try {
      return call.get();
    } catch (McpError e) {
      outcome = codeOf(e);
      throw e;
    } catch (RuntimeException e) {
      outcome = ErrorCode.UPSTREAM_ERROR.code();
      throw e;
    } finally {
      record(ctx, action, item, "allow", outcome, (int) ((System.nanoTime() - start) / 1_000_000), null, null);
    }
  }

  /** The catalog code an error carries (ours do; an upstream's own error passed through may carry anything: {@code upstream_error}). */
  private static String codeOf(McpError e) {
    Object code = e.getJsonRpcError() != null && e.getJsonRpcError().data() instanceof Map<?, ?> data ? data.get("code") : null;
    return (code instanceof String c ? ErrorCode.ofCode(c) : Optional.<ErrorCode>empty()).orElse(ErrorCode.UPSTREAM_ERROR).code();
  }

  private void record(
      McpRequestContext ctx, String action, McpItem item, String decision, String outcome, Integer latencyMs, String policy, String detail) {
    Agent agent = ctx.caller().agent();
    audit.record(
        new AuditEvent(
            Instant.now(), agent.tenantId(), agent.id(), agent.id(), ctx.requestId(), null, action,
            item == null ? null : item.gatewayName(), decision, outcome, latencyMs, policy, detail));
  }

  Object setLevel(McpAsyncServerExchange ex, Object params) {
    String name = requiredText(params, "level", "logging/setLevel");
    McpSchema.LoggingLevel level =
        java.util.Arrays.stream(McpSchema.LoggingLevel.values())
            .filter(l -> l.name().toLowerCase(java.util.Locale.ROOT).equals(name)) // as the schema spells them
            .findFirst()
            .orElseThrow(
                () ->
                    McpErrors.of(
                        ErrorCode.INVALID_PARAMS,
                        "logging/setLevel's 'level' must be one of debug, info, notice, warning, error, critical, alert, emergency"));
    GatewaySession s = sessions.find(ex.sessionId()).orElse(null);
    if (s != null) {
      s.setLogLevel(level);
    }
    return Map.of();
  }

  /**
   * Member {@code name} of {@code params}, which must be a string: the SDK's request types would
   * read a missing one as {@code ""} (or {@code info}) and a number as its text.
   */
  private static String requiredText(Object params, String name, String method) {
    JsonNode value = params == null ? null : McpJson.tree(params).get(name);
    if (value == null) {
      throw McpErrors.of(ErrorCode.INVALID_PARAMS, method + " needs a string '" + name + "'");
    }
    if (!value.isTextual()) {
      throw McpErrors.of(
          ErrorCode.INVALID_PARAMS, method + ": '" + name + "' must be a string, not " + JsonProblems.kind(value));
    }
    return value.asText();
  }

  /**
   * What {@code call} answers (the upstream's answer for {@code item}; {@code target}, the name
   * the agent's calls to it go by), as the PII and guardrail entries that govern those calls leave
   * it; a refusal is thrown as the JSON-RPC error of its code. What they decided is counted as a
   * governed call's decisions are, and the call leaves one audit row ({@code action}, the item's
   * catalog name: not the URI asked for, which may carry data): allow or deny and by which entry,
   * {@code ok} or the error's code, how long it took, and the entries that changed or flagged
   * the answer.
   */
  private Object governed(
      McpRequestContext ctx, String action, McpItem item, String target, String what, Supplier<Object> call,
      Function<JsonNode, Decision> answerCheck, Supplier<McpError> answerRefused) {
    long start = System.nanoTime();
    Decision denial = null;
    List<Decision> applied = List.of();
    String outcome = "ok";
    try {
      Object answer = call.get();
      if (!(answer instanceof JsonNode tree)) {
        return answer;
      }
      if (answerCheck != null && (denial = answerCheck.apply(tree)) != null) {
        metrics.policyDecision(denial);
        outcome = denial.code();
        throw answerRefused.get();
      }
      ToolResultPolicies.Inspected r = ToolResultPolicies.inspect(policies, ctx.caller().agent(), target, tree, what);
      applied = r.applied();
      applied.forEach(metrics::policyDecision);
      denial = r.denial();
      if (denial != null) {
        metrics.policyDecision(denial);
        outcome = denial.code();
        throw McpErrors.of(
            DenialCodes.PII_DETECTED.equals(denial.code()) ? ErrorCode.PII_DETECTED : ErrorCode.GUARDRAIL_BLOCKED, denial.reason());
      }
      return r.output();
    } catch (McpError e) {
      if (denial != null) {
        throw e;
      }
      outcome = codeOf(e);
      // The upstream's words in its error go through the same entries as its answers would.
      McpSchema.JSONRPCResponse.JSONRPCError error = e.getJsonRpcError();
      String message = error == null ? e.getMessage() : error.message();
      JsonNode data = error == null || error.data() == null ? null : McpJson.tree(error.data());
      ToolResultPolicies.InspectedError r =
          ToolResultPolicies.inspectError(policies, ctx.caller().agent(), target, what + " request", message, data);
      applied = r.applied();
      applied.forEach(metrics::policyDecision);
      if (java.util.Objects.equals(r.message(), message) && r.data() == data) {
        throw e;
      }
      throw McpError.builder(error == null ? McpSchema.ErrorCodes.INTERNAL_ERROR : error.code()).message(r.message()).data(r.data()).build();
    } catch (RuntimeException e) {
      outcome = ErrorCode.UPSTREAM_ERROR.code();
      throw e;
    } finally {
      record(
          ctx, action, item, denial == null ? "allow" : "deny", outcome, (int) ((System.nanoTime() - start) / 1_000_000),
          denial == null ? null : denial.policy(),
          applied.isEmpty() ? null : "policies: " + applied.stream().map(Decision::note).collect(Collectors.joining(", ")));
    }
  }

  /**
   * The upstream's JSON-RPC error as it came, but with the server's secrets redacted from its
   * message and data: an upstream may echo the credentials it was sent.
   */
  private McpError redacted(McpServerDefinition server, McpError e) {
    var error = e.getJsonRpcError();
    if (error == null) {
      return McpErrors.of(ErrorCode.UPSTREAM_ERROR, connector.redact(server.name(), e.getMessage()));
    }
    Object data = error.data() == null ? null : connector.redact(server.name(), McpJson.tree(error.data()));
    return McpError.builder(error.code()).message(connector.redact(server.name(), error.message())).data(data).build();
  }

  private Object upstreamCall(
      McpAsyncServerExchange ex, McpServerDefinition server, Function<McpAsyncClient, Mono<?>> call) {
    GatewaySession session = sessions.find(ex.sessionId()).orElse(null);
    McpAsyncClient client;
    try {
      client = session == null ? upstreams.client(server) : session.upstream(server);
    } catch (dev.gatehouse.activities.tool.ToolCallException e) {
      // refused before anything was opened (no place for another upstream session: overloaded)
      throw McpErrors.of(ErrorCode.ofFailureType(e.type()).orElse(ErrorCode.UPSTREAM_UNAVAILABLE), e.getMessage());
    } catch (RuntimeException e) {
      throw McpErrors.of(ErrorCode.UPSTREAM_UNAVAILABLE, "MCP server " + server.name() + " is not reachable");
    }
    // In flight under its id, as a tools/call is: notifications/cancelled (or the session's end)
    // answers it at once and frees its slot; it waited out the server's timeout. An id already in
    // flight is refused, as for tools/call.
    Object id = context(ex).jsonRpcId();
    McpToolCallHandler.InFlight inFlight = session == null || id == null ? null : calls.enter(ex.sessionId(), id);
    if (session != null && id != null && inFlight == null) {
      throw McpErrors.of(
          ErrorCode.INVALID_REQUEST, "a request with this id is still in flight in this session; use a new id for each request");
    }
    AgentChannel channel = AgentChannel.of(ex);
    if (session != null) {
      session.enter(server.name(), channel);
    }
    Object answer;
    try {
      Mono<?> request = call.apply(client);
      // (suppressCancel: the companion is cancelled when the request completes first, which must
      // not complete the future, read below as the agent's cancel)
      answer = (inFlight == null ? request : request.takeUntilOther(Mono.fromFuture(inFlight.cancelled, true))).block(server.timeoutOrDefault());
    } catch (McpError e) {
      throw redacted(server, e); // the upstream's own JSON-RPC error, passed through
    } catch (RuntimeException e) {
      throw McpErrors.of(
          ErrorCode.UPSTREAM_ERROR, "MCP server " + server.name() + " failed: " + connector.redact(server.name(), NetworkFailures.describe(e)));
    } finally {
      if (session != null) {
        session.leave(server.name(), channel);
      }
      if (inFlight != null) {
        calls.leave(ex.sessionId(), id, inFlight);
      }
    }
    if (inFlight != null && inFlight.cancelled.isDone()) {
      throw McpErrors.of(ErrorCode.CANCELED, "Request canceled");
    }
    return answer == null ? null : connector.redact(client, McpJson.tree(answer));
  }

  private static McpRequestContext context(McpAsyncServerExchange ex) {
    return McpRequestContext.of(ex.transportContext());
  }
}
