package dev.gatehouse.frontend.core.http;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * DNS-rebinding protection for endpoints a browser could be tricked into calling: the {@code
 * Host} header must name an allowed host (with at most a numeric port), and an {@code Origin},
 * when sent, must be allowed or name an allowed host. {@code *} allows any.
 */
public final class HostGuard {
  private final List<String> allowedHosts;
  private final List<String> allowedOrigins;

  public HostGuard(List<String> allowedHosts, List<String> allowedOrigins) {
    this.allowedHosts = allowedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
    this.allowedOrigins = allowedOrigins.stream().map(o -> o.toLowerCase(Locale.ROOT)).toList();
  }

  public boolean hostAllowed(String host) {
    if (host == null) {
      return false;
    }
    String name = host.toLowerCase(Locale.ROOT);
    String port = "";
    if (name.startsWith("[")) {
      int end = name.indexOf(']');
      if (end < 0) {
        return false;
      }
      port = name.substring(end + 1);
      name = name.substring(0, end + 1);
    } else if (name.indexOf(':') >= 0) {
      port = name.substring(name.indexOf(':'));
      name = name.substring(0, name.indexOf(':'));
    }
    // Only an optional numeric port may follow the name: the Host also goes into answers
    // (WWW-Authenticate), so nothing else may ride along.
    if (!port.isEmpty() && !numericPort(port)) {
      return false;
    }
    return allowedHosts.contains("*") || allowedHosts.contains(name);
  }

  /** True for an absent Origin too: only browsers send one, and only they can be rebound. */
  public boolean originAllowed(String origin) {
    if (origin == null) {
      return true;
    }
    String o = origin.toLowerCase(Locale.ROOT);
    if (allowedOrigins.contains("*") || allowedOrigins.contains(o)) {
      return true;
    }
    try {
      URI uri = URI.create(o);
      return uri.getHost() != null && hostAllowed(uri.getRawAuthority());
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** ":" followed by 1 to 5 digits. */
  private static boolean numericPort(String port) {
    if (port.length() < 2 || port.length() > 6 || port.charAt(0) != ':') {
      return false;
    }
    for (int i = 1; i < port.length(); i++) {
      char c = port.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }
}
