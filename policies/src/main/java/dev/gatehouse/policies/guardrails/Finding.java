package dev.gatehouse.policies.guardrails;

/**
 * One thing a guardrail found, small enough for a trace: never the content itself.
 *
 * @param kind what was found
 * @param path where, as a JSON Pointer to the string ({@code ""} for a plain string, or the whole
 *     value), sanitized and at most {@value Excerpts#MAX_PATH} characters
 * @param inKey the string is an object member's name, not a value
 * @param start the first UTF-16 index of the finding in that string
 * @param end the index just past it ({@code [start, end)})
 * @param reason a short, fixed description
 * @param excerpt null, or at most {@value Excerpts#MAX_EXCERPT} printable ASCII characters that
 *     name what was found (a link's host, a matched phrase as normalized, a code point)
 */
public record Finding(FindingKind kind, String path, boolean inKey, int start, int end, String reason, String excerpt) {
  public Finding {
    if (kind == null || path == null || reason == null) {
      throw new IllegalArgumentException("a finding needs a kind, a path and a reason");
    }
    if (start < 0 || end < start) {
      throw new IllegalArgumentException("a finding's span must be [start, end) with 0 <= start <= end");
    }
    if (!Excerpts.isPrintable(path, Excerpts.MAX_PATH)) {
      throw new IllegalArgumentException("a finding's path must be at most " + Excerpts.MAX_PATH + " printable ASCII characters");
    }
    if (excerpt != null && !Excerpts.isPrintable(excerpt, Excerpts.MAX_EXCERPT)) {
      throw new IllegalArgumentException("an excerpt must be at most " + Excerpts.MAX_EXCERPT + " printable ASCII characters");
    }
  }
}
