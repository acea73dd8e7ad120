package dev.gatehouse.activities.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.chain.Exchange;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.DenialCodes;
import dev.gatehouse.policies.data.CompiledPolicy;
import dev.gatehouse.policies.guardrails.GuardrailPolicy;
import dev.gatehouse.policies.guardrails.GuardrailResult;
import dev.gatehouse.policies.pii.PiiFindings;
import dev.gatehouse.policies.pii.PiiPolicy;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs PII and guardrail entries, in the order given, over the texts of a model request or answer
 * ({@link ChatTexts}): each entry sees what the ones before it left. Replaces the texts in place,
 * notes what each entry did on the exchange, and returns the first entry's denial that blocks.
 */
final class TextPolicies {
  private TextPolicies() {}

  /** The PII entries over {@code texts}: null when every one let them pass (redacted or recorded), else the denial. */
  static Decision pii(List<CompiledPolicy> policies, List<String> texts, Exchange<?, ?> x, String place, String subject) {
    return pii(policies, texts, new ArrayList<>(), x, place, subject);
  }

  /**
   * The PII entries over {@code texts} and {@code arguments} (tool calls' arguments, {@link
   * CallArguments}, read as JSON: every string, number and member name), each entry's findings in
   * both noted together: null when every one let them pass, else the denial.
   */
  static Decision pii(List<CompiledPolicy> policies, List<String> texts, List<JsonNode> arguments, Exchange<?, ?> x, String place, String subject) {
    for (CompiledPolicy p : policies) {
      PiiPolicy pii = p.pii();
      PiiFindings found = PiiFindings.NONE;
      for (int i = 0; i < texts.size(); i++) {
        PiiPolicy.TextResult r = pii.check(texts.get(i));
        if (!r.decision().allowed()) {
          return PolicyNotes.piiBlocked(p.ref(), subject, r.findings());
        }
        found = found.plus(r.findings());
        texts.set(i, r.text());
      }
      for (int i = 0; i < arguments.size(); i++) {
        Arguments r = arguments(p, arguments.get(i), subject);
        if (r.denial() != null) {
          return r.denial();
        }
        found = found.plus(r.findings());
        arguments.set(i, r.tree());
      }
      Decision note = PolicyNotes.pii(p.ref(), pii.action(), found, place);
      if (note != null) {
        x.applied(note);
      }
    }
    return null;
  }

  /** What one entry made of one call's arguments: the tree to go on with (the same one when nothing was redacted) and what it found, or its denial. */
  record Arguments(JsonNode tree, PiiFindings findings, Decision denial) {}

  /**
   * PII entry {@code p} over one tool call's arguments ({@link CallArguments}) of {@code subject}
   * ("the model answer"): blocked, or not inspectable (nested past the redactor's depth), is a
   * denial; else the tree, redacted when the entry redacts and found something.
   */
  static Arguments arguments(CompiledPolicy p, JsonNode tree, String subject) {
    PiiPolicy.JsonResult r;
    try {
      r = p.pii().check(tree);
    } catch (IllegalArgumentException e) {
      return new Arguments(null, PiiFindings.NONE,
          PolicyNotes.uninspectable(p.ref(), DenialCodes.PII_DETECTED, subject + "'s tool call arguments", e.getMessage()));
    }
    if (!r.decision().allowed()) {
      return new Arguments(null, r.findings(), PolicyNotes.piiBlocked(p.ref(), subject, r.findings()));
    }
    boolean redacted = !r.findings().isEmpty() && p.pii().action() == PiiPolicy.Action.REDACT;
    return new Arguments(redacted ? r.tree() : tree, r.findings(), null);
  }

  /**
   * The guardrail entries' request inspection (deny patterns, {@code maxPromptChars}) over {@code
   * texts} and {@code arguments} (tool calls' arguments, {@link CallArguments}: every string and
   * member name), counted together: null when every one let them pass, else the denial.
   */
  static Decision guardrails(List<CompiledPolicy> policies, List<String> texts, List<JsonNode> arguments, Exchange<?, ?> x, String place) {
    for (CompiledPolicy p : policies) {
      GuardrailResult<GuardrailPolicy.RequestParts> r = p.guardrail().inspectRequest(texts, arguments);
      if (r.blocked()) {
        return PolicyNotes.guardrailBlocked(p.ref(), r);
      }
      if (r.outcome() == GuardrailResult.Outcome.REDACTED) {
        for (int i = 0; i < texts.size(); i++) {
          texts.set(i, r.value().texts().get(i));
        }
        for (int i = 0; i < arguments.size(); i++) {
          arguments.set(i, r.value().arguments().get(i));
        }
      }
      Decision note = PolicyNotes.guardrail(p.ref(), r, place);
      if (note != null) {
        x.applied(note);
      }
    }
    return null;
  }
}
