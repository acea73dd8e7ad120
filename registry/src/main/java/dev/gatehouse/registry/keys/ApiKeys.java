package dev.gatehouse.registry.keys;

import dev.gatehouse.registry.Ids;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Bearer keys: {@code gk_live_<lookup id>_<secret>} for agents and {@code gka_live_<lookup
 * id>_<secret>} for admins, where the secret is 256 random bits. Only a SHA-256 hash of the key is
 * stored, under the lookup id; a presented key is found by its id and compared in constant time.
 * With that much entropy a fast hash is enough. Keys that do not have this form (for instance a
 * {@code GATEHOUSE_DEV_KEY} someone chose) are filed under an id derived from their hash; such a
 * key is an admin key when it starts with {@code gka_}.
 */
public final class ApiKeys {
  public static final String AGENT_KIND = "gk_live";
  public static final String ADMIN_KIND = "gka_live";
  private static final Pattern FORMAT = Pattern.compile("(gka?_live)_([a-z2-9]{16})_([A-Za-z0-9_-]{43})");
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A newly made key: {@code key} is shown once and never stored. */
  public record Issued(String id, String key, String prefix, byte[] hash) {}

  private ApiKeys() {}

  public static Issued issue(String kind) {
    String lookup = Ids.random(16);
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    String key = kind + "_" + lookup + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    return new Issued(idFor(kind, lookup), key, kind + "_" + lookup, hash(key));
  }

  /** The lookup id a presented key is filed under. */
  public static String idOf(String key) {
    Matcher m = FORMAT.matcher(key);
    if (m.matches()) {
      return idFor(m.group(1), m.group(2));
    }
    return (isAdminKey(key) ? "akey_h" : "key_h") + HexFormat.of().formatHex(hash(key)).substring(0, 24);
  }

  /** The prefix shown for a key in lists: everything but the secret. */
  public static String prefixOf(String key) {
    Matcher m = FORMAT.matcher(key);
    return m.matches() ? m.group(1) + "_" + m.group(2) : "(configured key)";
  }

  /** Admin keys start with {@code gka_} (generated ones with {@code gka_live_}). */
  public static boolean isAdminKey(String key) {
    return key.startsWith("gka_");
  }

  /** Constant-time comparison of a presented key with a stored hash. */
  public static boolean matches(String presented, byte[] storedHash) {
    return MessageDigest.isEqual(hash(presented), storedHash);
  }

  public static byte[] hash(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private static String idFor(String kind, String lookup) {
    return (kind.equals(ADMIN_KIND) ? "akey_" : "key_") + lookup;
  }
}
