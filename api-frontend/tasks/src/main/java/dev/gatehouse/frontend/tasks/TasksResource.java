package dev.gatehouse.frontend.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.core.durable.DurableCalls;
import dev.gatehouse.frontend.core.durable.TraceView;
import dev.gatehouse.frontend.core.http.JsonBodies;
import dev.gatehouse.frontend.core.auth.Caller;
import dev.gatehouse.frontend.core.auth.CallerSecurityContext;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.Durations;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/** The durable task API: {@code /v1/tasks}. Thin: parsing and limits here, the rest in {@link TaskService}. */
@Path("/v1/tasks")
@Produces(MediaType.APPLICATION_JSON)
public class TasksResource {
  private static final Pattern TASK_ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");
  /** A stored result's id, as Gatehouse makes them: {@code res_} and 20 lower-case letters or digits. */
  private static final Pattern RESULT_ID = Pattern.compile("res_[a-z0-9]{20}");

  /** Said when a request's credential stopped authenticating it while it waited. */
  static final String STOPPED_BEING_VALID = "the credential stopped being valid while the request waited (revoked or expired, or its agent deleted)";

  private final TaskService tasks;
  private final JsonBodies bodies;
  private final Duration maxWait;

  public TasksResource(TaskService tasks, JsonBodies bodies, Duration maxWait) {
    this.tasks = tasks;
    this.bodies = bodies;
    this.maxWait = maxWait;
  }

  @POST
  @Consumes(MediaType.WILDCARD)
  public Response submit(
      @Context SecurityContext auth,
      @Context HttpHeaders headers,
      InputStream body) {
    String idempotencyKey = DurableCalls.idempotencyKey(headers.getRequestHeader("Idempotency-Key"));
    JsonNode json = bodies.read(body);
    DurableCalls.Started task = tasks.submit(agent(auth), json, idempotencyKey);
    return Response.status(task.created() ? 202 : 200)
        .location(URI.create("/v1/tasks/" + task.id()))
        .entity(Map.of("id", task.id(), "status", task.status().name()))
        .build();
  }

  @GET
  public TaskSummary.Page list(
      @Context SecurityContext auth,
      @QueryParam("status") String status,
      @QueryParam("limit") @DefaultValue("50") String limit,
      @QueryParam("cursor") String cursor) {
    int n;
    try {
      n = Integer.parseInt(limit);
    } catch (NumberFormatException e) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "limit must be a number between 1 and 200");
    }
    return tasks.list(agent(auth), status, n, cursor);
  }

  @GET
  @Path("/{id}")
  public TaskView get(
      @Context SecurityContext auth,
      @Context ContainerRequestContext request,
      @PathParam("id") String id,
      @QueryParam("wait") String wait) {
    Duration waiting = parseWait(wait);
    TaskView view = tasks.get(agent(auth), checkId(id), waiting);
    if (!waiting.isZero() && !CallerSecurityContext.stillValid(request)) {
      // Revoked (or expired, or its agent deleted) while the request waited: nothing is handed over.
      throw ApiException.unauthorized(STOPPED_BEING_VALID);
    }
    return view;
  }

  @GET
  @Path("/{id}/trace")
  public TraceView trace(@Context SecurityContext auth, @PathParam("id") String id) {
    return tasks.trace(agent(auth), checkId(id));
  }

  /** A tool result of the task stored outside its history (its trace step names it). */
  @GET
  @Path("/{id}/results/{resultId}")
  public TaskResultView result(
      @Context SecurityContext auth, @PathParam("id") String id, @PathParam("resultId") String resultId) {
    String task = checkId(id);
    if (!RESULT_ID.matcher(resultId).matches()) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "resultId must be a stored result's id: res_ and 20 lower-case letters or digits");
    }
    return tasks.result(agent(auth), task, resultId);
  }

  /** The task's live events, as Server-Sent Events; resumable with {@code Last-Event-ID}. */
  @GET
  @Path("/{id}/events")
  @Produces(MediaType.SERVER_SENT_EVENTS)
  public void events(
      @Suspended AsyncResponse async,
      @Context SecurityContext auth,
      @Context ContainerRequestContext request,
      @PathParam("id") String id,
      @HeaderParam("Last-Event-ID") String lastEventId) {
    // Suspended before the response is written: Jersey otherwise suspends a chunked output's
    // request only after attaching the output, and a stream that writes and closes in between
    // (a task already over) leaves a response that never ends (its issues 2964 and 5439).
    Response response;
    try {
      // (read now: the stream asks it later, from a thread of its own)
      Object validity = request.getProperty(CallerSecurityContext.VALIDITY);
      var stream =
          tasks.events(
              agent(auth), checkId(id), lastEventId,
              validity instanceof java.util.function.BooleanSupplier v ? v : () -> true);
      // After the task's last event nothing follows: 204, on which EventSource stops reconnecting.
      response =
          stream == null
              ? Response.noContent().build()
              : Response.ok(stream, MediaType.SERVER_SENT_EVENTS_TYPE)
                  .header("Cache-Control", "no-cache")
                  .header("X-Accel-Buffering", "no")
                  .build();
    } catch (RuntimeException e) {
      async.resume(e);
      return;
    }
    async.resume(response);
  }

  @POST
  @Path("/{id}/cancel")
  @Consumes(MediaType.WILDCARD)
  public Response cancel(@Context SecurityContext auth, @PathParam("id") String id) {
    return Response.accepted(tasks.cancel(agent(auth), checkId(id))).build();
  }

  private static Caller.AgentCaller agent(SecurityContext auth) {
    return (Caller.AgentCaller) auth.getUserPrincipal();
  }

  private static String checkId(String id) {
    if (!TASK_ID.matcher(id).matches()) {
      throw new ApiException(ErrorCode.TASK_NOT_FOUND, "no such task");
    }
    return id;
  }

  private Duration parseWait(String wait) {
    if (wait == null || wait.isBlank()) {
      return Duration.ZERO;
    }
    try {
      Duration d = Durations.parse(wait);
      return d.compareTo(maxWait) > 0 ? maxWait : d;
    } catch (IllegalArgumentException e) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "wait: " + e.getMessage());
    }
  }

}
