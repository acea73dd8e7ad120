package dev.gatehouse.activities.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.gatehouse.activities.chain.PolicyStep;
import dev.gatehouse.activities.tool.CallContext;
import dev.gatehouse.activities.tool.ToolCallException;
import dev.gatehouse.activities.tool.ToolExchange;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.DenialCodes;
import dev.gatehouse.policies.data.CallKind;
import dev.gatehouse.policies.data.CompiledPolicy;
import dev.gatehouse.policies.guardrails.GuardrailResult;
import dev.gatehouse.policies.pii.PiiPolicy;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolProgress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * What a tool's result (an HTTP tool's body, an MCP tool's {@code CallToolResult}) goes through
 * before anyone gets it, on every path (pipelines, direct and durable MCP, the agent loop, teams'
 * workflows): first the PII entries that apply at {@code tool-results}, then the guardrail entries
 * (prompt injection, hidden Unicode, links that carry data, size, deny patterns), each in name
 * order and each seeing what the ones before left. Redactions replace the result; a block refuses
 * it ({@link dev.gatehouse.activities.chain.Exchange#deny}: {@code pii_detected} or {@code
 * guardrail_blocked}, and the result reaches no one). A call no entry governs is not read. The
 * results of the MCP methods Gatehouse passes through (resources, prompts) go through the same
 * entries ({@link #inspect(PolicyCatalog, Agent, String, JsonNode, String)}).
 *
 * <p>A call that failed carries the upstream's own words in its message (an HTTP tool's error
 * body, an MCP server's JSON-RPC error), which reach the agent, the task's history and trace, the
 * agent loop's model and the audit row as a result would. The same entries read that message
 * ({@link #failed}): redactions replace it, notes are recorded as for a result, and an entry that
 * blocks withholds the message (the failure keeps its type, retry and status: it was a failure
 * already, and whether to try again still depends on them).
 *
 * <p>What an MCP server says during a call (progress and log messages) passes the same entries
 * before it goes on ({@link #notices}): redacted, or dropped when one would block it.
 */
public final class ToolResultPolicies implements PolicyStep<ToolExchange> {
  private final PolicyCatalog catalog;

  public ToolResultPolicies(PolicyCatalog catalog) {
    this.catalog = catalog;
  }

  /**
   * A call whose progress is reported (a task's MCP call: its activity's heartbeats, which the
   * front end relays to an MCP agent) reports each message as the entries leave it, or none when
   * one would block it.
   */
  @Override
  public Decision before(ToolExchange x) {
    CallContext ctx = x.request().context();
    if (ctx.progress() == null) {
      return PROCEED;
    }
    UnaryOperator<String> notices =
        notices(Governing.pii(catalog, x, CallKind.TOOL, Governing.TOOL_RESULTS), Governing.guardrails(catalog, x, CallKind.TOOL));
    if (notices != null) {
      CallContext.Progress progress = ctx.progress();
      x.replaceRequest(
          x.request()
              .within(
                  new CallContext(
                      ctx.taskId(), ctx.activityId(), ctx.attempt(),
                      (p, total, message) -> progress.report(p, total, message == null ? null : notices.apply(message)),
                      ctx.requestId())));
    }
    return PROCEED;
  }

  @Override
  public void after(ToolExchange x) {
    ToolCallResult result = x.response();
    if (result == null || result.output() == null) {
      return;
    }
    List<CompiledPolicy> pii = Governing.pii(catalog, x, CallKind.TOOL, Governing.TOOL_RESULTS);
    List<CompiledPolicy> guardrails = Governing.guardrails(catalog, x, CallKind.TOOL);
    if (pii.isEmpty() && guardrails.isEmpty()) {
      return;
    }
    if (result.progress() != null && !result.progress().isEmpty()) {
      // The reports the result keeps (for the history and the agent) were kept as they came.
      UnaryOperator<String> notices = notices(pii, guardrails);
      List<ToolProgress> kept = new ArrayList<>(result.progress().size());
      for (ToolProgress p : result.progress()) {
        kept.add(new ToolProgress(p.progress(), p.total(), p.message() == null ? null : notices.apply(p.message())));
      }
      result = result.withProgress(kept);
      x.replaceResponse(result);
    }
    Inspected r = inspect(pii, guardrails, result.output(), "the tool result");
    r.applied().forEach(x::applied);
    if (r.denial() != null) {
      x.deny(r.denial());
    } else if (r.output() != result.output()) {
      x.replaceResponse(result.withOutput(r.output()));
    }
  }

  @Override
  public RuntimeException failed(ToolExchange x, RuntimeException failure) {
    if (!(failure instanceof ToolCallException e) || e.getMessage() == null || e.getMessage().isEmpty()) {
      return failure;
    }
    List<CompiledPolicy> pii = Governing.pii(catalog, x, CallKind.TOOL, Governing.TOOL_RESULTS);
    List<CompiledPolicy> guardrails = Governing.guardrails(catalog, x, CallKind.TOOL);
    if (pii.isEmpty() && guardrails.isEmpty()) {
      return failure;
    }
    InspectedError r = inspectError(pii, guardrails, "the call of " + x.request().target(), e.getMessage(), null);
    r.applied().forEach(x::applied);
    return r.message().equals(e.getMessage()) ? failure : e.withMessage(r.message());
  }

  /**
   * What the entries that govern {@code agent}'s calls to {@code target} make of what an upstream
   * says during such a call (a progress report's message, a log message): the text as they leave
   * it, or null when one would block it (the message is then not passed on). Null when no entry
   * governs the call. No note is recorded for these messages.
   */
  public static UnaryOperator<String> notices(PolicyCatalog catalog, Agent agent, String target) {
    return notices(Governing.pii(catalog, agent, target, Governing.TOOL_RESULTS), Governing.guardrails(catalog, agent, target));
  }

  private static UnaryOperator<String> notices(List<CompiledPolicy> pii, List<CompiledPolicy> guardrails) {
    if (pii.isEmpty() && guardrails.isEmpty()) {
      return null;
    }
    return text -> {
      TextNode node = TextNode.valueOf(text);
      Inspected r = inspect(pii, guardrails, node, "the message");
      return r.denial() != null ? null : r.output().asText();
    };
  }

  /**
   * What the entries made of a failed call's error: its message and data as they left them (the
   * same when they found nothing), and the decisions they applied. When one would block, the
   * message says only that {@code subject} failed and by which entry its error is withheld, and
   * the data is dropped.
   */
  public record InspectedError(String message, JsonNode data, List<Decision> applied) {}

  /**
   * The same inspection for the error an MCP method passed through to an upstream answered (a
   * resource read, a prompt got): its message and data, as the entries that govern {@code
   * agent}'s tool calls to {@code target} leave them. {@code subject} names the call in a
   * withheld message ({@code the resource read of github.repo://readme}).
   */
  public static InspectedError inspectError(
      PolicyCatalog catalog, Agent agent, String target, String subject, String message, JsonNode data) {
    List<CompiledPolicy> pii = Governing.pii(catalog, agent, target, Governing.TOOL_RESULTS);
    List<CompiledPolicy> guardrails = Governing.guardrails(catalog, agent, target);
    if (pii.isEmpty() && guardrails.isEmpty()) {
      return new InspectedError(message, data, List.of());
    }
    return inspectError(pii, guardrails, subject, message, data);
  }

  private static InspectedError inspectError(
      List<CompiledPolicy> pii, List<CompiledPolicy> guardrails, String subject, String message, JsonNode data) {
    ObjectNode error = JsonNodeFactory.instance.objectNode();
    error.put("message", message == null ? "" : message);
    if (data != null) {
      error.set("data", data);
    }
    Inspected r = inspect(pii, guardrails, error, "the error message");
    if (r.denial() != null) {
      List<Decision> applied = new ArrayList<>(r.applied());
      applied.add(PolicyNotes.withheld(r.denial(), Governing.TOOL_RESULTS));
      return new InspectedError(subject + " failed; " + PolicyNotes.withheldMessage(r.denial()), null, applied);
    }
    if (r.output() == error) {
      return new InspectedError(message, data, r.applied());
    }
    return new InspectedError(r.output().path("message").asText(), r.output().get("data"), r.applied());
  }

  /**
   * What the entries made of a result: the result as they left it, the decisions they applied in
   * order, and the denial that refused it when one did (the result must then reach no one), else
   * null.
   */
  public record Inspected(JsonNode output, List<Decision> applied, Decision denial) {}

  /**
   * The same inspection for what an MCP method passed through to an upstream answers (a resource
   * read, a prompt got), before it reaches the agent: the entries that govern {@code agent}'s tool
   * calls to {@code target} (the item's gateway name) apply to it as to a tool's result. {@code
   * what} names it in a refusal ({@code the resource}: not what the agent asked for, which may
   * itself carry what the entries look for). A call no entry governs is not read.
   */
  public static Inspected inspect(PolicyCatalog catalog, Agent agent, String target, JsonNode output, String what) {
    List<CompiledPolicy> pii = Governing.pii(catalog, agent, target, Governing.TOOL_RESULTS);
    List<CompiledPolicy> guardrails = Governing.guardrails(catalog, agent, target);
    if (pii.isEmpty() && guardrails.isEmpty()) {
      return new Inspected(output, List.of(), null);
    }
    return inspect(pii, guardrails, output, what);
  }

  private static Inspected inspect(List<CompiledPolicy> pii, List<CompiledPolicy> guardrails, JsonNode output, String what) {
    List<Decision> applied = new ArrayList<>(2);
    for (CompiledPolicy p : pii) {
      PiiPolicy.JsonResult r;
      try {
        r = p.pii().check(output);
      } catch (IllegalArgumentException e) {
        return new Inspected(output, applied, PolicyNotes.uninspectable(p.ref(), DenialCodes.PII_DETECTED, what, e.getMessage()));
      }
      if (!r.decision().allowed()) {
        return new Inspected(output, applied, PolicyNotes.piiBlocked(p.ref(), what, r.findings()));
      }
      Decision note = PolicyNotes.pii(p.ref(), p.pii().action(), r.findings(), Governing.TOOL_RESULTS);
      if (note != null) {
        applied.add(note);
        output = r.tree();
      }
    }
    for (CompiledPolicy p : guardrails) {
      GuardrailResult<JsonNode> r = p.guardrail().inspectResponse(output);
      if (r.blocked()) {
        return new Inspected(output, applied, PolicyNotes.guardrailBlocked(p.ref(), r));
      }
      Decision note = PolicyNotes.guardrail(p.ref(), r, Governing.TOOL_RESULTS);
      if (note != null) {
        applied.add(note);
      }
      output = r.value();
    }
    return new Inspected(output, applied, null);
  }
}
