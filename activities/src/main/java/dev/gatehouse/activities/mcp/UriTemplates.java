package dev.gatehouse.activities.mcp;

/**
 * Matches a URI against an RFC 6570 template's shape: literal parts must appear in order; an
 * {@code {expression}} stands for a run of characters, which holds no {@code /}, {@code ?} or
 * {@code #} unless its operator is one whose expansion may ({@code {+var}}, {@code {#var}},
 * {@code {/var}}), as a simple expansion percent-encodes them. Enough to route a resource read to
 * the server whose template it came from; {@link #traverses} says which URIs no template may take.
 */
public final class UriTemplates {
  private UriTemplates() {}

  /**
   * Whether {@code uri} is one a resource permission cannot be checked on as written: a {@code .}
   * or {@code ..} path segment (also percent-encoded, or behind an encoded slash or a backslash,
   * which a server's URL parser or file lookup may resolve), or a control character (a URL parser
   * drops tabs and line breaks, which joins what is around them). {@code file:///public/../secret}
   * matched the template {@code file:///public/{name}}, which an agent was allowed, and read what
   * the agent was denied.
   */
  public static boolean traverses(String uri) {
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return true;
      }
    }
    int end = uri.length();
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c == '?' || c == '#') {
        end = i;
        break;
      }
    }
    String path = uri.substring(0, end);
    StringBuilder decoded = new StringBuilder(path.length());
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '%' && i + 2 < path.length()) {
        String hex = path.substring(i + 1, i + 3).toLowerCase(java.util.Locale.ROOT);
        char plain = switch (hex) {
          case "2e" -> '.';
          case "2f" -> '/';
          case "5c" -> '\\';
          case "25" -> '%'; // an encoded percent sign: read again, as a server that decodes twice would
          default -> 0;
        };
        if (plain != 0) {
          decoded.append(plain);
          i += 2;
          continue;
        }
      }
      decoded.append(c);
    }
    String once = decoded.toString();
    if (!once.equals(path) && once.contains("%")) {
      return traverses(once);
    }
    for (String segment : once.split("[/\\\\]", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        return true;
      }
    }
    return false;
  }

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
      boolean spansSegments = close > open + 1 && "+#/".indexOf(template.charAt(open + 1)) >= 0;
      ti = close + 1;
      int nextOpen = template.indexOf('{', ti);
      String next = nextOpen < 0 ? template.substring(ti) : template.substring(ti, nextOpen);
      if (next.isEmpty()) {
        if (ti >= template.length()) {
          return ui < uri.length() && (spansSegments || plain(uri, ui, uri.length()));
        }
        continue;
      }
      int at = uri.indexOf(next, ui + 1);
      if (at < 0 || !(spansSegments || plain(uri, ui, at))) {
        return false;
      }
      ui = at;
    }
    return ui == uri.length();
  }

  /** Whether {@code uri[from, to)} holds no {@code /}, {@code ?} or {@code #}: what a simple expansion can be. */
  private static boolean plain(String uri, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = uri.charAt(i);
      if (c == '/' || c == '?' || c == '#') {
        return false;
      }
    }
    return true;
  }
}
