package dev.gatehouse.frontend.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.util.ArrayList;
import java.util.List;

/**
 * Agent keys to register at start (for instance from an environment variable). Keys are stored
 * only as hashes; an empty key is skipped, so an unset variable registers nothing.
 */
public class AuthConfig {
  @Valid @NotNull private List<AgentKey> agentKeys = new ArrayList<>();

  @JsonProperty
  public List<AgentKey> getAgentKeys() {
    return agentKeys;
  }

  @JsonProperty
  public void setAgentKeys(List<AgentKey> agentKeys) {
    this.agentKeys = agentKeys;
  }

  public record AgentKey(@NotBlank String agent, String key) {}
}
