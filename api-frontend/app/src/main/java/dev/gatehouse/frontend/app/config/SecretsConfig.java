package dev.gatehouse.frontend.app.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.gatehouse.registry.secrets.SecretBox;
import jakarta.validation.constraints.NotNull;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Master keys for secrets at rest (AES-256-GCM): key id → base64 of 32 random bytes. New values
 * are sealed with {@code activeKey}; keep the previous key listed until {@code gatehouse secrets
 * rotate} has re-sealed everything. Blank keys are ignored; with none, secrets are off.
 */
public class SecretsConfig {
  @NotNull private Map<String, String> masterKeys = new LinkedHashMap<>();

  private String activeKey;

  @JsonProperty
  public Map<String, String> getMasterKeys() {
    return masterKeys;
  }

  @JsonProperty
  public void setMasterKeys(Map<String, String> masterKeys) {
    this.masterKeys = masterKeys;
  }

  @JsonProperty
  public String getActiveKey() {
    return activeKey;
  }

  @JsonProperty
  public void setActiveKey(String activeKey) {
    this.activeKey = activeKey;
  }

  /** The box, or empty when no master key is configured; throws on a misconfiguration. */
  public Optional<SecretBox> box() {
    Map<String, String> keys = new LinkedHashMap<>();
    masterKeys.forEach((id, key) -> {
      if (key != null && !key.isBlank()) {
        keys.put(id, key);
      }
    });
    if (keys.isEmpty()) {
      return Optional.empty();
    }
    String active = activeKey != null && !activeKey.isBlank() ? activeKey : keys.keySet().iterator().next();
    return Optional.of(new SecretBox(keys, active));
  }
}
