package dev.gatehouse.policies.text;

/**
 * A text that counts how many characters are read from it and stops the reader past a budget:
 * the regular-expression engine reads everything through {@link #charAt}, so this bounds the work
 * of one match attempt (or, without {@link #reset}, of every attempt on the text) whatever the
 * pattern and the input. The PII detectors' custom patterns and the guardrails' deny patterns both
 * run through it.
 */
public final class BudgetedText implements CharSequence {
  /** Thrown when the budget is spent; no stack trace, it is expected. */
  public static final class Spent extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Spent() {
      super("budget spent", null, false, false);
    }
  }

  private static final Spent SPENT = new Spent();

  private final CharSequence text;
  private final long budget;
  private long reads;

  public BudgetedText(CharSequence text, long budget) {
    this.text = text;
    this.budget = budget;
  }

  /** Starts a new attempt with the whole budget. */
  public void reset() {
    reads = 0;
  }

  /** The characters read since the last {@link #reset} (or since this text was made). */
  public long reads() {
    return reads;
  }

  @Override
  public char charAt(int index) {
    if (++reads > budget) {
      throw SPENT;
    }
    return text.charAt(index);
  }

  @Override
  public int length() {
    return text.length();
  }

  @Override
  public CharSequence subSequence(int start, int end) {
    return text.subSequence(start, end);
  }

  @Override
  public String toString() {
    return text.toString();
  }
}
