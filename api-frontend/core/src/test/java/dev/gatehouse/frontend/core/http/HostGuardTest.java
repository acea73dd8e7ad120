package dev.gatehouse.frontend.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class HostGuardTest {
  private final HostGuard guard = new HostGuard(List.of("localhost", "127.0.0.1", "[::1]", "Gatehouse.Example"), List.of("https://app.example.com"));

  @Test
  void anAllowedHostWithOrWithoutANumericPortPasses() {
    assertThat(guard.hostAllowed("localhost")).isTrue();
    assertThat(guard.hostAllowed("localhost:8080")).isTrue();
    assertThat(guard.hostAllowed("[::1]:8080")).isTrue();
    assertThat(guard.hostAllowed("GATEHOUSE.example")).isTrue();
  }

  @Test
  void anyOtherHostOrAnythingAfterTheNameIsRefused() {
    assertThat(guard.hostAllowed(null)).isFalse();
    assertThat(guard.hostAllowed("evil.example.com")).isFalse();
    assertThat(guard.hostAllowed("localhost.evil.example.com")).isFalse();
    assertThat(guard.hostAllowed("localhost:80\" x=\"")).isFalse();
    assertThat(guard.hostAllowed("localhost:123456")).isFalse();
    assertThat(guard.hostAllowed("localhost:")).isFalse();
    assertThat(guard.hostAllowed("[::1")).isFalse();
  }

  @Test
  void originsAreAllowedByListOrByAnAllowedHost() {
    assertThat(guard.originAllowed(null)).as("programs send no Origin").isTrue();
    assertThat(guard.originAllowed("https://app.example.com")).isTrue();
    assertThat(guard.originAllowed("http://localhost:3000")).isTrue();
    assertThat(guard.originAllowed("http://evil.example.com")).isFalse();
    assertThat(guard.originAllowed("not a uri")).isFalse();
  }

  @Test
  void aStarAllowsAny() {
    HostGuard open = new HostGuard(List.of("*"), List.of("*"));
    assertThat(open.hostAllowed("anything.example:9")).isTrue();
    assertThat(open.originAllowed("http://evil.example.com")).isTrue();
  }
}
