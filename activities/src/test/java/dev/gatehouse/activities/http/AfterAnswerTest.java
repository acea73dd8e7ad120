package dev.gatehouse.activities.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Work left until after the answer: run when its scope closes, in order, on the scope's thread only. */
class AfterAnswerTest {
  @Test
  void outsideAScopeNothingIsDeferred() {
    List<String> done = new ArrayList<>();
    assertThat(AfterAnswer.defer(() -> done.add("x"))).isFalse();
    assertThat(done).isEmpty();
  }

  @Test
  void deferredWorkRunsWhenItsScopeClosesInOrderEvenAfterAFailure() {
    List<String> done = new ArrayList<>();
    try (AfterAnswer scope = AfterAnswer.open()) {
      assertThat(AfterAnswer.defer(() -> done.add("a"))).isTrue();
      assertThat(AfterAnswer.defer(() -> {
        throw new IllegalStateException("boom");
      })).isTrue();
      assertThat(AfterAnswer.defer(() -> done.add("b"))).isTrue();
      assertThat(done).as("nothing runs before the scope closes").isEmpty();
    }
    assertThat(done).containsExactly("a", "b");
    assertThat(AfterAnswer.defer(() -> done.add("c"))).as("the scope is gone once closed").isFalse();
  }

  @Test
  void anInnerScopeRunsItsOwnWorkAndGivesTheOuterOneBack() {
    List<String> done = new ArrayList<>();
    try (AfterAnswer outer = AfterAnswer.open()) {
      AfterAnswer.defer(() -> done.add("outer"));
      try (AfterAnswer inner = AfterAnswer.open()) {
        AfterAnswer.defer(() -> done.add("inner"));
      }
      assertThat(done).containsExactly("inner");
      AfterAnswer.defer(() -> done.add("outer again"));
    }
    assertThat(done).containsExactly("inner", "outer", "outer again");
  }

  @Test
  void workDeferredWhileTheScopeRunsItsWorkRunsAtOnce() {
    List<String> done = new ArrayList<>();
    try (AfterAnswer scope = AfterAnswer.open()) {
      AfterAnswer.defer(() -> {
        done.add("first");
        if (!AfterAnswer.defer(() -> done.add("late"))) {
          done.add("late, now");
        }
      });
    }
    assertThat(done).containsExactly("first", "late, now");
  }

  @Test
  void aScopeIsItsThreadsOnly() throws Exception {
    try (AfterAnswer scope = AfterAnswer.open()) {
      boolean elsewhere = CompletableFuture.supplyAsync(() -> AfterAnswer.defer(() -> {})).get();
      assertThat(elsewhere).as("another thread sees no scope").isFalse();
    }
  }
}
