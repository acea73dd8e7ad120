package dev.gatehouse.frontend.app.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.gatehouse.registry.secrets.SecretBox;
import io.dropwizard.validation.ValidationMethod;
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

  /**
   * Checked where the configuration is validated, so {@code check} refuses what the server could
   * not start with: each key decodes as base64 to the 32 bytes AES-256 needs. The message names
   * the setting, never a key.
   */
  @JsonIgnore
  @ValidationMethod(
      message = "secrets.masterKeys: each master key must be the base64 of 32 random bytes (openssl rand -base64 32)")
  public boolean isMasterKeysUsable() {
    for (String key : masterKeys.values()) {
      if (key != null && !key.isBlank() && !isMasterKey(key)) {
        return false;
      }
    }
    return true;
  }

  /** Base64 (surrounding blanks aside, as {@link SecretBox} reads it) of exactly 32 bytes. */
  static boolean isMasterKey(String b64) {
    try {
      return java.util.Base64.getDecoder().decode(b64.trim()).length == 32;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** The active key, when one is named, is one of the (non-blank) master keys. */
  @JsonIgnore
  @ValidationMethod(message = "secrets.activeKey must be the id of one of secrets.masterKeys")
  public boolean isActiveKeyListed() {
    if (activeKey == null || activeKey.isBlank() || masterKeys.values().stream().allMatch(k -> k == null || k.isBlank())) {
      return true;
    }
    String key = masterKeys.get(activeKey);
    return key != null && !key.isBlank();
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
