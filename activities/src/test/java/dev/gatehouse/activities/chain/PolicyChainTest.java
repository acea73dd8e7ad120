package dev.gatehouse.activities.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.policies.Decision;
import dev.gatehouse.workflows.tool.Caller;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The runner: the order of the three moments, what a denial or a failure stops, and what always runs. */
class PolicyChainTest {
  private final List<String> seen = new CopyOnWriteArrayList<>();

  /** A step that notes each moment it runs, with what it then sees of the exchange. */
  private class Noting implements PolicyStep<Exchange<SampleCall, String>> {
    private final String name;
    private final Decision decision;

    Noting(String name) {
      this(name, PROCEED);
    }

    Noting(String name, Decision decision) {
      this.name = name;
      this.decision = decision;
    }

    String name() {
      return name;
    }

    @Override
    public Decision before(Exchange<SampleCall, String> x) {
      seen.add(name + ".before");
      return decision;
    }

    @Override
    public void after(Exchange<SampleCall, String> x) {
      seen.add(name + ".after");
    }

    @Override
    public void complete(Exchange<SampleCall, String> x) {
      seen.add(name + ".complete " + x.outcome() + (x.denial() == null ? "" : " denied by " + x.denial().policy()));
    }
  }

  private static Exchange<SampleCall, String> exchange() {
    return new Exchange<>(SampleCall.of("t.echo", new Caller("ten_a", "agt_a", List.of())));
  }

  private UpstreamCall<Exchange<SampleCall, String>, String> answering(String answer) {
    return x -> {
      seen.add("call " + x.request().target());
      return answer;
    };
  }

  @Test
  void beforeRunsInOrderThenTheCallThenAfterAndCompleteInReverse() {
    PolicyChain<Exchange<SampleCall, String>, String> chain =
        new PolicyChain<>(List.of(new Noting("a"), new Noting("b"), new Noting("c")), answering("hi"), SampleCall.FAILURES);

    assertThat(chain.run(exchange())).isEqualTo("hi");
    assertThat(seen)
        .containsExactly(
            "a.before", "b.before", "c.before", "call t.echo", "c.after", "b.after", "a.after",
            "c.complete ok", "b.complete ok", "a.complete ok");
  }

  @Test
  void aDenialStopsLaterStepsAndTheCallButEveryStepCompletesSeeingIt() {
    Decision no = Decision.deny("access", "tool_not_allowed", "not this one");
    PolicyChain<Exchange<SampleCall, String>, String> chain =
        new PolicyChain<>(List.of(new Noting("audit"), new Noting("authorize", no), new Noting("later")), answering("hi"), SampleCall.FAILURES);
    Exchange<SampleCall, String> x = exchange();

    assertThatThrownBy(() -> chain.run(x))
        .isInstanceOfSatisfying(SampleCall.Failure.class, e -> {
          assertThat(e.type).isEqualTo("tool_not_allowed");
          assertThat(e.getMessage()).isEqualTo("not this one");
        });
    assertThat(seen)
        .containsExactly(
            "audit.before", "authorize.before",
            "later.complete tool_not_allowed denied by access",
            "authorize.complete tool_not_allowed denied by access",
            "audit.complete tool_not_allowed denied by access");
    assertThat(x.denial()).isSameAs(no);
    assertThat(x.failure()).isInstanceOf(SampleCall.Failure.class);
    assertThat(x.response()).isNull();
  }

  @Test
  void aStepAfterTheCallMayDenyTheResponseWhichThenReachesNoOne() {
    Decision withheld = Decision.deny("pii-strict@3", "pii_detected", "the tool result is blocked");
    PolicyStep<Exchange<SampleCall, String>> guard =
        new PolicyStep<>() {
          @Override
          public void after(Exchange<SampleCall, String> x) {
            seen.add("guard.after " + x.response());
            x.deny(withheld);
          }
        };
    PolicyChain<Exchange<SampleCall, String>, String> chain =
        new PolicyChain<>(List.of(new Noting("audit"), guard, new Noting("inner")), answering("secret"), SampleCall.FAILURES);
    Exchange<SampleCall, String> x = exchange();

    assertThatThrownBy(() -> chain.run(x))
        .isInstanceOfSatisfying(SampleCall.Failure.class, e -> assertThat(e.type).isEqualTo("pii_detected"));
    assertThat(seen)
        .containsExactly(
            "audit.before", "inner.before", "call t.echo", "inner.after", "guard.after secret",
            "inner.complete pii_detected denied by pii-strict@3",
            "audit.complete pii_detected denied by pii-strict@3");
    assertThat(x.response()).isNull();
    assertThat(x.denial()).isSameAs(withheld);
  }

