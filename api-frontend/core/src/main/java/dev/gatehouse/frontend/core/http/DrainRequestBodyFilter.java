package dev.gatehouse.frontend.core.http;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.container.ContainerResponseContext;

/**
 * Reads what is left of a request body when the answer is an error given before the body was read
 * (a 401 or 403, say). Otherwise Jetty may close the keep-alive connection after the answer, and
 * a client that sends its next request on it sees the connection drop. Bounded: a body larger
 * than the request limit is left to Jetty.
 */
public class DrainRequestBodyFilter implements ContainerResponseFilter {
  private final long maxBytes;

  public DrainRequestBodyFilter(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  @Override
  public void filter(ContainerRequestContext request, ContainerResponseContext response) {
    if (response.getStatus() < 400) {
      return;
    }
    try {
      if (request.hasEntity()) {
        BoundedBody.drainBefore(response.getStatus(), request.getEntityStream(), maxBytes);
      }
    } catch (RuntimeException e) {
      // The body was already consumed, or cannot be read (Jersey wraps that in a ProcessingException
      // when it peeks at the body): nothing to drain.
    }
  }
}
