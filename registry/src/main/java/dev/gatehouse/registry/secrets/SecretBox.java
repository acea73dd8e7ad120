package dev.gatehouse.registry.secrets;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts secret values at rest with AES-256-GCM (the JDK's implementation) under a master key.
 * Each value has its own random 96-bit nonce; the row's scope and name are authenticated as
 * associated data, so a ciphertext copied to another row does not decrypt. Several master keys can
 * be known at once (by id) so that the active one can be rotated: new values use the active key,
 * old ones still open with theirs until they are re-encrypted.
 */
public final class SecretBox {
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A sealed value. */
  public record Sealed(String keyId, byte[] nonce, byte[] ciphertext) {}

  private final Map<String, SecretKeySpec> keys;
  private final String activeKeyId;

  /**
   * @param masterKeys key id → base64 of 32 random bytes
   * @param activeKeyId the id new values are sealed with
   */
  public SecretBox(Map<String, String> masterKeys, String activeKeyId) {
    if (!masterKeys.containsKey(activeKeyId)) {
      throw new IllegalArgumentException("the active master key '" + activeKeyId + "' is not among the configured keys");
    }
    var built = new java.util.HashMap<String, SecretKeySpec>();
    masterKeys.forEach((id, b64) -> {
      byte[] raw;
      try {
        raw = Base64.getDecoder().decode(b64.trim());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("master key '" + id + "' is not base64");
      }
      if (raw.length != 32) {
        throw new IllegalArgumentException("master key '" + id + "' must be 32 bytes (256 bits), base64-encoded");
      }
      built.put(id, new SecretKeySpec(raw, "AES"));
    });
    this.keys = Map.copyOf(built);
    this.activeKeyId = activeKeyId;
  }

  /** A new random master key, base64-encoded. */
  public static String newMasterKey() {
    byte[] raw = new byte[32];
    RANDOM.nextBytes(raw);
    return Base64.getEncoder().encodeToString(raw);
  }

  public String activeKeyId() {
    return activeKeyId;
  }

  public Sealed seal(String scope, String name, String value) {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, keys.get(activeKeyId), new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(aad(scope, name));
      return new Sealed(activeKeyId, nonce, c.doFinal(value.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  public String open(String scope, String name, Sealed sealed) {
    SecretKeySpec key = keys.get(sealed.keyId());
    if (key == null) {
      throw new Unopenable("secret '" + name + "' is sealed with master key '" + sealed.keyId() + "', which is not configured");
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed.nonce()));
      c.updateAAD(aad(scope, name));
      return new String(c.doFinal(sealed.ciphertext()), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException e) {
      throw new Unopenable("secret '" + name + "' does not decrypt (wrong master key or tampered row)");
    }
  }

  /**
   * A sealed value this box cannot open: its master key is not configured here (a process not yet
   * given the key a rotation sealed it under), or it does not decrypt. The message names the
   * secret and the key, never a value.
   */
  public static final class Unopenable extends IllegalStateException {
    Unopenable(String message) {
      super(message);
    }
  }

  private static byte[] aad(String scope, String name) {
    return ("gatehouse-secret\n" + (scope == null ? "" : scope) + "\n" + name).getBytes(StandardCharsets.UTF_8);
  }
}
