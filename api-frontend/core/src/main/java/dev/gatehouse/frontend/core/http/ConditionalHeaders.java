package dev.gatehouse.frontend.core.http;

import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.DynamicFeature;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.FeatureContext;
import jakarta.ws.rs.core.HttpHeaders;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Set;

/**
 * The conditional request headers of the REST endpoints (the task API, {@code /v1/usage}, the
 * admin API). Only a method that reads {@code If-Match} ({@code @HeaderParam("If-Match")}: one admin
 * record's PUT and DELETE) makes a write conditional; a write elsewhere that carries one is 400
 * {@code invalid_request}, as is a write carrying {@code If-None-Match} or {@code
 * If-Unmodified-Since}, which no endpoint evaluates: taken unconditionally, such a write would do
 * what its client asked not to be done (a {@code PUT} with {@code If-None-Match: *} meant to create
 * overwrote). Reads ignore them, as a server that does not evaluate a precondition of a read may.
 * Several {@code If-Match} lines are one list (RFC 9110 5.3), so the method reads them all, not the
 * first alone. Read off each method when Jersey builds it.
 */
public final class ConditionalHeaders implements DynamicFeature {
  static final String IF_MATCH = HttpHeaders.IF_MATCH;
  private static final List<String> NOT_EVALUATED = List.of(HttpHeaders.IF_NONE_MATCH, HttpHeaders.IF_UNMODIFIED_SINCE);
  private static final Set<String> READS = Set.of("GET", "HEAD", "OPTIONS");

  @Override
  public void configure(ResourceInfo resource, FeatureContext context) {
    Method method = resource.getResourceMethod();
    if (method != null) {
      context.register(new Check(readsIfMatch(method)), Priorities.AUTHENTICATION + 2);
    }
  }

  /**
   * Whether {@code method}, or a method it overrides, reads If-Match: an override without JAX-RS
   * annotations (a resource that adds to its base class's PUT) takes its parameters as the
   * overridden method declares them, and Jersey hands this feature the override.
   */
  static boolean readsIfMatch(Method method) {
    for (Class<?> c = method.getDeclaringClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      Method declared;
      try {
        declared = c.getDeclaredMethod(method.getName(), method.getParameterTypes());
      } catch (NoSuchMethodException e) {
        continue;
      }
      for (Annotation[] annotations : declared.getParameterAnnotations()) {
        for (Annotation a : annotations) {
          if (a instanceof HeaderParam h && h.value().equalsIgnoreCase(IF_MATCH)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** The check of one resource method's conditional headers (after authentication). */
  static final class Check implements ContainerRequestFilter {
    private final boolean readsIfMatch;

    Check(boolean readsIfMatch) {
      this.readsIfMatch = readsIfMatch;
    }

    @Override
    public void filter(ContainerRequestContext request) {
      List<String> ifMatch = request.getHeaders().get(IF_MATCH);
      if (!READS.contains(request.getMethod())) {
        for (String header : NOT_EVALUATED) {
          if (request.getHeaders().containsKey(header)) {
            throw new ApiException(
                ErrorCode.INVALID_REQUEST,
                header + " is not supported: a write is made conditional with If-Match and the ETag of the record"
                    + " (one admin record's PUT and DELETE)");
          }
        }
        if (ifMatch != null && !readsIfMatch) {
          throw new ApiException(
              ErrorCode.INVALID_REQUEST,
              "this endpoint does not take If-Match: only one admin record's PUT and DELETE are made conditional with it");
        }
      }
      if (ifMatch != null && ifMatch.size() > 1) {
        request.getHeaders().put(IF_MATCH, List.of(String.join(", ", ifMatch)));
      }
    }
  }
}
