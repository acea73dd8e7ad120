package dev.gatehouse.registry;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * Text Gatehouse accepts from anyone (a client, a registry file): no NUL character (U+0000),
 * which PostgreSQL cannot store in text and which no name, id or value of Gatehouse's needs, and
 * no lone UTF-16 surrogate (a JSON or YAML {@code \ud800} escape without its pair), which is not
 * Unicode text at all.
 */
public final class Texts {
  private Texts() {}

  /** Null when {@code s} is acceptable text, else what is wrong with it ("contains a NUL character ..."). */
  public static String problem(String s) {
    if (s == null) {
      return null;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) {
        return "contains a NUL character (U+0000), which is not allowed in text";
      }
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return "contains a lone surrogate (U+" + Integer.toHexString(c).toUpperCase() + "), which is not Unicode text";
      }
    }
    return null;
  }

  /**
   * The first string or field name of {@code json} that is not acceptable text, or number no
   * reader can hold (1e400: a parser makes it infinity, and a writer the string "Infinity"), as a sentence
   * naming it by its path ({@code 'pipeline.steps[0].tool' contains ...}, with {@code whole} for
   * the root); null when all of it is.
   */
  public static String firstProblem(JsonNode json, String whole) {
    // Nearly all JSON is clean: checked first without building a path for each member.
    return clean(json) ? null : find(json, "", whole);
  }

  /** A number too large for any number type a reader is likely to have (1e400 parses as infinity). */
  private static final String OUT_OF_RANGE = "is a number out of range (its magnitude must be below 1.8e308)";

  private static boolean outOfRange(JsonNode node) {
    return node.isFloatingPointNumber() && !Double.isFinite(node.doubleValue());
  }

  private static boolean clean(JsonNode node) {
    if (node == null) {
      return true;
    }
    if (node.isTextual()) {
      return problem(node.textValue()) == null;
    }
    if (outOfRange(node)) {
      return false;
    }
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (problem(e.getKey()) != null || !clean(e.getValue())) {
          return false;
        }
      }
    } else if (node.isArray()) {
      for (JsonNode element : node) {
        if (!clean(element)) {
          return false;
        }
      }
    }
    return true;
  }

  private static String find(JsonNode node, String path, String whole) {
    if (node == null) {
      return null;
    }
    if (node.isTextual()) {
      String problem = problem(node.textValue());
      return problem == null ? null : name(path, whole) + " " + problem;
    }
    if (outOfRange(node)) {
      return name(path, whole) + " " + OUT_OF_RANGE;
    }
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String problem = problem(e.getKey());
        if (problem != null) {
          return "a field name in " + name(path, whole) + " " + problem;
        }
        String found = find(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey(), whole);
        if (found != null) {
          return found;
        }
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        String found = find(node.get(i), path + "[" + i + "]", whole);
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  private static String name(String path, String whole) {
    return path.isEmpty() ? whole : "'" + path + "'";
  }
}
