package dev.gatehouse.activities.chain;

import dev.gatehouse.policies.Decision;
import java.util.List;

/**
 * Runs a governed call through its steps: every step's {@code before} in order, the call, every
 * step's {@code after} in reverse (until one {@link Exchange#deny denies} the response) or, when
 * the call threw, every step's {@code failed} in reverse (each may replace the failure), and,
 * whatever happened, every step's {@code complete} in reverse (see {@link PolicyStep}). A denial,
 * before the call or after it, is thrown as the exception {@link CallFailures} makes of it; that
 * mapping is done here and nowhere else. Assembled once per kind of call and shared by
 * all threads; running it allocates nothing beyond what its steps do.
 *
 * @param <E> the exchange of the kind of call
 * @param <R> what the call returns
 */
public final class PolicyChain<E extends Exchange<?, R>, R> {
  private final PolicyStep<? super E>[] steps;
  private final UpstreamCall<? super E, ? extends R> call;
  private final CallFailures failures;

  @SuppressWarnings("unchecked")
  public PolicyChain(
      List<? extends PolicyStep<? super E>> steps, UpstreamCall<? super E, ? extends R> call, CallFailures failures) {
    this.steps = steps.toArray(PolicyStep[]::new);
    this.call = call;
    this.failures = failures;
  }

  /**
   * The call's response as the steps after it left it; or throws: the denial's exception, or
   * whatever a step or the call threw. Every step's {@code complete} has run when this returns or
   * throws.
   */
  public R run(E exchange) {
    long start = System.nanoTime();
    try {
      for (PolicyStep<? super E> step : steps) {
        Decision decision = step.before(exchange);
        if (!decision.allowed()) {
          exchange.denied(decision);
          throw failures.denied(decision, exchange);
        }
      }
      R response;
      try {
        response = call.call(exchange);
      } catch (RuntimeException e) {
        throw failedCall(exchange, e);
      }
      exchange.replaceResponse(response);
      for (int i = steps.length - 1; i >= 0; i--) {
        steps[i].after(exchange);
        if (exchange.denial() != null) {
          throw failures.denied(exchange.denial());
        }
      }
      return exchange.response();
    } catch (RuntimeException | Error e) {
      exchange.failed(e, failures.typeOf(e));
      throw e;
    } finally {
      exchange.elapsed(System.nanoTime() - start);
      complete(exchange);
    }
  }

  private RuntimeException failedCall(E exchange, RuntimeException failure) {
    for (int i = steps.length - 1; i >= 0; i--) {
      RuntimeException replaced = steps[i].failed(exchange, failure);
      if (replaced != null) {
        failure = replaced;
      }
    }
    return failure;
  }

  private void complete(E exchange) {
    RuntimeException first = null;
    for (int i = steps.length - 1; i >= 0; i--) {
      try {
        steps[i].complete(exchange);
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      // A failed call's own exception is what the caller must see; a completion failure rides along.
      if (exchange.failure() != null) {
        exchange.failure().addSuppressed(first);
      } else {
        throw first;
      }
    }
  }
}
