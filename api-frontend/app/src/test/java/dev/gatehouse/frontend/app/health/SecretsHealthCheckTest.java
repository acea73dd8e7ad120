package dev.gatehouse.frontend.app.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.health.HealthCheck;
import dev.gatehouse.registry.secrets.SecretBox;
import dev.gatehouse.registry.secrets.Secrets;
import dev.gatehouse.registry.testing.TestDatabase;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A replica started without the master key a rotation sealed the secrets under is unhealthy, so
 * it gets no work: it failed every call that needed such a secret, and reported healthy.
 */
class SecretsHealthCheckTest {
  @Test
  void aProcessWithoutTheKeyTheSecretsAreSealedUnderIsUnhealthyAndSaysWhichKey() {
    try (TestDatabase db = TestDatabase.create()) {
      String k1 = SecretBox.newMasterKey();
      String k2 = SecretBox.newMasterKey();
      new Secrets(db.jdbi(), new SecretBox(Map.of("k1", k1, "k2", k2), "k2")).put(null, "provider-key", "sk-rotated-0123456789");

      HealthCheck.Result both = new SecretsHealthCheck(db.jdbi(), new SecretBox(Map.of("k1", k1, "k2", k2), "k2")).execute();
      assertThat(both.isHealthy()).isTrue();

      HealthCheck.Result oldOnly = new SecretsHealthCheck(db.jdbi(), new SecretBox(Map.of("k1", k1), "k1")).execute();
      assertThat(oldOnly.isHealthy()).isFalse();
      assertThat(oldOnly.getMessage()).contains("master key 'k2'").contains("not configured").doesNotContain("sk-rotated");
    }
  }

  /**
   * A probe dropped the database under a running server: /healthcheck answered the secrets' and the
   * MCP servers' checks with the exception's stack trace, about 60 frames twice, on a port without
   * authentication. Each says why in one line, and no stack.
   */
  @Test
  void aDatabaseThatCannotBeReadIsUnhealthyInOneLineWithoutAStack() {
    org.jdbi.v3.core.Jdbi gone = dev.gatehouse.registry.db.RegistryDatabase.configure(
        org.jdbi.v3.core.Jdbi.create("jdbc:postgresql://127.0.0.1:1/gatehouse", "postgres", "pw-never-shown"));
    for (HealthCheck check : java.util.List.of(
        new SecretsHealthCheck(gone, new SecretBox(Map.of("k1", SecretBox.newMasterKey()), "k1")), new McpServersHealthCheck(gone))) {
      HealthCheck.Result r = check.execute();
      assertThat(r.isHealthy()).isFalse();
      assertThat(r.getError()).as("no exception, so no stack in the answer").isNull();
      assertThat(r.getMessage()).contains("from the database: ").doesNotContain("\n").doesNotContain("pw-never-shown");
    }
  }
}
