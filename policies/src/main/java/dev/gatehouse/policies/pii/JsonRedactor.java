package dev.gatehouse.policies.pii;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Scans and redacts a JSON tree (tool arguments and results, MCP results, model request bodies):
 * every string value, every number, and every object key.
 *
 * <ul>
 *   <li><b>Strings</b> are redacted like any text.
 *   <li><b>Numbers</b> are scanned as they are written ({@code 4111111111111111} is a card number
 *       whether or not it is quoted), a fractional or exponent one also as its plain digits
 *       ({@code 4.111111111111111E15}), and a negative one also without its sign; one with a
 *       match becomes a string with the mask, since a
 *       mask is not a number. The type changes; the number does not get out.
 *   <li><b>Keys</b> are scanned and redacted too: maps keyed by address or by phone number are
 *       common ({@code {"alice@example.com": {...}}}). Two keys that redact alike would collide, so
 *       the second becomes {@code [EMAIL]#2}, the third {@code [EMAIL]#3}, and so on.
 *   <li>Booleans and nulls are left alone.
 * </ul>
 *
 * <p>The input is never changed: {@link #redact} returns a new tree. Findings are counts only.
 * Trees nested deeper than {@link #MAX_DEPTH} levels are refused with an IllegalArgumentException
 * (Jackson's parser stops at 1000 levels too,
 * so only a tree built in code could get there).
 */
public final class JsonRedactor {
  public static final int MAX_DEPTH = 1_000;

  /** A redacted copy of a tree and what was found in it. */
  public record Result(JsonNode tree, PiiFindings findings) {}

  private final PiiScanner scanner;

  public JsonRedactor(PiiScanner scanner) {
    this.scanner = scanner;
  }

  /** A copy of {@code tree} with every match masked, and the findings. */
  public Result redact(JsonNode tree) {
    Walk w = new Walk(true);
    JsonNode out = w.node(tree, 0);
    return new Result(out, w.findings);
  }

  /** What {@code tree} holds, without copying it. */
  public PiiFindings scan(JsonNode tree) {
    Walk w = new Walk(false);
    w.node(tree, 0);
    return w.findings;
  }

  /**
   * {@code d}'s plain decimal form without trailing zeros ({@code 4.111111111111111E15} as {@code
   * 4111111111111111}), the digits a reader takes; null when it would run past 64 digits.
   */
  public static String plainDigits(java.math.BigDecimal d) {
    java.math.BigDecimal stripped = d.stripTrailingZeros();
    if (stripped.precision() - stripped.scale() > 64 || stripped.scale() > 64) {
      return null; // 1e308 written out is 309 digits: no identifier is that long
    }
    return stripped.toPlainString();
  }

  private final class Walk {
    private final boolean rewrite;
    private PiiFindings findings = PiiFindings.NONE;

    Walk(boolean rewrite) {
      this.rewrite = rewrite;
    }

    JsonNode node(JsonNode n, int depth) {
      if (n == null) {
        return null;
      }
      if (depth > MAX_DEPTH) {
        throw new IllegalArgumentException("JSON nested deeper than " + MAX_DEPTH + " levels");
      }
      if (n.isTextual()) {
        String s = text(n.textValue());
        return s == null ? n : JsonNodeFactory.instance.textNode(s);
      }
      if (n.isNumber()) {
        String s = text(n.asText());
        String plain = null;
        if (s == null && !n.isIntegralNumber()) {
          // 4.111111111111111E15 and 4111111111111111.0 are the card number as well: scanned as
          // the plain digits an upstream's parser reads (a probe's passed in both forms).
          plain = plain(n);
          s = plain == null ? null : text(plain);
        }
        if (s == null && n.decimalValue().signum() < 0) {
          // -4111111111111111 is the card's digits with a sign (a probe's passed): scanned without it
          String digits = plain != null ? plain : n.isIntegralNumber() ? n.asText() : null;
          s = digits == null ? null : text(digits.substring(1));
        }
        return s == null ? n : JsonNodeFactory.instance.textNode(s);
      }
      if (n.isArray()) {
        ArrayNode copy = rewrite ? JsonNodeFactory.instance.arrayNode(n.size()) : null;
        for (JsonNode item : n) {
          JsonNode v = node(item, depth + 1);
          if (rewrite) {
            copy.add(v);
          }
        }
        return rewrite ? copy : n;
      }
      if (n.isObject()) {
        ObjectNode copy = rewrite ? JsonNodeFactory.instance.objectNode() : null;
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          String key = text(e.getKey());
          JsonNode v = node(e.getValue(), depth + 1);
          if (rewrite) {
            copy.set(key == null ? free(copy, e.getKey(), n) : free(copy, key, n), v);
          }
        }
        return rewrite ? copy : n;
      }
      return rewrite ? n.deepCopy() : n;
    }

    /** A fractional or exponent number's plain decimal form ({@link JsonRedactor#plainDigits}). */
    private static String plain(JsonNode n) {
      return plainDigits(n.decimalValue());
    }

    /** What the scanner found in {@code s} read with its JSON escapes decoded ({@link dev.gatehouse.policies.text.JsonEscapes}): null when nothing; else {@code s} (scanning) or its decoded form redacted. */
    private String text(String s) {
      String read = dev.gatehouse.policies.text.JsonEscapes.unescaped(s);
      List<PiiMatch> matches = scanner.scan(read);
      if (matches.isEmpty()) {
        return null;
      }
      findings = findings.plus(PiiFindings.of(matches));
      return rewrite ? Redactor.apply(read, matches) : s;
    }

    /**
     * {@code key}, or {@code key#2}, {@code key#3}... whichever is neither in the copy yet nor
     * an original key of the object that has still to come.
     */
    private String free(ObjectNode copy, String key, JsonNode original) {
      if (!copy.has(key)) {
        return key;
      }
      for (int i = 2; ; i++) {
        String k = key + "#" + i;
        if (!copy.has(k) && !original.has(k)) {
          return k;
        }
      }
    }
  }
}
