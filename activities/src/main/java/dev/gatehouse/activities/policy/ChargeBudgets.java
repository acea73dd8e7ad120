package dev.gatehouse.activities.policy;

import dev.gatehouse.activities.chain.Exchange;
import dev.gatehouse.activities.chain.GovernedCall;
import dev.gatehouse.activities.chain.PolicyStep;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.DenialCodes;
import dev.gatehouse.policies.data.CallKind;
import dev.gatehouse.policies.data.CompiledPolicy;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.budgets.BudgetDao;
import dev.gatehouse.registry.policies.PolicyDefinition;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * The budget policies of a call (entries of kind {@code budget} that govern it, see {@link
 * PolicyCatalog}): before the call, reserves its worst case in each ({@link Pricing#worstCase}:
 * tokens for a token limit, cost for a cost limit) and denies it with {@code budget_exceeded},
 * nothing sent, when one has not enough left; on completion, whatever happened, settles every
 * reservation it made to what the call used ({@link Pricing#used}: for a model call the numbers of
 * its usage row). A call no budget policy governs costs no database round trip; nor does a budget
 * the call cannot spend anything of (a token budget over a tool call). Budgets count {@code per}
 * agent (the default) or tenant, over a UTC {@code day}, {@code month} (the default) or for ever
 * ({@code fixed}); see {@link BudgetLedger} and {@link BudgetDao}.
 *
 * @param <E> the exchanges of the kind of call
 */
public final class ChargeBudgets<E extends Exchange<? extends GovernedCall, ?>> implements PolicyStep<E> {
  static final String MONTH = BudgetDao.MONTH;
  static final String PER_AGENT = "agent";
  static final String PER_TENANT = "tenant";

  /** How a kind of call is counted against budgets. */
  public interface Pricing<E> {
    /** The most the call can spend, as it stands before it is sent. */
    Worst worstCase(E exchange);

    /** What the call spent, once it completed (denied, failed, abandoned or whole). */
    Used used(E exchange);
  }

  /**
   * A call's worst case: {@code tokens}, and {@code cost} (null when it cannot be priced, {@code
   * unpriced} saying why); {@code detail} how the tokens were counted, for a refusal's message.
   */
  public record Worst(long tokens, BigDecimal cost, String detail, String unpriced) {}

  /** What a call spent. */
  public record Used(long tokens, BigDecimal cost) {}

  /** A reservation this step made for a call, to settle. */
  private record Hold(String id) {}

  private final PolicyCatalog policies;
  private final BudgetLedger ledger;
  private final CallKind kind;
  private final Pricing<? super E> pricing;

  public ChargeBudgets(PolicyCatalog policies, BudgetLedger ledger, CallKind kind, Pricing<? super E> pricing) {
    this.policies = policies;
    this.ledger = ledger;
    this.kind = kind;
    this.pricing = pricing;
  }

  @Override
  public Decision before(E x) {
    Agent agent = x.agent();
    if (agent == null) {
      return PROCEED;
    }
    List<CompiledPolicy> budgets =
        policies.forTenant(agent.tenantId()).governing(PolicyDefinition.BUDGET, agent.name(), kind, x.request().target());
    if (budgets.isEmpty()) {
      return PROCEED;
    }
    Worst worst = pricing.worstCase(x);
    List<Hold> holds = new ArrayList<>(budgets.size());
    x.hold(this, holds);
    for (CompiledPolicy p : budgets) {
      PolicyDefinition.Budget b = p.definition().budget();
      if (b == null) {
        continue;
      }
      // A worst case below 0 is one that overflowed: unbounded, so it cannot fit, not free.
      long tokens = b.tokens() == null ? 0 : worst.tokens() < 0 ? Long.MAX_VALUE : worst.tokens();
      BigDecimal cost = BigDecimal.ZERO;
      if (b.cost() != null) {
        if (worst.cost() == null) {
          return Decision.deny(
              p.ref(), DenialCodes.BUDGET_EXCEEDED,
              "budget " + p.ref() + " limits cost and " + worst.unpriced() + ", so the call is refused rather than left uncounted");
        }
        cost = worst.cost().max(BigDecimal.ZERO);
      }
      if (tokens == 0 && cost.signum() == 0) {
        continue; // the call cannot spend anything this budget counts
      }
      String period = b.period() == null ? MONTH : b.period();
      boolean perTenant = PER_TENANT.equals(b.per());
      String subject = perTenant ? PER_TENANT + ":" + agent.tenantId() : PER_AGENT + ":" + agent.id();
      // An ask over the limit cannot fit whatever the budget holds: it is asked as the limit plus one,
      // so the ledger's sums stay far from bigint's end (a saturated worst case is Long.MAX_VALUE).
      long ask = b.tokens() != null && tokens > b.tokens() && b.tokens() < Long.MAX_VALUE ? b.tokens() + 1 : tokens;
      BudgetLedger.Reservation r = ledger.reserve(p.name(), subject, period, agent.tenantId(), b.tokens(), b.cost(), ask, cost);
      if (!r.admitted()) {
        return Decision.deny(p.ref(), DenialCodes.BUDGET_EXCEEDED, refusal(p, b, perTenant, period, r.found(), tokens, cost, worst));
      }
      holds.add(new Hold(r.id()));
      x.applied(Decision.record(p.ref(), "reserved " + amount(b, tokens, cost)));
    }
    return PROCEED;
  }

  @Override
  public void complete(E x) {
    List<Hold> holds = x.held(this);
    if (holds == null || holds.isEmpty()) {
      return;
    }
    Used used = pricing.used(x);
    for (Hold h : holds) {
      ledger.settle(h.id(), Math.max(0, used.tokens()), used.cost() == null ? BigDecimal.ZERO : used.cost());
    }
  }

  private static String amount(PolicyDefinition.Budget b, long tokens, BigDecimal cost) {
    if (b.tokens() != null && b.cost() != null) {
      return tokens + " tokens, cost " + cost.toPlainString();
    }
    return b.tokens() != null ? tokens + " tokens" : "cost " + cost.toPlainString();
  }

  /** What a refusal says: the budget, its period, and for each limit what is spent, reserved and asked. */
  static String refusal(
      CompiledPolicy p, PolicyDefinition.Budget b, boolean perTenant, String period, BudgetDao.Reserved found, long tokens,
      BigDecimal cost, Worst worst) {
    StringBuilder why = new StringBuilder("budget ").append(p.ref()).append(" (per ").append(perTenant ? PER_TENANT : PER_AGENT);
    switch (period) {
      case BudgetDao.DAY -> why.append(", this UTC day");
      case BudgetDao.MONTH -> why.append(", this UTC month");
      default -> why.append(", fixed");
    }
    why.append(") has not enough left for this call:");
    if (b.tokens() != null) {
      why.append(" limit ").append(b.tokens()).append(" tokens, ").append(found.spentTokens()).append(" spent, ")
          .append(found.reservedTokens()).append(" reserved by calls in flight, and this call may use up to ").append(tokens);
      if (worst.detail() != null) {
        why.append(" (").append(worst.detail()).append(')');
      }
      why.append(b.cost() != null ? ";" : "");
    }
    if (b.cost() != null) {
      why.append(" cost limit ").append(b.cost().toPlainString()).append(", ").append(plain(found.spentCost())).append(" spent, ")
          .append(plain(found.reservedCost())).append(" reserved by calls in flight, and this call may cost up to ")
          .append(cost.toPlainString());
    }
    Instant resets = resets(period, found.periodStart());
    why.append(resets == null ? "; a fixed budget does not reset" : "; it resets at " + resets);
    return why.toString();
  }

  private static String plain(BigDecimal d) {
    return d == null ? "0" : d.stripTrailingZeros().toPlainString();
  }

  /** When the period that began at {@code start} ends; null for a fixed budget. */
  static Instant resets(String period, Instant start) {
    if (start == null) {
      return null;
    }
    return switch (period) {
      case BudgetDao.DAY -> start.plusSeconds(86_400);
      case BudgetDao.MONTH -> start.atOffset(ZoneOffset.UTC).plusMonths(1).toInstant();
      default -> null;
    };
  }
}
