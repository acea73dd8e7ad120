package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import dev.gatehouse.frontend.core.auth.Caller.AdminCaller;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.frontend.core.http.TimeInputs;
import dev.gatehouse.registry.audit.AuditDao;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.SecurityContext;
import java.time.OffsetDateTime;
import java.util.List;

/** {@code GET /admin/v1/audit}: the audit log, newest first, filtered; read-only (there is no other verb). */
@Path("/admin/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
public class AuditResource {
  private final AuditDao audit;

  public AuditResource(AdminContext ctx) {
    this.audit = ctx.jdbi.onDemand(AuditDao.class);
  }

  @GET
  public Page<AuditDao.Row> list(
      @Context SecurityContext auth,
      @QueryParam("tenant") String tenant,
      @QueryParam("agent") String agent,
      @QueryParam("kind") String kind,
      @QueryParam("outcome") String outcome,
      @QueryParam("since") String since,
      @QueryParam("until") String until,
      @QueryParam("limit") String limit,
      @QueryParam("cursor") String cursor) {
    AdminCaller admin = admin(auth);
    int n = AdminContext.limit(limit);
    Long before = AdminContext.decodeIdCursor("audit", cursor);
    OffsetDateTime from = time(since, "since");
    OffsetDateTime to = time(until, "until");
    if (from != null && to != null && !from.isBefore(to)) {
      // As the usage listing says it: an empty page would read as "nothing happened then".
      throw new ApiException(ErrorCode.INVALID_REQUEST, "'since' must be before 'until'");
    }
    List<AuditDao.Row> rows =
        audit.page(AdminContext.listScope(admin, tenant), blank(agent), blank(kind), blank(outcome), from, to, before, n + 1);
    return Page.of("audit", rows, n, r -> Long.toString(r.id()), r -> r);
  }

  private static String blank(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  private static OffsetDateTime time(String s, String field) {
    if (s == null || s.isBlank()) {
      return null;
    }
    return OffsetDateTime.ofInstant(TimeInputs.parse(s, field), java.time.ZoneOffset.UTC);
  }
}
