package dev.gatehouse.policies.pii;

import dev.gatehouse.policies.text.JsonEscapes;

import java.util.List;

/**
 * Replaces what a {@link PiiScanner} finds with typed masks: {@code [EMAIL]}, {@code [PHONE]},
 * {@code [CARD]}, {@code [IBAN]}, {@code [SSN]}, {@code [IP]}, {@code [CREDENTIAL]}, and
 * {@code [NAME]} for a custom pattern called {@code name}. Everything else is left as it was.
 */
public final class Redactor {
  /** Redacted text and what was found in it (counts only). */
  public record Redaction(String text, PiiFindings findings) {}

  private final PiiScanner scanner;

  public Redactor(PiiScanner scanner) {
    this.scanner = scanner;
  }

  /**
   * {@code text} redacted. A text holding JSON escapes is read with them decoded ({@link
   * JsonEscapes}), and when something is found there it comes back decoded and redacted.
   */
  public Redaction redact(String text) {
    String read = JsonEscapes.unescaped(text);
    List<PiiMatch> matches = scanner.scan(read);
    return new Redaction(matches.isEmpty() ? text : apply(read, matches), PiiFindings.of(matches));
  }

  /** {@code text} with each of {@code matches} (in order, not overlapping) replaced by its mask. */
  public static String apply(CharSequence text, List<PiiMatch> matches) {
    StringBuilder out = new StringBuilder(text.length());
    int at = 0;
    for (PiiMatch m : matches) {
      out.append(text, at, m.start()).append(m.mask());
      at = m.end();
    }
    return out.append(text, at, text.length()).toString();
  }
}
