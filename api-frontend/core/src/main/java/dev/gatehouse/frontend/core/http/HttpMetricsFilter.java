package dev.gatehouse.frontend.core.http;

import dev.gatehouse.activities.metrics.GatehouseMetrics;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import java.util.List;
import org.glassfish.jersey.server.ExtendedUriInfo;
import org.glassfish.jersey.uri.UriTemplate;

/** Counts requests by route template (never the raw path, so ids do not explode the labels). */
public class HttpMetricsFilter implements ContainerResponseFilter {
  private final GatehouseMetrics metrics;

  public HttpMetricsFilter(GatehouseMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void filter(ContainerRequestContext request, ContainerResponseContext response) {
    metrics.httpRequest(route(request), request.getMethod(), response.getStatus());
  }

  private static String route(ContainerRequestContext request) {
    if (!(request.getUriInfo() instanceof ExtendedUriInfo info)) {
      return "unmatched";
    }
    List<UriTemplate> templates = info.getMatchedTemplates();
    if (templates == null || templates.isEmpty()) {
      return "unmatched";
    }
    StringBuilder sb = new StringBuilder();
    for (int i = templates.size() - 1; i >= 0; i--) {
      String t = templates.get(i).getTemplate();
      if (!t.startsWith("/") && sb.length() > 0 && sb.charAt(sb.length() - 1) != '/') {
        sb.append('/');
      }
      sb.append(t);
    }
    return sb.toString();
  }
}
