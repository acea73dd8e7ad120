package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import dev.gatehouse.frontend.core.auth.Caller.AdminCaller;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.frontend.core.http.TimeInputs;
import dev.gatehouse.registry.usage.UsageDao;
import dev.gatehouse.registry.usage.UsageQuery;
import dev.gatehouse.registry.usage.UsageReport;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.SecurityContext;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * {@code GET /admin/v1/usage}: what model calls used and cost, summed over a time range and per
 * UTC day, and {@code GET /admin/v1/usage/calls}: the calls themselves, newest first. A tenant
 * admin sees its own tenant's usage (naming another tenant is 404, as for anything outside it); a
 * platform admin everyone's, or one tenant's with {@code tenant}. Tenants and agents are not looked
 * up: usage outlives them, so a deleted agent's calls can still be summed. Read-only.
 */
@Path("/admin/v1/usage")
@Produces(MediaType.APPLICATION_JSON)
public class UsageResource {
  static final int DEFAULT_LIMIT = 100;

  private final UsageDao usage;
  private final Clock clock;

  public UsageResource(AdminContext ctx) {
    this(ctx, Clock.systemUTC());
  }

  /** {@code clock}: what "now" is for a range that gives no {@code until}. */
  public UsageResource(AdminContext ctx, Clock clock) {
    this.usage = ctx.jdbi.onDemand(UsageDao.class);
    this.clock = clock;
  }

  /** The range a report covers (the defaults filled in) and its sums. */
  public record Report(Instant since, Instant until, UsageReport.Totals totals, List<UsageReport.Day> days) {}

  @GET
  public Report report(
      @Context SecurityContext auth,
      @QueryParam("tenant") String tenant,
      @QueryParam("agent") String agent,
      @QueryParam("model") String model,
      @QueryParam("task") String task,
      @QueryParam("since") String since,
      @QueryParam("until") String until) {
    UsageQuery q = query(admin(auth), tenant, agent, model, task, since, until);
    UsageReport r = usage.report(q);
    return new Report(q.since(), q.until(), r.totals(), r.days());
  }

  /** The calls of the same query, newest first; {@code limit} 1 to 1000 (default 100). */
  @GET
  @Path("/calls")
  public Page<UsageDao.Row> calls(
      @Context SecurityContext auth,
      @QueryParam("tenant") String tenant,
      @QueryParam("agent") String agent,
      @QueryParam("model") String model,
      @QueryParam("task") String task,
      @QueryParam("since") String since,
      @QueryParam("until") String until,
      @QueryParam("limit") String limit,
      @QueryParam("cursor") String cursor) {
    UsageQuery q = query(admin(auth), tenant, agent, model, task, since, until);
    int n = limit(limit);
    Long before = AdminContext.decodeIdCursor("usage", cursor);
    // One row more than the page tells whether another page follows (limit() has bounded n).
    return Page.of("usage", usage.rows(q, before, n + 1), n, r -> Long.toString(r.id()), r -> r);
  }

  private UsageQuery query(
      AdminCaller admin, String tenant, String agent, String model, String task, String since, String until) {
    String requested = blank(tenant);
    if (requested != null && !AdminContext.visible(admin, requested)) {
      throw new ApiException(ErrorCode.TENANT_NOT_FOUND, "no tenant '" + requested + "'");
    }
    try {
      return UsageQuery.of(
          AdminContext.listScope(admin, requested), blank(agent), blank(model), blank(task), time(since, "since"),
          time(until, "until"), clock.instant());
    } catch (IllegalArgumentException e) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, e.getMessage());
    }
  }

  static int limit(String limit) {
    if (limit == null || limit.isBlank()) {
      return DEFAULT_LIMIT;
    }
    try {
      int n = Integer.parseInt(limit.trim());
      if (n >= 1 && n <= UsageDao.MAX_PAGE) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new ApiException(ErrorCode.INVALID_REQUEST, "limit must be a number between 1 and " + UsageDao.MAX_PAGE);
  }

  private static String blank(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  private static Instant time(String s, String field) {
    return s == null || s.isBlank() ? null : TimeInputs.parse(s, field);
  }
}
