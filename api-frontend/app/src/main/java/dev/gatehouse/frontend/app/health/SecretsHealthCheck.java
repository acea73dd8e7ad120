package dev.gatehouse.frontend.app.health;

import com.codahale.metrics.health.HealthCheck;
import dev.gatehouse.registry.secrets.SecretBox;
import dev.gatehouse.registry.secrets.Secrets;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/**
 * Whether this process can open the stored secrets: one secret sealed under each master key in
 * use is opened. Unhealthy when one cannot be (a process started without the key a rotation
 * sealed the secrets under, or with another key of that id): every call that needs such a
 * secret would fail, so a load balancer or an orchestrator's readiness check should not send it
 * work, and a rollout with the wrong key stops at its first replica. The message names the key
 * ids, never a value.
 */
public class SecretsHealthCheck extends HealthCheck {
  private final Jdbi jdbi;
  private final SecretBox box;

  /** {@code box} null: no master key is configured. */
  public SecretsHealthCheck(Jdbi jdbi, SecretBox box) {
    this.jdbi = jdbi;
    this.box = box;
  }

  @Override
  protected Result check() {
    List<String> problems;
    try {
      problems = Secrets.unopenable(jdbi, box);
    } catch (RuntimeException e) {
      return Result.unhealthy("cannot read the secrets' master keys from the database: " + DatabaseFailures.reason(e));
    }
    return problems.isEmpty()
        ? Result.healthy("every master key in use is configured")
        : Result.unhealthy(String.join("; ", problems));
  }
}
