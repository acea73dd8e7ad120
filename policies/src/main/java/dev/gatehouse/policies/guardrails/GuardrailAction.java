package dev.gatehouse.policies.guardrails;

/** What a guardrail does with a finding of a kind; the strongest action among the findings wins. */
public enum GuardrailAction {
  /** Pass the value on unchanged; the finding is only recorded. */
  FLAG,
  /** Pass the value on with what was found replaced by the kind's {@link FindingKind#replacement()}. */
  REDACT,
  /** Refuse the value: a denial {@code Decision} with code {@code guardrail_blocked}. */
  BLOCK
}
