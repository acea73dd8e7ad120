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
 * catalog ({@link ErrorCode}). Client mistakes keep their 4xx and a stable code; so does a
 * database refusal that only a request's value can cause (an integrity rule: 409 {@code conflict};
 * a value the database cannot hold: 400 {@code invalid_request}), as a net under the checks in
 * front of it. Anything unexpected is logged here and answered with a 500 that carries only the
 * request id, never a stack trace.
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
    if (e instanceof JsonProcessingException json && !writingAnswer(json)) {
      String limit = dev.gatehouse.frontend.core.http.JsonProblems.limitExceeded(json);
      return respond(ErrorCode.INVALID_JSON, limit != null ? "the body " + limit : "the body is not valid JSON").build();
    }
    java.util.Optional<ApiException> unreadable = UnreadableBody.of(e);
    if (unreadable.isPresent()) {
      // The client's broken body, not Gatehouse's failure: one line at most, no stack trace.
      LOG.debug("request {} refused: {} ({})", MDC.get(RequestIdFilter.MDC_KEY), unreadable.get().error().code(), rootMessage(e));
      return respond(unreadable.get().error(), unreadable.get().getMessage()).build();
    }
    java.sql.SQLException sql = sqlCause(e);
    if (unavailable(sql)) {
      // The database, not the request: 503 to retry, and one line at most every 10 s (an outage
      // fails every request; the health check says it too).
      long now = System.nanoTime();
      long last = lastUnavailableLog.get();
      if (now - last > java.util.concurrent.TimeUnit.SECONDS.toNanos(10) && lastUnavailableLog.compareAndSet(last, now)) {
        LOG.warn("the database cannot be used (request {}): {} {}", MDC.get(RequestIdFilter.MDC_KEY), sql.getSQLState(), rootMessage(e));
      }
      return respond(ErrorCode.DATABASE_UNAVAILABLE, "Gatehouse's database cannot be reached right now; retry later")
          .header("Retry-After", "5")
          .build();
    }
    if (sql != null && sql.getSQLState() != null) {
      String state = sql.getSQLState();
      if (state.startsWith("23")) {
        // An integrity rule of the database refused the change (a unique name, a reference): the
        // checks in front of it missed a case, but the client can act on it, and nothing changed.
        LOG.info("request {} refused by the database: {}", MDC.get(RequestIdFilter.MDC_KEY), state);
        return respond(ErrorCode.CONFLICT, conflictMessage(state, sql.getMessage())).build();
      }
      if (state.startsWith("22")) {
        // A value the database cannot hold (text it cannot store, a time or number out of its
        // range): the request's, since nothing else gives the database values.
        LOG.info("request {} carried a value the database cannot hold: {}", MDC.get(RequestIdFilter.MDC_KEY), state);
        return respond(ErrorCode.INVALID_REQUEST, "a value in the request is out of range or is not text that can be stored").build();
      }
    }
    LOG.error("unexpected error serving request {}", MDC.get(RequestIdFilter.MDC_KEY), e);
    return respond(ErrorCode.INTERNAL_ERROR, "an unexpected error occurred; quote the requestId when reporting it").build();
  }

  /**
   * Whether the failure is Gatehouse's own, writing its answer (a value it holds that JSON cannot
   * be written of), not the client's body: that is a 500, not the client's {@code invalid_json}.
   */
  static boolean writingAnswer(JsonProcessingException e) {
    java.util.Set<Throwable> seen = new java.util.HashSet<>();
    for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
      if (t instanceof com.fasterxml.jackson.core.JsonGenerationException
          || t instanceof com.fasterxml.jackson.databind.exc.InvalidDefinitionException
          || t instanceof JsonProcessingException p && p.getProcessor() instanceof com.fasterxml.jackson.core.JsonGenerator
          || t instanceof com.fasterxml.jackson.core.exc.StreamConstraintsException
              && t.getMessage() != null && t.getMessage().contains("StreamWriteConstraints")) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    for (int i = 0; i < 16 && t.getCause() != null && t.getCause() != t; i++) {
      t = t.getCause();
    }
    return t.getMessage();
  }

  private static final java.util.concurrent.atomic.AtomicLong lastUnavailableLog =
      new java.util.concurrent.atomic.AtomicLong(System.nanoTime() - java.util.concurrent.TimeUnit.MINUTES.toNanos(1));

  /**
   * Whether the database could not be used at all: no connection (SQLState class 08), a server
   * shutting down or starting (57P01-57P03), no such database (3D000), too many connections
   * (53300), or the pool's own refusal (no state: none free in time).
   */
  static boolean unavailable(java.sql.SQLException sql) {
    if (sql == null) {
      return false;
    }
    String state = sql.getSQLState();
    if (state == null) {
      return sql.getClass().getName().startsWith("org.apache.tomcat.jdbc.pool")
          || sql instanceof java.sql.SQLTransientConnectionException
          || sql instanceof java.sql.SQLNonTransientConnectionException;
    }
    return state.startsWith("08") || state.startsWith("57P") || state.equals("3D000") || state.equals("53300");
  }

  private static java.sql.SQLException sqlCause(Throwable e) {
    java.util.Set<Throwable> seen = new java.util.HashSet<>();
    for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
      if (t instanceof java.sql.SQLException s) {
        return s;
      }
    }
    return null;
  }

  /** PostgreSQL's "Key (tenant_id, name)=(...) already exists" names the columns; only those are repeated. */
  static String conflictMessage(String state, String databaseMessage) {
    java.util.regex.Matcher key =
        java.util.regex.Pattern.compile("Key \\(([a-z_, ]+)\\)=").matcher(databaseMessage == null ? "" : databaseMessage);
    String fields = key.find() ? " (" + key.group(1) + ")" : "";
    return switch (state) {
      case "23505" -> "the change conflicts with something that exists: a value that must be unique is taken" + fields;
      case "23503" -> "the change refers to something that does not exist, or removes something still in use" + fields;
      default -> "the change breaks an integrity rule of the registry" + fields;
    };
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
