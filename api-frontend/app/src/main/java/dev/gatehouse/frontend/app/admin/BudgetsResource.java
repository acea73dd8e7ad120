package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.gatehouse.frontend.core.auth.Caller.AdminCaller;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.budgets.BudgetDao;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.SecurityContext;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * {@code GET /admin/v1/budgets}: the budgets of budget policies in their current period, one per
 * policy and subject (an agent, or a tenant) that made a call this period, with the policy's
 * limits as they are now, what calls in flight reserved, what settled calls spent, and what
 * remains. A tenant admin sees its own tenant's (those of global policies included; naming another
 * tenant is 404, as for anything outside it); a platform admin everyone's, or one tenant's with
 * {@code tenant}. {@code policy} narrows to one policy; {@code limit} (1 to 200, default 50) and
 * {@code cursor} page through them by policy name and subject. Read-only.
 */
@Path("/admin/v1/budgets")
@Produces(MediaType.APPLICATION_JSON)
public class BudgetsResource {
  private final BudgetDao budgets;

  public BudgetsResource(AdminContext ctx) {
    this.budgets = ctx.jdbi.onDemand(BudgetDao.class);
  }

  /** Tokens and cost; either is left out where the policy has no such limit. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Amount(Long tokens, BigDecimal cost) {}

  /**
   * One budget: {@code policy} as {@code name@version}, {@code name}, the {@code subject} ({@code
   * agent:<id>} or {@code tenant:<id>}) and its kind {@code per}, its {@code tenant}, the {@code
   * period} ({@code day}, {@code month}, {@code fixed}) from {@code periodStart} (UTC) until
   * {@code resetsAt} (absent for a fixed budget), and the amounts.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Budget(
      String policy,
      String name,
      String subject,
      String per,
      String tenant,
      String period,
      Instant periodStart,
      Instant resetsAt,
      Amount limit,
      Amount reserved,
      Amount spent,
      Amount remaining,
      Instant updatedAt) {}

  @GET
  public Page<Budget> list(
      @Context SecurityContext auth,
      @QueryParam("tenant") String tenant,
      @QueryParam("policy") String policy,
      @QueryParam("limit") String limit,
      @QueryParam("cursor") String cursor) {
    AdminCaller admin = admin(auth);
    String requested = blank(tenant);
    if (requested != null && !AdminContext.visible(admin, requested)) {
      throw new ApiException(ErrorCode.TENANT_NOT_FOUND, "no tenant '" + requested + "'");
    }
    String scope = AdminContext.listScope(admin, requested);
    String onePolicy = blank(policy);
    return Page.fetch(
        "budgets",
        limit,
        cursor,
        (after, n) -> {
          String afterPolicy = null;
          String afterSubject = null;
          if (after != null) {
            int space = after.indexOf(' ');
            if (space < 0) {
              throw AdminContext.badCursor();
            }
            afterPolicy = after.substring(0, space);
            afterSubject = after.substring(space + 1);
          }
          return budgets.current(scope, onePolicy, afterPolicy, afterSubject, n);
        },
        // Policy names have no spaces (registry names), so the first one ends the name.
        b -> b.policy() + " " + b.subject(),
        BudgetsResource::view);
  }

  static Budget view(BudgetDao.Current c) {
    boolean tokens = c.limitTokens() != null;
    boolean cost = c.limitCost() != null;
    int colon = c.subject().indexOf(':');
    Instant resets =
        switch (c.period()) {
          case BudgetDao.DAY -> c.periodStart().plusSeconds(86_400);
          case BudgetDao.MONTH -> c.periodStart().atOffset(ZoneOffset.UTC).plusMonths(1).toInstant();
          default -> null;
        };
    return new Budget(
        c.policy() + "@" + c.version(),
        c.policy(),
        c.subject(),
        colon < 0 ? null : c.subject().substring(0, colon),
        c.tenantId(),
        c.period(),
        c.periodStart(),
        resets,
        new Amount(c.limitTokens(), plain(c.limitCost())),
        new Amount(tokens ? c.reservedTokens() : null, cost ? plain(c.reservedCost()) : null),
        // What was spent is shown in both units whatever the limits: it is what the calls' usage rows add up to.
        new Amount(c.spentTokens(), plain(c.spentCost())),
        new Amount(c.remainingTokens(), plain(c.remainingCost())),
        c.updatedAt());
  }

  /** An exact decimal without trailing zeros or an exponent (JSON numbers such as 0.25 and 10). */
  static BigDecimal plain(BigDecimal d) {
    if (d == null) {
      return null;
    }
    BigDecimal s = d.stripTrailingZeros();
    return s.scale() < 0 ? s.setScale(0) : s;
  }

  private static String blank(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
