package dev.gatehouse.frontend.core.http;

import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import jakarta.annotation.Priority;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import java.util.Locale;

/**
 * Refuses a body in a {@code Content-Encoding} Gatehouse does not decode with 415 {@code
 * unsupported_encoding}, instead of reading compressed bytes as if they were JSON. Jetty's gzip
 * handler inflates a gzip body and removes the header, so what is left here is anything else
 * ({@code br}, {@code deflate}, a chain of codings) or {@code identity}.
 */
@PreMatching
@Priority(Priorities.AUTHENTICATION - 100)
public class ContentEncodingFilter implements ContainerRequestFilter {
  @Override
  public void filter(ContainerRequestContext request) {
    check(request.getHeaderString("Content-Encoding"));
  }

  /** Throws 415 {@code unsupported_encoding} unless {@code contentEncoding} is absent or identity. */
  public static void check(String contentEncoding) {
    if (contentEncoding == null || contentEncoding.isBlank()) {
      return;
    }
    for (String coding : contentEncoding.split(",")) {
      if (!coding.trim().toLowerCase(Locale.ROOT).equals("identity")) {
        throw new ApiException(
            ErrorCode.UNSUPPORTED_ENCODING, "this Content-Encoding is not supported; send the body as gzip or unencoded");
      }
    }
  }
}
