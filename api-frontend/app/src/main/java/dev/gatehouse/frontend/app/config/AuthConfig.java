package dev.gatehouse.frontend.app.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.util.ArrayList;
import java.util.List;

/**
 * Keys to register at start (for instance from environment variables), and the brute-force
 * throttle. Keys are stored only as hashes; an empty key is skipped, so an unset variable
 * registers nothing. An agent key's tenant and agent are created (the agent allowed everything)
 * when they do not exist yet; existing ones are left as they are.
 */
public class AuthConfig {
  @Valid @NotNull private List<AgentKey> agentKeys = new ArrayList<>();

  @Valid @NotNull private List<AdminKey> adminKeys = new ArrayList<>();

  /** Failed authentications from one address within {@link #failureWindowSeconds} before it is refused for a while. */
  @Min(1)
  @Max(100_000)
  private int maxFailures = 20;

  @Min(1)
  @Max(86_400)
  private int failureWindowSeconds = 60;

  @JsonProperty
  public List<AgentKey> getAgentKeys() {
    return agentKeys;
  }

  @JsonProperty
  public void setAgentKeys(List<AgentKey> agentKeys) {
    this.agentKeys = agentKeys;
  }

  @JsonProperty
  public List<AdminKey> getAdminKeys() {
    return adminKeys;
  }

  @JsonProperty
  public void setAdminKeys(List<AdminKey> adminKeys) {
    this.adminKeys = adminKeys;
  }

  @JsonProperty
  public int getMaxFailures() {
    return maxFailures;
  }

  @JsonProperty
  public void setMaxFailures(int maxFailures) {
    this.maxFailures = maxFailures;
  }

  @JsonProperty
  public int getFailureWindowSeconds() {
    return failureWindowSeconds;
  }

  @JsonProperty
  public void setFailureWindowSeconds(int seconds) {
    this.failureWindowSeconds = seconds;
  }

  /** An agent key; {@code tenant} defaults to {@code default}. */
  public record AgentKey(
      String tenant,
      @NotBlank String agent,
      @Pattern(regexp = "(?!gka_).*", message = "must not start with 'gka_' (such keys are admin keys)") String key) {
    public AgentKey {
      tenant = tenant == null || tenant.isBlank() ? "default" : tenant;
    }
  }

  /** A platform admin key: it starts with {@code gka_}, which is how Gatehouse tells it from an agent key. */
  public record AdminKey(
      @NotBlank String name,
      @Pattern(regexp = "(gka_.*)?", message = "must start with 'gka_' (keys without it are agent keys)") String key) {}
}
