package dev.gatehouse.frontend.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.mcp.McpUpstreams;
import dev.gatehouse.activities.policy.PolicyCatalog;
import dev.gatehouse.activities.policy.ToolResultPolicies;
import dev.gatehouse.activities.tool.CallContext;
import dev.gatehouse.activities.tool.ToolCall;
import dev.gatehouse.activities.tool.ToolCallException;
import dev.gatehouse.activities.tool.ToolInvoker;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.Map;
import java.util.UUID;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * A {@code tools/call} on the direct path (read-only tools): {@link ToolInvoker} runs on the
 * request's thread, through the agent session's own upstream session, so what the upstream sends
 * meanwhile (progress, log messages, sampling and elicitation requests) reaches the agent on the
 * call's own response (progress and log messages through the entries that govern the call's
 * results, {@link GovernedChannel}), and a cancellation reaches the upstream as its own {@code
 * notifications/cancelled}.
 */
final class DirectToolCall {
  private final ToolInvoker invoker;
  private final McpUpstreams upstreams;
  private final PolicyCatalog policies;
  private final Scheduler httpThreads;

  /** {@code httpThreads} runs HTTP tools' requests, which do not watch a cancellation themselves. */
  DirectToolCall(ToolInvoker invoker, McpUpstreams upstreams, PolicyCatalog policies, Scheduler httpThreads) {
    this.invoker = invoker;
    this.upstreams = upstreams;
    this.policies = policies;
    this.httpThreads = httpThreads;
  }

  /**
   * The call on Reactor's thread, an error Reactor takes for fatal turned into an exception: Reactor
   * would drop it, and the request's thread would wait on {@code block()} for good, holding its
   * direct-call permit.
   */
  private ToolCallResult contained(ToolCall toolCall) {
    try {
      return invoker.invoke(toolCall);
    } catch (StackOverflowError | LinkageError e) {
      throw new IllegalStateException("the tool call failed inside Gatehouse", e);
    }
  }

  JsonNode run(
      ResponseChannel channel,
      GatewaySession session,
      McpRequestContext ctx,
      McpToolCallHandler.InFlight call,
      McpToolCallHandler.CallTarget target,
      JsonNode args,
      Object agentToken) {
    var agent = ctx.caller().agent();
    Caller caller = new Caller(agent.tenantId(), agent.id(), ctx.caller().scopes());
    String server = target.mcp() == null ? null : target.mcp().server().name();
    // What the upstream says meanwhile passes the entries that govern the call.
    AgentChannel relay = server == null ? channel : new GovernedChannel(channel, () -> ToolResultPolicies.notices(policies, agent, target.name()), agentToken);
    if (server != null) {
      session.enter(server, relay);
    }
    Map<String, Object> meta = agentToken == null ? Map.of() : Map.of("progressToken", agentToken);
    // A stdio server's client is shared by all sessions: give the call a token of its own and
    // map its progress back to this agent's token.
    String sharedToken = null;
    if (agentToken != null && target.mcp() != null && McpServerDefinition.STDIO.equals(target.mcp().server().transport())) {
      sharedToken = "gh-" + UUID.randomUUID();
      meta = Map.of("progressToken", sharedToken);
      upstreams.onProgress(
          sharedToken,
          (p, total, message) ->
              relay
                  .progress(new McpSchema.ProgressNotification(agentToken, p, total, message))
                  .onErrorResume(e -> Mono.empty())
                  .subscribe());
    }
    try {
      Mono<Boolean> cancelled = Mono.fromFuture(call.cancelled, true);
      ToolCall toolCall =
          ToolCall.of(target.name(), args, caller, CallContext.direct(ctx.requestId()))
              .via(session.route(meta, cancelled))
              .authenticatedAs(agent);
      ToolCallResult result;
      if (target.http() != null) {
        // An HTTP tool's request does not watch the cancellation itself: it runs on another
        // thread, so a cancellation still answers at once.
        result =
            Mono.fromCallable(() -> contained(toolCall))
                .subscribeOn(httpThreads)
                .takeUntilOther(cancelled)
                .block();
        if (result == null) {
          return ToolCallAnswers.failure(ToolFailureTypes.CANCELED, "the call was canceled", null);
        }
      } else {
        result = invoker.invoke(toolCall);
      }
      return ToolCallAnswers.result(target.mcp() != null, result);
    } catch (ToolCallException e) {
      if (e.rateLimits() != null) {
        throw ToolCallAnswers.rateLimited(e.getMessage(), e.rateLimits());
      }
      return ToolCallAnswers.failure(e.type(), e.getMessage(), null);
    } finally {
      if (sharedToken != null) {
        upstreams.onProgress(sharedToken, null);
      }
      if (server != null) {
        session.leave(server, relay);
      }
    }
  }
}
