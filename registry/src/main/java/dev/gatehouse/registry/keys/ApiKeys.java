package dev.gatehouse.registry.keys;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Agent API keys: 256 random bits behind a readable prefix. Only a SHA-256 hash is stored; with
 * that much entropy a fast hash is enough, and lookup by hash never compares secrets byte by byte.
 */
public final class ApiKeys {
  public static final String PREFIX = "gk_";
  private static final SecureRandom RANDOM = new SecureRandom();

  private ApiKeys() {}

  public static String generate() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  public static byte[] hash(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** A stable, non-secret id for a key: the first 12 hex digits of its hash. */
  public static String idOf(String key) {
    return "key_" + HexFormat.of().formatHex(hash(key)).substring(0, 12);
  }
}
