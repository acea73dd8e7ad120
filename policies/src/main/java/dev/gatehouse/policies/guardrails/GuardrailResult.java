package dev.gatehouse.policies.guardrails;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.policies.Decision;
import java.util.List;
import java.util.Map;

/**
 * What a {@link GuardrailPolicy} made of a value.
 *
 * @param decision allow, or deny with code {@code guardrail_blocked} when a finding's kind has the
 *     action BLOCK
 * @param outcome the strongest action taken
 * @param value the value to pass on: the input itself when nothing was redacted, a redacted copy
 *     (for JSON: unchanged subtrees shared with the input), or null when blocked
 * @param findings the first {@link GuardrailConfig#maxReportedFindings()} findings, in the order
 *     found (by string, then by inspector)
 * @param counts how many findings of each kind there were, listed or not
 * @param actions the configured action of each kind in {@code counts}
 * @param omittedFindings how many findings are counted but not listed
 */
public record GuardrailResult<T>(
    Decision decision,
    Outcome outcome,
    T value,
    List<Finding> findings,
    Map<FindingKind, Integer> counts,
    Map<FindingKind, GuardrailAction> actions,
    int omittedFindings) {

  /** The strongest action taken on a value. */
  public enum Outcome {
    /** Nothing found. */
    CLEAN,
    /** Findings only of kinds that FLAG: the value passes unchanged. */
    FLAGGED,
    /** At least one finding redacted, none blocked: the value passes redacted. */
    REDACTED,
    /** At least one finding of a kind that BLOCKs: the value does not pass. */
    BLOCKED
  }

  public GuardrailResult {
    findings = List.copyOf(findings);
    counts = Map.copyOf(counts);
    actions = Map.copyOf(actions);
  }

  public boolean blocked() {
    return outcome == Outcome.BLOCKED;
  }

  /**
   * A small JSON record for a trace step: policy, outcome, counts and actions by kind, the listed
   * findings (kind, path, span, reason, excerpt; {@code "key": true} for a member name) and how many
   * were left out. It holds no content beyond the sanitized excerpts and paths.
   */
  public ObjectNode toTrace() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode o = f.objectNode();
    o.put("policy", decision.policy());
    o.put("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT));
    if (!decision.allowed()) {
      o.put("code", decision.code());
    }
    ObjectNode c = o.putObject("counts");
    ObjectNode a = o.putObject("actions");
    for (FindingKind k : FindingKind.values()) {
      Integer n = counts.get(k);
      if (n != null) {
        c.put(k.code(), n);
        a.put(k.code(), actions.get(k).name().toLowerCase(java.util.Locale.ROOT));
      }
    }
    ArrayNode list = o.putArray("findings");
    for (Finding fd : findings) {
      ObjectNode e = list.addObject();
      e.put("kind", fd.kind().code());
      e.put("path", fd.path());
      if (fd.inKey()) {
        e.put("key", true);
      }
      e.put("start", fd.start());
      e.put("end", fd.end());
      e.put("reason", fd.reason());
      if (fd.excerpt() != null) {
        e.put("excerpt", fd.excerpt());
      }
    }
    o.put("omittedFindings", omittedFindings);
    return o;
  }
}
