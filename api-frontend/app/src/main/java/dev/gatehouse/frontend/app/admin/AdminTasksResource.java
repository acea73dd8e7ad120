package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import dev.gatehouse.frontend.core.auth.Caller.AdminCaller;
import dev.gatehouse.frontend.core.durable.DurableCalls;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.tasks.TaskIndexDao;
import dev.gatehouse.registry.tasks.TaskRecord;
import io.temporal.client.WorkflowNotFoundException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code POST /admin/v1/tasks/{id}/cancel}: an operator cancels a task, as its agent may. Admin
 * keys of the task's tenant, or of the platform, may; any other sees no such task (404). The task
 * ends {@code CANCELED} as after the agent's cancel; the request is audited as {@code task.cancel}
 * with the admin key as the actor. Without it a task whose agent (or keys) was gone could be ended
 * by nobody before its deadline.
 */
@Path("/admin/v1/tasks/{id}/cancel")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class AdminTasksResource {
  private static final Pattern TASK_ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");

  private final AdminContext ctx;
  private final DurableCalls durable;

  public AdminTasksResource(AdminContext ctx, DurableCalls durable) {
    this.ctx = ctx;
    this.durable = durable;
  }

  @POST
  public Response cancel(@Context SecurityContext auth, @PathParam("id") String id) {
    AdminCaller admin = admin(auth);
    TaskRecord task =
        (TASK_ID.matcher(id).matches() ? ctx.jdbi.onDemand(TaskIndexDao.class).find(id) : java.util.Optional.<TaskRecord>empty())
            .filter(t -> AdminContext.visible(admin, t.tenantId()))
            .orElseThrow(() -> new ApiException(ErrorCode.TASK_NOT_FOUND, "no task '" + id + "'"));
    if (task.status().isClosed() || durable.settledAsOverdue(task) || !cancel(ctx, durable, admin, task, "an operator cancelled it")) {
      throw new ApiException(ErrorCode.TASK_CLOSED, "the task has already ended");
    }
    return Response.accepted(Map.of("id", task.id(), "status", "RUNNING", "cancelRequested", true)).build();
  }

  /** Asks the engine to cancel {@code task} and audits it; false when the engine has already closed it. */
  static boolean cancel(AdminContext ctx, DurableCalls durable, AdminCaller admin, TaskRecord task, String why) {
    try {
      durable.cancel(task.id());
    } catch (WorkflowNotFoundException e) {
      return false;
    }
    ctx.auditTask(admin, task.tenantId(), task.id(), "task.cancel", "task:" + task.id(), "allow", "ok", why);
    return true;
  }
}
