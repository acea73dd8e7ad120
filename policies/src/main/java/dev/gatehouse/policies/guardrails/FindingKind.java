package dev.gatehouse.policies.guardrails;

import java.util.Locale;

/**
 * What a guardrail found. Each kind has the text that {@link GuardrailAction#REDACT} puts in place
 * of what was found, and a {@link #code()} in snake case for traces and metrics.
 */
public enum FindingKind {
  /** Text that tries to give a model new instructions ("ignore all previous instructions", chat-template tokens). */
  PROMPT_INJECTION("[SUSPECTED INJECTION REMOVED]"),
  /** Invisible characters that carry text or reorder it: Unicode tags, bidi controls, zero-width characters inside words. */
  HIDDEN_UNICODE(""),
  /** A link or image to a host that is not allowed, whose URL carries data (the markdown-image exfiltration). */
  EXFIL_LINK("[LINK REMOVED]"),
  /** Text past the configured number of characters (also: JSON nested past the depth inspected). */
  SIZE("[TRUNCATED]"),
  /** A match of one of the operator's deny patterns. */
  DENY_PATTERN("[REDACTED]");

  private final String replacement;

  FindingKind(String replacement) {
    this.replacement = replacement;
  }

  /** What redaction puts in place of a finding of this kind (empty: the characters are removed). */
  public String replacement() {
    return replacement;
  }

  /** The kind in snake case ({@code prompt_injection}), as traces and metrics name it. */
  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }
}
