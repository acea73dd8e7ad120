package dev.gatehouse.activities.mcp;

/**
 * Matches a URI against an RFC 6570 template's shape: literal parts must appear in order, each
 * {@code {expression}} stands for any run of characters. Enough to route a resource read to the
 * server whose template it came from.
 */
final class UriTemplates {
  private UriTemplates() {}

  static boolean matches(String template, String uri) {
    int ti = 0;
    int ui = 0;
    while (ti < template.length()) {
      int open = template.indexOf('{', ti);
      String literal = open < 0 ? template.substring(ti) : template.substring(ti, open);
      if (!uri.startsWith(literal, ui)) {
        return false;
      }
      ui += literal.length();
      if (open < 0) {
        return ui == uri.length();
      }
      int close = template.indexOf('}', open);
      if (close < 0) {
        return false;
      }
      ti = close + 1;
      int nextOpen = template.indexOf('{', ti);
      String next = nextOpen < 0 ? template.substring(ti) : template.substring(ti, nextOpen);
      if (next.isEmpty()) {
        if (ti >= template.length()) {
          return ui < uri.length();
        }
        continue;
      }
      int at = uri.indexOf(next, ui + 1);
      if (at < 0) {
        return false;
      }
      ui = at;
    }
    return ui == uri.length();
  }
}
