package dev.gatehouse.policies.pii;

/**
 * What a detector looks for. Each built-in kind has the label its mask is made of ({@code [EMAIL]},
 * {@code [SSN]}, ...); a {@link #CUSTOM} match carries the name of its pattern instead.
 */
public enum PiiKind {
  EMAIL("EMAIL"),
  PHONE("PHONE"),
  /** A payment card number: 13 to 19 digits of a known network's range that pass the Luhn check. */
  CARD("CARD"),
  /** An IBAN of a known country, of that country's length, whose ISO 7064 mod-97 check holds. */
  IBAN("IBAN"),
  /** A US social security number, written with separators, within the SSA's rules. */
  US_SSN("SSN"),
  /** An IPv4 or IPv6 address. */
  IP("IP"),
  /** A secret by its shape: API keys, AWS access keys, GitHub tokens, JWTs, private-key blocks. */
  CREDENTIAL("CREDENTIAL"),
  /** A pattern of the registry's, by name. */
  CUSTOM(null);

  private final String label;

  PiiKind(String label) {
    this.label = label;
  }

  /** The word in this kind's mask ({@code EMAIL} for {@code [EMAIL]}); null for {@link #CUSTOM}. */
  public String label() {
    return label;
  }

  /** The built-in kind whose label is {@code label}, or null. */
  static PiiKind ofLabel(String label) {
    for (PiiKind k : values()) {
      if (k.label != null && k.label.equals(label)) {
        return k;
      }
    }
    return null;
  }
}
