package dev.gatehouse.frontend.core.http;

import jakarta.annotation.Priority;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.PathSegment;
import java.util.List;
import java.util.Map;

/**
 * Refuses, before any resource reads them, query and path parameters that hold text Gatehouse
 * does not accept ({@link TextChecks}: a NUL character, a lone surrogate): 400 {@code
 * invalid_request} naming the parameter, for every REST face at once (after authentication).
 */
@PreMatching
@Priority(Priorities.AUTHENTICATION + 1)
public class TextParametersFilter implements ContainerRequestFilter {
  @Override
  public void filter(ContainerRequestContext request) {
    for (PathSegment segment : request.getUriInfo().getPathSegments(true)) {
      TextChecks.require("the path", segment.getPath());
    }
    MultivaluedMap<String, String> query = request.getUriInfo().getQueryParameters(true);
    for (Map.Entry<String, List<String>> e : query.entrySet()) {
      TextChecks.require("a query parameter name", e.getKey());
      for (String value : e.getValue()) {
        TextChecks.require("query parameter '" + e.getKey() + "'", value);
      }
    }
  }
}
