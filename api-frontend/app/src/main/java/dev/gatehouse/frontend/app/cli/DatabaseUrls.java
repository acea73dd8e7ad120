package dev.gatehouse.frontend.app.cli;

import java.util.regex.Pattern;

/**
 * What the commands print about a database URL, without its password. The pool and the driver
 * quote the URL, or the part they took for a host, in their messages ("returned null for
 * URL:postgres://u:PASSWORD@host/db", "UnknownHostException: u:PASSWORD@host"): a password in the
 * URL's userinfo and a {@code password=} parameter become {@code ***}.
 */
public final class DatabaseUrls {
  private DatabaseUrls() {}

  /** {@code user:password@} (after a scheme or not): the password runs to the last '@' of the authority. */
  private static final Pattern USERINFO = Pattern.compile("([^\\s/@:'\"=?&;]+):[^\\s/'\"]*@");
  /** {@code password=value} in a query string or a driver's properties, up to the next separator. */
  private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)(password=)[^&;\\s'\"]*");

  /** {@code text} with every password of a URL in it replaced by {@code ***}. */
  public static String redact(String text) {
    if (text == null) {
      return null;
    }
    return PASSWORD_PARAMETER.matcher(USERINFO.matcher(text).replaceAll("$1:***@")).replaceAll("$1***");
  }
}
