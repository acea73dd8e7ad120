package dev.gatehouse.frontend.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RequestIdsTest {
  @Test
  void idsHaveTheirFormAndDiffer() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      String id = RequestIds.newId();
      assertThat(id).matches("req_[0-9a-f]{32}");
      assertThat(seen.add(id)).as("a new id").isTrue();
    }
  }
}