  @Test
  void anExceptionFromTheCallSkipsAfterAndIsSeenOnCompletionThenRethrown() {
    RuntimeException boom = new SampleCall.Failure("UpstreamError", "upstream down");
    PolicyChain<Exchange<SampleCall, String>, String> chain =
        new PolicyChain<>(List.of(new Noting("a"), new Noting("b")), x -> { throw boom; }, SampleCall.FAILURES);
    Exchange<SampleCall, String> x = exchange();

    assertThatThrownBy(() -> chain.run(x)).isSameAs(boom);
    assertThat(seen).containsExactly("a.before", "b.before", "b.complete UpstreamError", "a.complete UpstreamError");
    assertThat(x.failure()).isSameAs(boom);
    assertThat(x.denial()).isNull();
  }

  @Test
  void stepsMayReplaceWhatTheCallThrewInReverseOrderAndCompletionSeesTheReplacement() {
    RuntimeException boom = new SampleCall.Failure("UpstreamError", "upstream said: mail bob@example.com");
    class Rewording extends Noting {
      private final String from;
      private final String to;

      Rewording(String name, String from, String to) {
        super(name);
        this.from = from;
        this.to = to;
      }

      @Override
      public RuntimeException failed(Exchange<SampleCall, String> x, RuntimeException failure) {
        seen.add(name() + ".failed " + failure.getMessage());
        return new SampleCall.Failure(((SampleCall.Failure) failure).type, failure.getMessage().replace(from, to));
      }
    }
    PolicyChain<Exchange<SampleCall, String>, String> chain =
        new PolicyChain<>(
            List.of(new Rewording("a", "[mail]", "[hidden]"), new Rewording("b", "bob@example.com", "[mail]")),
            x -> { throw boom; },
            SampleCall.FAILURES);
    Exchange<SampleCall, String> x = exchange();

    assertThatThrownBy(() -> chain.run(x))
        .isInstanceOfSatisfying(SampleCall.Failure.class, e -> {
          assertThat(e.type).isEqualTo("UpstreamError");
          assertThat(e.getMessage()).isEqualTo("upstream said: mail [hidden]");
        });
    assertThat(seen)
        .containsExactly(
            "a.before", "b.before",
            "b.failed upstream said: mail bob@example.com", "a.failed upstream said: mail [mail]",
            "b.complete UpstreamError", "a.complete UpstreamError");
    assertThat(x.failure().getMessage()).isEqualTo("upstream said: mail [hidden]");
  }

  @Test
  void aDenialOrAStepsThrowIsNotOfferedToFailed() {
    List<String> offered = new CopyOnWriteArrayList<>();
    PolicyStep<Exchange<SampleCall, String>> watching =
        new PolicyStep<>() {
          @Override
          public RuntimeException failed(Exchange<SampleCall, String> x, RuntimeException failure) {
            offered.add(failure.getMessage());
            return failure;
          }
        };
    PolicyStep<Exchange<SampleCall, String>> throwingAfter =
        new PolicyStep<>() {
          @Override
          public void after(Exchange<SampleCall, String> x) {
            throw new IllegalStateException("step broke");
          }
        };
    Decision no = Decision.deny("access", "tool_not_allowed", "not this one");

    assertThatThrownBy(() -> new PolicyChain<>(List.of(watching, new Noting("deny", no)), answering("hi"), SampleCall.FAILURES).run(exchange()))
        .hasMessage("not this one");
    assertThatThrownBy(() -> new PolicyChain<>(List.of(watching, throwingAfter), answering("hi"), SampleCall.FAILURES).run(exchange()))
        .hasMessage("step broke");
    assertThat(offered).isEmpty();
  }

