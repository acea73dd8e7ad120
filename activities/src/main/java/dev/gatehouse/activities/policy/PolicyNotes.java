package dev.gatehouse.activities.policy;

import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.DenialCodes;
import dev.gatehouse.policies.guardrails.FindingKind;
import dev.gatehouse.policies.guardrails.GuardrailAction;
import dev.gatehouse.policies.guardrails.GuardrailResult;
import dev.gatehouse.policies.pii.PiiFindings;
import dev.gatehouse.policies.pii.PiiPolicy;
import java.util.Map;

/**
 * What a PII or guardrail entry says about a call it governed, for the audit row and the trace
 * ({@code pii-mask@2 redacted EMAIL×2 in tool-results}, {@code guard@1 redacted EXFIL_LINK×1,
 * flagged PROMPT_INJECTION×1 in tool-results}), and the denial of one that blocks: kinds and
 * counts, never the text that matched.
 */
final class PolicyNotes {
  private PolicyNotes() {}

  /** The note of a PII entry that redacted or recorded {@code found} at {@code place}; null when nothing was found. */
  static Decision pii(String ref, PiiPolicy.Action action, PiiFindings found, String place) {
    if (found.isEmpty()) {
      return null;
    }
    boolean redacted = action != PiiPolicy.Action.RECORD;
    StringBuilder sb = new StringBuilder(redacted ? "redacted " : "recorded ");
    boolean first = true;
    for (Map.Entry<String, Integer> e : found.counts().entrySet()) {
      sb.append(first ? "" : ", ").append(e.getKey()).append('×').append(e.getValue());
      first = false;
    }
    sb.append(" in ").append(place);
    return redacted ? Decision.transform(ref, sb.toString()) : Decision.record(ref, sb.toString());
  }

  /** The note of a guardrail entry that redacted or flagged what it found; null when it found nothing. */
  static Decision guardrail(String ref, GuardrailResult<?> result, String place) {
    if (result.counts().isEmpty()) {
      return null;
    }
    StringBuilder sb = new StringBuilder();
    boolean first = true;
    boolean redacted = false;
    for (GuardrailAction action : new GuardrailAction[] {GuardrailAction.REDACT, GuardrailAction.FLAG}) {
      for (FindingKind kind : FindingKind.values()) {
        Integer n = result.counts().get(kind);
        if (n != null && result.actions().get(kind) == action) {
          redacted |= action == GuardrailAction.REDACT;
          sb.append(first ? "" : ", ")
              .append(action == GuardrailAction.REDACT ? "redacted " : "flagged ")
              .append(kind.name())
              .append('×')
              .append(n);
          first = false;
        }
      }
    }
    sb.append(" in ").append(place);
    return redacted ? Decision.transform(ref, sb.toString()) : Decision.record(ref, sb.toString());
  }

  /** The denial of a PII entry that blocks: {@code subject} (e.g. {@code the tool result}) held {@code found}. */
  static Decision piiBlocked(String ref, String subject, PiiFindings found) {
    return Decision.deny(
        ref, DenialCodes.PII_DETECTED, subject + " is blocked by " + ref + ": personal data or credentials found (" + found + ")");
  }

  /**
   * The note of an entry that would have blocked what a failed call said (its error message), which
   * was withheld instead: the failure stands, without the upstream's words.
   */
  static Decision withheld(Decision denial, String place) {
    return Decision.transform(denial.policy(), "withheld an error message in " + place + " (" + denial.reason() + ")");
  }

  /**
   * What a failed call says in place of an error message an entry withheld: {@code its error
   * message is withheld: it is blocked by pii-strict@2: personal data or credentials found (1
   * EMAIL)}. The denial's own subject (a guardrail's names the tool result) is left out.
   */
  static String withheldMessage(Decision denial) {
    String reason = denial.reason() == null ? "" : denial.reason();
    int at = reason.indexOf(" is blocked by ");
    return "its error message is withheld: it" + (at < 0 ? " is blocked by " + denial.policy() : reason.substring(at));
  }

  /** The denial of a guardrail entry that blocks, naming the entry instead of the library's {@code guardrails}. */
  static Decision guardrailBlocked(String ref, GuardrailResult<?> result) {
    String reason = result.decision().reason();
    String generic = " is blocked by guardrails";
    int at = reason == null ? -1 : reason.indexOf(generic);
    String named =
        at < 0
            ? (reason == null ? "blocked" : reason) + " (" + ref + ")"
            : reason.substring(0, at) + " is blocked by " + ref + reason.substring(at + generic.length());
    return Decision.deny(ref, DenialCodes.GUARDRAIL_BLOCKED, named);
  }

  /**
   * The denial of an entry that could not inspect what it governs (a JSON tree past the depth the
   * inspectors read): it fails closed, with its own code.
   */
  static Decision uninspectable(String ref, String code, String subject, String why) {
    return Decision.deny(ref, code, subject + " could not be inspected by " + ref + " (" + why + "), so it is blocked");
  }
}
