package dev.gatehouse.frontend.models;

import dev.gatehouse.frontend.core.auth.Caller;
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
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/**
 * {@code GET /v1/usage}: the calling agent's own model usage, summed over a time range and per UTC
 * day, and {@code GET /v1/usage/calls}: its calls, newest first. Filters {@code model}, {@code
 * task}, {@code since}, {@code until} as on {@code GET /admin/v1/usage}; the agent and its tenant
 * are always the caller's.
 */
@Path("/v1/usage")
@Produces(MediaType.APPLICATION_JSON)
public class AgentUsageResource {
  static final int DEFAULT_LIMIT = 100;

  private final UsageDao usage;
  private final Clock clock;

  public AgentUsageResource(Jdbi jdbi) {
    this(jdbi, Clock.systemUTC());
  }

  /** {@code clock}: what "now" is for a range that gives no {@code until}. */
  public AgentUsageResource(Jdbi jdbi, Clock clock) {
    this.usage = jdbi.onDemand(UsageDao.class);
    this.clock = clock;
  }

  /** The range a report covers (the defaults filled in) and its sums. */
  public record Report(Instant since, Instant until, UsageReport.Totals totals, List<UsageReport.Day> days) {}

  /** One page of calls; {@code nextCursor} fetches the next, or is null on the last. */
  public record Calls(List<UsageDao.Row> items, String nextCursor) {}

  @GET
  public Report report(
      @Context SecurityContext auth,
      @QueryParam("model") String model,
      @QueryParam("task") String task,
      @QueryParam("since") String since,
      @QueryParam("until") String until,
      @QueryParam("tenant") String tenant,
      @QueryParam("agent") String agent) {
    ownOnly(tenant, agent);
    UsageQuery q = query(agent(auth), model, task, since, until);
    UsageReport r = usage.report(q);
    return new Report(q.since(), q.until(), r.totals(), r.days());
  }

  /** The calls of the same query, newest first; {@code limit} 1 to 1000 (default 100). */
  @GET
  @Path("/calls")
  public Calls calls(
      @Context SecurityContext auth,
      @QueryParam("model") String model,
      @QueryParam("task") String task,
      @QueryParam("since") String since,
      @QueryParam("until") String until,
      @QueryParam("limit") String limit,
      @QueryParam("cursor") String cursor,
      @QueryParam("tenant") String tenant,
      @QueryParam("agent") String agent) {
    ownOnly(tenant, agent);
    UsageQuery q = query(agent(auth), model, task, since, until);
    int n = limit(limit);
    // One row more than the page tells whether another page follows.
    List<UsageDao.Row> rows = usage.rows(q, before(cursor), n + 1);
    if (rows.size() <= n) {
      return new Calls(rows, null);
    }
    List<UsageDao.Row> page = rows.subList(0, n);
    String next = Base64.getUrlEncoder().withoutPadding()
        .encodeToString(Long.toString(page.get(n - 1).id()).getBytes(StandardCharsets.UTF_8));
    return new Calls(List.copyOf(page), next);
  }

  /**
   * An agent reads its own usage only: the admin API's {@code tenant} and {@code agent} filters are
   * refused here rather than ignored, so a client does not take its own usage for another's.
   */
  private static void ownOnly(String tenant, String agent) {
    if (tenant != null || agent != null) {
      throw new ApiException(
          ErrorCode.INVALID_REQUEST,
          "an agent reads its own usage only: '" + (tenant != null ? "tenant" : "agent") + "' is a filter of GET /admin/v1/usage, not of this endpoint");
    }
  }

  private static Caller.AgentCaller agent(SecurityContext auth) {
    return (Caller.AgentCaller) auth.getUserPrincipal();
  }

  private UsageQuery query(Caller.AgentCaller caller, String model, String task, String since, String until) {
    try {
      return UsageQuery.of(
          caller.agent().tenantId(), caller.agent().id(), blank(model), blank(task), time(since, "since"),
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

  /** The id a cursor this API gave out names; 400 for anything else. */
  private static Long before(String cursor) {
    if (cursor == null || cursor.isBlank()) {
      return null;
    }
    try {
      String id = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      if (!id.matches("[0-9]{1,19}")) {
        throw new IllegalArgumentException("not an id");
      }
      return Long.parseLong(id);
    } catch (IllegalArgumentException e) { // NumberFormatException included
      throw new ApiException(ErrorCode.INVALID_REQUEST, "cursor is not one this API gave out");
    }
  }

  private static String blank(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  private static Instant time(String s, String field) {
    return s == null || s.isBlank() ? null : TimeInputs.parse(s, field);
  }
}
