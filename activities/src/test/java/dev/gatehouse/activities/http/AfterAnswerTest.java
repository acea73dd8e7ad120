package dev.gatehouse.activities.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Work left until after the answer: run when its scope closes, in order, on the scope's thread
 * only, by a bounded number of scopes at once.
 */
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

  @Test
  void anErrorInDeferredWorkLetsTheRestRunAndIsThrownOnceTheyHave() {
    List<String> done = new ArrayList<>();
    AfterAnswer scope = AfterAnswer.open();
    AfterAnswer.defer(() -> {
      throw new StackOverflowError("deep");
    });
    AfterAnswer.defer(() -> done.add("after the error"));
    assertThatThrownBy(scope::close).isInstanceOf(StackOverflowError.class).hasMessage("deep");
    assertThat(done).containsExactly("after the error");
    assertThat(AfterAnswer.defer(() -> {})).as("the scope is gone once closed").isFalse();
    assertScopesWithWorkAreFree();
  }

  @Test
  void atMostMaxScopesHoldWorkAtOnceAndBeyondThemTheCallerDoesItsWork() {
    List<String> done = new ArrayList<>();
    Deque<AfterAnswer> open = new ArrayDeque<>();
    try {
      for (int i = 0; i < AfterAnswer.MAX_SCOPES_WITH_WORK; i++) {
        open.push(AfterAnswer.open());
        String name = "scope " + i;
        assertThat(AfterAnswer.defer(() -> done.add(name))).as(name).isTrue();
      }
      try (AfterAnswer oneTooMany = AfterAnswer.open()) {
        assertThat(AfterAnswer.defer(() -> done.add("one too many")))
            .as("no scope is free: the caller does its work itself")
            .isFalse();
      }
      AfterAnswer innermost = open.pop();
      assertThat(AfterAnswer.defer(() -> done.add("scope " + (AfterAnswer.MAX_SCOPES_WITH_WORK - 1) + ", again")))
          .as("a scope that holds work takes more")
          .isTrue();
      innermost.close();
      try (AfterAnswer next = AfterAnswer.open()) {
        assertThat(AfterAnswer.defer(() -> done.add("next"))).as("a closed scope gave its place back").isTrue();
      }
    } finally {
      while (!open.isEmpty()) {
        open.pop().close();
      }
    }
    assertThat(done).hasSize(AfterAnswer.MAX_SCOPES_WITH_WORK + 2).doesNotContain("one too many");
    assertThat(done.get(0)).isEqualTo("scope " + (AfterAnswer.MAX_SCOPES_WITH_WORK - 1));
    assertScopesWithWorkAreFree();
  }

  /** Every place is back: as many scopes as the bound take work at once again. */
  private static void assertScopesWithWorkAreFree() {
    Deque<AfterAnswer> open = new ArrayDeque<>();
    try {
      for (int i = 0; i < AfterAnswer.MAX_SCOPES_WITH_WORK; i++) {
        open.push(AfterAnswer.open());
        assertThat(AfterAnswer.defer(() -> {})).as("place %d is free", i).isTrue();
      }
    } finally {
      while (!open.isEmpty()) {
        open.pop().close();
      }
    }
  }
}
