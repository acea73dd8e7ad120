package dev.gatehouse.policies.pii;

/**
 * Where a detector found something: its kind, the label of its mask and the span
 * {@code [start, end)} in the text that was scanned. It never holds the text itself, so a match
 * can be logged or counted without carrying the secret along.
 */
public record PiiMatch(PiiKind kind, String label, int start, int end) {

  public PiiMatch {
    if (start < 0 || end <= start) {
      throw new IllegalArgumentException("a match spans at least one character: [" + start + ", " + end + ")");
    }
  }

  /** What replaces the match when it is redacted: {@code [EMAIL]}, {@code [CARD]}, {@code [EMPLOYEE_ID]}. */
  public String mask() {
    return "[" + label + "]";
  }

  public int length() {
    return end - start;
  }

  PiiMatch shift(long by) {
    return new PiiMatch(kind, label, Math.toIntExact(start + by), Math.toIntExact(end + by));
  }
}
