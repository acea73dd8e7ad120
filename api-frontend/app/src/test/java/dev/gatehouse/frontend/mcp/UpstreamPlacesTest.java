package dev.gatehouse.frontend.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.activities.tool.ToolCallException;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The places of upstream sessions: per tenant and per replica, never more taken than there are, and none lost. */
class UpstreamPlacesTest {

  @Test
  void aTenantTakesItsShareAndNoMoreAndTheReplicaItsWhole() {
    UpstreamPlaces places = new UpstreamPlaces(5, 3);
    for (int i = 0; i < 3; i++) {
      places.take("ten_a");
    }
    assertThatThrownBy(() -> places.take("ten_a"))
        .isInstanceOfSatisfying(ToolCallException.class, e -> {
          assertThat(e.type()).isEqualTo(ToolFailureTypes.OVERLOADED);
          assertThat(e.getMessage()).contains("mcp.maxUpstreamSessionsPerTenant");
        });
    places.take("ten_b");
    places.take("ten_b");
    assertThatThrownBy(() -> places.take("ten_c"))
        .isInstanceOfSatisfying(ToolCallException.class, e -> assertThat(e.getMessage()).contains("mcp.maxUpstreamSessions)"));
    assertThat(places.open()).isEqualTo(5);
    // A refused take holds nothing: once a's places come back, c gets one.
    places.release("ten_a", 3);
    places.take("ten_c");
    assertThat(places.open()).isEqualTo(3);
    places.release("ten_b", 2);
    places.release("ten_c", 1);
    assertThat(places.open()).isZero();
    places.release("ten_c", 0);
    assertThat(places.open()).isZero();
  }

  @Test
  void concurrentTakesNeverPassTheBounds() throws Exception {
    UpstreamPlaces places = new UpstreamPlaces(50, 30);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Boolean>> takes = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        String tenant = "ten_" + (i % 4);
        takes.add(pool.submit(() -> {
          try {
            places.take(tenant);
            return true;
          } catch (ToolCallException refused) {
            return false;
          }
        }));
      }
      int taken = 0;
      for (Future<Boolean> f : takes) {
        taken += f.get() ? 1 : 0;
      }
      assertThat(taken).isEqualTo(50);
      assertThat(places.open()).isEqualTo(50);
    } finally {
      pool.shutdownNow();
    }
  }
}
