package dev.gatehouse.policies.guardrails;

import java.util.ArrayList;
import java.util.List;

/**
 * Looks at one string and reports what it finds. Inspectors are immutable, safe to share between
 * threads, and do work linear in the part of the string they are given (each documents its
 * constants).
 */
public interface Inspector {
  /** The kind of the findings it reports. */
  FindingKind kind();

  /** Reports the findings in {@code text[0, limit)} (a finding never ends past {@code limit}). */
  void inspect(String text, int limit, FindingSink sink);

  /** Every finding in the whole of {@code text}, for callers outside a {@link GuardrailPolicy}. */
  default List<Finding> inspect(String text) {
    List<Finding> out = new ArrayList<>();
    inspect(text, text.length(), (kind, start, end, reason, excerpt) ->
        out.add(new Finding(kind, "", false, start, end, reason, Excerpts.sanitize(excerpt))));
    return out;
  }
}
