package dev.gatehouse.registry;

import java.security.SecureRandom;

/** Opaque, unguessable ids with a readable type prefix: {@code ten_k3x9...}. */
public final class Ids {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final char[] ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789".toCharArray();

  private Ids() {}

  public static String newId(String prefix) {
    return prefix + "_" + random(20);
  }

  /** {@code length} characters of a 32-letter alphabet (5 bits each) from a secure random source. */
  public static String random(int length) {
    char[] out = new char[length];
    for (int i = 0; i < length; i++) {
      out[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
    }
    return new String(out);
  }
}
