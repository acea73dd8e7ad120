package dev.gatehouse.registry.agents;

import java.util.regex.Pattern;

/** Checks allow/deny patterns wherever they come from (admin API, registry file). */
public final class AccessLists {
  private static final Pattern PATTERN = Pattern.compile("[A-Za-z0-9._*:/-]{1,128}");
  /** The most patterns one allow or deny list holds (each call is checked against them). */
  public static final int MAX_PATTERNS = 1_000;

  private AccessLists() {}

  /** The list, or {@link AccessList#NONE} for null; throws {@link IllegalArgumentException} naming the field. */
  public static AccessList check(AccessList list, String field) {
    if (list == null) {
      return AccessList.NONE;
    }
    checkPatterns(list.allow(), field + ".allow");
    checkPatterns(list.deny(), field + ".deny");
    return list;
  }

  /**
   * Checks a list of name patterns (an allow or deny list, a virtual server's tools): at most
   * {@link #MAX_PATTERNS}, each 1-128 of the pattern characters; throws {@link
   * IllegalArgumentException} naming the field.
   */
  public static void checkPatterns(java.util.List<String> patterns, String field) {
    if (patterns.size() > MAX_PATTERNS) {
      throw new IllegalArgumentException("'" + field + "' holds more than " + MAX_PATTERNS + " patterns");
    }
    for (String p : patterns) {
      pattern(p, field);
    }
  }

  private static void pattern(String p, String field) {
    if (p == null || !PATTERN.matcher(p).matches()) {
      throw new IllegalArgumentException("'" + field + "' holds a pattern that is not 1-128 letters, digits or . _ * : / -");
    }
  }
}
