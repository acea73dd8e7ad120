package dev.gatehouse.policies.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.policies.Decision;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ToolArgumentsPolicyTest {
  private final ObjectMapper json = new ObjectMapper();
  private final ToolArgumentsPolicy policy = new ToolArgumentsPolicy(64);

  @Test
  void allowsArgumentsThatFillEveryPlaceholder() throws Exception {
    Decision d = policy.check("weather", Set.of("city"), json.readTree("{\"city\":\"Oslo\",\"x\":1}"));
    assertThat(d.allowed()).isTrue();
    assertThat(d.policy()).isEqualTo(ToolArgumentsPolicy.NAME);
  }

  @Test
  void deniesAMissingPlaceholderValue() throws Exception {
    Decision d = policy.check("weather", Set.of("city"), json.readTree("{\"town\":\"Oslo\"}"));
    assertThat(d.allowed()).isFalse();
    assertThat(d.code()).isEqualTo("invalid_arguments");
    assertThat(d.reason()).contains("'city'");
  }

  @Test
  void deniesAnObjectWhereTheUrlNeedsAScalar() throws Exception {
    assertThat(policy.check("w", Set.of("city"), json.readTree("{\"city\":{\"a\":1}}")).allowed()).isFalse();
  }

  @Test
  void deniesArgumentsThatAreNotAnObject() throws Exception {
    assertThat(policy.check("w", Set.of(), json.readTree("[1,2]")).allowed()).isFalse();
  }

  @Test
  void deniesOversizedArguments() throws Exception {
    String big = "{\"a\":\"" + "x".repeat(100) + "\"}";
    Decision d = policy.check("w", Set.of(), json.readTree(big));
    assertThat(d.allowed()).isFalse();
    assertThat(d.reason()).contains("64 bytes");
  }
}
