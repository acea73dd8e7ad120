package dev.gatehouse.policies.pii;

/**
 * A text that counts how many characters are read from it and stops the reader past a budget:
 * the regular-expression engine reads everything through {@link #charAt}, so this bounds the work
 * of one match attempt whatever the pattern and the input.
 */
final class Budgeted implements CharSequence {
  /** Thrown when the budget is spent; no stack trace, it is expected. */
  static final class Spent extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Spent() {
      super("budget spent", null, false, false);
    }
  }

  private static final Spent SPENT = new Spent();

  private final CharSequence text;
  private final int budget;
  private int reads;

  Budgeted(CharSequence text, int budget) {
    this.text = text;
    this.budget = budget;
  }

  /** Starts a new attempt with the whole budget. */
  void reset() {
    reads = 0;
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
