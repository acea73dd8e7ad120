package dev.gatehouse.frontend.core.http;

import jakarta.servlet.http.HttpServletRequest;

/**
 * The address agents use to reach Gatehouse, for the URLs Gatehouse puts in its answers (the
 * protected-resource metadata's {@code resource}, {@code WWW-Authenticate}'s {@code
 * resource_metadata}): the configured public URL, or without one the address the request
 * arrived at on this server (its own IP and port, as in dev mode: {@code http://127.0.0.1:8080}).
 * Never the request's {@code Host} header: a client (or a DNS-rebinding page) chooses that, and
 * what an OAuth client is told the resource is must not be.
 */
public final class PublicUrl {
  private final String configured;

  /** {@code configured}: {@code https://gatehouse.example.com} (a trailing slash is dropped), or null/blank. */
  public PublicUrl(String configured) {
    String c = configured == null ? "" : configured.strip();
    while (c.endsWith("/")) {
      c = c.substring(0, c.length() - 1);
    }
    this.configured = c.isEmpty() ? null : c;
  }

  /** The base URL, without a trailing slash. */
  public String base(HttpServletRequest request) {
    if (configured != null) {
      return configured;
    }
    String address = request.getLocalAddr();
    if (address != null && address.indexOf(':') >= 0 && !address.startsWith("[")) {
      int zone = address.indexOf('%');
      address = "[" + (zone >= 0 ? address.substring(0, zone) : address) + "]";
    }
    return request.getScheme() + "://" + address + ":" + request.getLocalPort();
  }
}
