package dev.gatehouse.policies.guardrails;

/** Where an {@link Inspector} reports what it finds in one string. */
@FunctionalInterface
public interface FindingSink {
  /**
   * @param kind what was found
   * @param start first UTF-16 index of the finding
   * @param end the index just past it
   * @param reason a short, fixed description (no content)
   * @param excerpt null, or a short name of what was found; it is passed through
   *     {@link Excerpts#sanitize} before it is kept
   */
  void report(FindingKind kind, int start, int end, String reason, String excerpt);
}
