package dev.gatehouse.frontend.core.errors;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.gatehouse.frontend.core.http.RequestIdFilter;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Maps every exception to the JSON error shape, with the code and status of its entry in the error
 * catalog ({@link ErrorCode}). Client mistakes keep their 4xx and a stable code; anything
 * unexpected is logged here and answered with a 500 that carries only the request id, never a
 * stack trace.
 */
public class ApiExceptionMapper implements ExceptionMapper<Throwable> {
  private static final Logger LOG = LoggerFactory.getLogger(ApiExceptionMapper.class);

  @Override
  public Response toResponse(Throwable e) {
    if (e instanceof ApiException api) {
      Response.ResponseBuilder r =
          Response.status(api.status())
              .type(MediaType.APPLICATION_JSON_TYPE)
              .entity(ErrorBody.of(api.code(), api.getMessage(), MDC.get(RequestIdFilter.MDC_KEY), api.details()));
      api.headers().forEach(r::header);
      return r.build();
    }
    if (e instanceof WebApplicationException web) {
      int status = web.getResponse().getStatus();
      if (status < 500) {
        String code = ErrorCode.ofHttpStatus(status).code();
        String message =
            status == 404
                ? "no such resource"
                : status == 405 ? "method not allowed on this resource" : "the request was rejected (" + status + ")";
        Response.ResponseBuilder r = respond(status, code, message);
        web.getResponse().getHeaders().forEach((k, v) -> {
          if (k.equalsIgnoreCase("Allow")) {
            v.forEach(x -> r.header(k, x));
          }
        });
        return r.build();
      }
    }
    if (e instanceof JsonProcessingException) {
      return respond(ErrorCode.INVALID_JSON, "the body is not valid JSON").build();
    }
    java.util.Optional<ApiException> unreadable = UnreadableBody.of(e);
    if (unreadable.isPresent()) {
      // The client's broken body, not Gatehouse's failure: one line at most, no stack trace.
      LOG.debug("request {} refused: {} ({})", MDC.get(RequestIdFilter.MDC_KEY), unreadable.get().error().code(), rootMessage(e));
      return respond(unreadable.get().error(), unreadable.get().getMessage()).build();
    }
    LOG.error("unexpected error serving request {}", MDC.get(RequestIdFilter.MDC_KEY), e);
    return respond(ErrorCode.INTERNAL_ERROR, "an unexpected error occurred; quote the requestId when reporting it").build();
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    for (int i = 0; i < 16 && t.getCause() != null && t.getCause() != t; i++) {
      t = t.getCause();
    }
    return t.getMessage();
  }

  private static Response.ResponseBuilder respond(ErrorCode error, String message) {
    return respond(error.httpStatus(), error.code(), message);
  }

  private static Response.ResponseBuilder respond(int status, String code, String message) {
    return Response.status(status)
        .type(MediaType.APPLICATION_JSON_TYPE)
        .entity(ErrorBody.of(code, message, MDC.get(RequestIdFilter.MDC_KEY)));
  }
}
