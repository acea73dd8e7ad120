package dev.gatehouse.frontend.app.admin;

import dev.gatehouse.activities.http.Egress;
import dev.gatehouse.frontend.core.auth.Caller.AdminCaller;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import java.net.URI;
import java.util.Locale;

/**
 * Where a tenant admin may point what Gatehouse calls (a tool's URL, an MCP server's, a
 * provider's, a token or JWKS URL): not at Gatehouse's own host or the machine it runs on. A URL
 * whose host is, or resolves now to, a loopback, link-local (cloud metadata), unspecified or
 * multicast address is refused with 403 {@code forbidden}: from there a tenant reached the
 * unauthenticated operations port (metrics of every tenant, log levels), the embedded database
 * and the cloud's metadata service. Private networks stay open, as internal services are what a
 * gateway is for. Platform admins are not limited.
 *
 * <p>A host or port taken from the call's arguments ({@code http://{host}/}) is refused too: the
 * agent would choose where the call goes. The check is made when the URL is written; a name whose
 * address changes afterwards is caught when Gatehouse connects: the record a tenant admin wrote is
 * stored egress-guarded ({@link TenantScopedCrud.Store#guarded}), and each upstream client refuses
 * an internal address for it ({@link Egress}, the same predicate).
 */
final class EgressGuard {
  private EgressGuard() {}

  /** 403 when {@code admin} is a tenant admin and {@code url} (the body's {@code field}) points at this host. */
  static void check(AdminCaller admin, String field, String url) {
    if (admin.isPlatform() || url == null) {
      return;
    }
    // The host is read from the scheme and authority alone: a tool's path and query may hold
    // {argument} templates, which no URI parser takes, and the check must not give up on them.
    String u = url.trim();
    int scheme = u.indexOf("://");
    if (scheme < 0) {
      return; // not a URL: the kind's own check says so
    }
    int end = scheme + 3;
    while (end < u.length() && "/?#".indexOf(u.charAt(end)) < 0) {
      end++;
    }
    String authority = u.substring(scheme + 3, end);
    if (authority.indexOf('{') >= 0 || authority.indexOf('}') >= 0) {
      // Filled from the agent's arguments at call time: the agent would choose the host.
      throw new ApiException(
          ErrorCode.FORBIDDEN,
          field + " takes its host or port from the call's arguments; only a platform admin may set such a URL");
    }
    String host;
    try {
      host = URI.create(u.substring(0, scheme) + "://" + authority + "/").getHost();
    } catch (IllegalArgumentException e) {
      host = null;
    }
    if (host == null || host.isEmpty()) {
      // Nothing a check could judge, so nothing a tenant admin may set.
      throw new ApiException(ErrorCode.FORBIDDEN, field + " has no host that can be read; only a platform admin may set such a URL");
    }
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    while (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1); // a fully qualified name's root: the same host
    }
    // A name not resolvable now is not judged here (the check at connect time still is).
    if (h.isEmpty() || h.equals("localhost") || h.endsWith(".localhost") || Egress.resolvesInternal(h)) {
      throw refused(field);
    }
  }

  private static ApiException refused(String field) {
    return new ApiException(
        ErrorCode.FORBIDDEN,
        field + " points at this host (loopback, link-local or unspecified address); only a platform admin may set such a URL");
  }
}
