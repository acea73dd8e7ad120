package dev.gatehouse.policies.data;

/** The kinds of governed call a policy entry can apply to. */
public enum CallKind {
  TOOL,
  MODEL
}