  @Test
  void aStepThatThrowsBeforeTheCallIsAFailureNotADenialAndAnUnknownExceptionIsAnInternalError() {
    PolicyStep<Exchange<SampleCall, String>> broken =
        new PolicyStep<>() {
          @Override
          public Decision before(Exchange<SampleCall, String> x) {
            throw new IllegalStateException("bug");
          }
        };
    PolicyChain<Exchange<SampleCall, String>, String> chain =
        new PolicyChain<>(List.of(new Noting("a"), broken, new Noting("c")), answering("hi"), SampleCall.FAILURES);
    Exchange<SampleCall, String> x = exchange();

    assertThatThrownBy(() -> chain.run(x)).isInstanceOf(IllegalStateException.class).hasMessage("bug");
    assertThat(seen).containsExactly("a.before", "c.complete InternalError", "a.complete InternalError");
    assertThat(x.denial()).isNull();
  }

  @Test
  void stepsBeforeMayReplaceTheRequestAndStepsAfterTheResponse() {
    PolicyStep<Exchange<SampleCall, String>> rename =
        new PolicyStep<>() {
          @Override
          public Decision before(Exchange<SampleCall, String> x) {
            SampleCall c = x.request();
            x.replaceRequest(new SampleCall("t.renamed", c.caller(), null, c.taskId(), c.attempt()));
            return PROCEED;
          }
        };
    PolicyStep<Exchange<SampleCall, String>> shout =
        new PolicyStep<>() {
          @Override
          public void after(Exchange<SampleCall, String> x) {
            x.replaceResponse(x.response().toUpperCase());
          }
        };
    PolicyChain<Exchange<SampleCall, String>, String> chain =
        new PolicyChain<>(List.of(shout, rename), answering("quiet"), SampleCall.FAILURES);

    assertThat(chain.run(exchange())).isEqualTo("QUIET");
    assertThat(seen).containsExactly("call t.renamed");
  }

  @Test
  void aCompletionThatThrowsDoesNotKeepTheOthersFromCompleting() {
    PolicyStep<Exchange<SampleCall, String>> brokenAudit =
        new PolicyStep<>() {
          @Override
          public void complete(Exchange<SampleCall, String> x) {
            throw new IllegalStateException("audit down");
          }
        };
    RuntimeException upstream = new SampleCall.Failure("UpstreamError", "down");
    PolicyChain<Exchange<SampleCall, String>, String> failing =
        new PolicyChain<>(List.of(new Noting("metrics"), brokenAudit), x -> { throw upstream; }, SampleCall.FAILURES);

    // The call's own failure reaches the caller, with the completion's as suppressed.
    assertThatThrownBy(() -> failing.run(exchange())).isSameAs(upstream);
    assertThat(upstream.getSuppressed()).extracting(Throwable::getMessage).containsExactly("audit down");
    assertThat(seen).containsExactly("metrics.before", "metrics.complete UpstreamError");

    // A call that succeeded but could not be recorded is not reported as a success.
    seen.clear();
    PolicyChain<Exchange<SampleCall, String>, String> succeeding =
        new PolicyChain<>(List.of(new Noting("metrics"), brokenAudit), answering("hi"), SampleCall.FAILURES);
    assertThatThrownBy(() -> succeeding.run(exchange())).hasMessage("audit down");
    assertThat(seen).contains("metrics.complete ok");
  }

  @Test
  void completionSeesTheTimeTheCallTook() {
    double[] seconds = new double[1];
    PolicyStep<Exchange<SampleCall, String>> timer =
        new PolicyStep<>() {
          @Override
          public void complete(Exchange<SampleCall, String> x) {
            seconds[0] = x.elapsedSeconds();
          }
        };
    PolicyChain<Exchange<SampleCall, String>, String> chain =
        new PolicyChain<>(
            List.of(timer),
            x -> {
              try {
                Thread.sleep(30);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return "late";
            },
            SampleCall.FAILURES);

    chain.run(exchange());
    assertThat(seconds[0]).isBetween(0.03, 5.0);
  }
}
