package dev.gatehouse.frontend.core.http;

import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.DynamicFeature;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.FeatureContext;
import jakarta.ws.rs.core.MultivaluedMap;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every REST endpoint (the task API, {@code /v1/usage}, the admin API) reads only the query
 * parameters its resource method declares with {@code @QueryParam}, each once. A parameter it does
 * not read, or one given twice, is 400 {@code invalid_request} naming it and what the endpoint
 * takes, before the method runs: a misspelt filter ({@code ?agent_id=} for {@code ?agent=}) would
 * otherwise list everything, and of {@code ?limit=5&limit=500} the endpoint would read one without
 * saying which. The names are read off each method when Jersey builds it, so nothing is looked up
 * per request. The model and MCP faces are servlets speaking other vendors' protocols, whose
 * clients may add parameters of their own; this does not reach them.
 */
public final class QueryParameters implements DynamicFeature {
  /** A name longer than this is cut short where an error message repeats it. */
  private static final int NAME_SHOWN = 64;

  @Override
  public void configure(ResourceInfo resource, FeatureContext context) {
    Method method = resource.getResourceMethod();
    if (method != null) {
      context.register(new Check(declared(method)), Priorities.AUTHENTICATION + 2);
    }
  }

  /** The names of {@code method}'s {@code @QueryParam} parameters, in their order. */
  static Set<String> declared(Method method) {
    Set<String> names = new LinkedHashSet<>();
    for (Annotation[] annotations : method.getParameterAnnotations()) {
      for (Annotation a : annotations) {
        if (a instanceof QueryParam q) {
          names.add(q.value());
        }
      }
    }
    return names;
  }

  /** The check of one resource method's query (after authentication and the text check). */
  static final class Check implements ContainerRequestFilter {
    private final Set<String> names;

    Check(Set<String> names) {
      this.names = names;
    }

    @Override
    public void filter(ContainerRequestContext request) {
      MultivaluedMap<String, String> query = request.getUriInfo().getQueryParameters(true);
      for (Map.Entry<String, List<String>> e : query.entrySet()) {
        String name = e.getKey();
        if (!names.contains(name)) {
          throw new ApiException(
              ErrorCode.INVALID_REQUEST,
              "unknown query parameter '" + shown(name) + "': this endpoint takes "
                  + (names.isEmpty() ? "none" : String.join(", ", names)));
        }
        if (e.getValue().size() > 1) {
          throw new ApiException(
              ErrorCode.INVALID_REQUEST,
              "query parameter '" + name + "' is given " + e.getValue().size() + " times: give it once");
        }
      }
    }

    private static String shown(String name) {
      return name.length() <= NAME_SHOWN ? name : name.substring(0, NAME_SHOWN) + "...";
    }
  }
}
