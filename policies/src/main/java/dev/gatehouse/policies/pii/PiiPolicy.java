package dev.gatehouse.policies.pii;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.DenialCodes;
import java.util.List;
import java.util.Set;

/**
 * What to do with personal data and secrets in text that passes the gateway (tool arguments and
 * results, MCP results, model requests and answers): find them with a {@link PiiScanner} of the
 * enabled kinds and custom patterns, then, per {@link Action}:
 *
 * <ul>
 *   <li>{@code REDACT}: pass the text on with each match masked ({@code [EMAIL]}, ...);
 *   <li>{@code BLOCK}: pass nothing on: the decision is a denial with code {@link #PII_DETECTED}
 *       and a reason that names the kinds and counts found, never the values;
 *   <li>{@code RECORD}: pass the text on unchanged, and report what was found.
 * </ul>
 *
 * <p>Every result carries the {@link PiiFindings} (counts by kind) for audit and metrics. A streamed
 * answer goes through {@link #stream()}. Thread-safe.
 */
public final class PiiPolicy {
  public static final String NAME = "pii";
  /**
   * The denial code of {@code BLOCK}. Not in {@link dev.gatehouse.policies.DenialCodes} yet: that
   * class lists the codes the front end's error catalog has, and a test there holds them equal;
   * the code moves there with its catalog entry when the policy is applied to requests.
   */
  public static final String PII_DETECTED = DenialCodes.PII_DETECTED;

  public enum Action {
    REDACT,
    BLOCK,
    RECORD
  }

  /** The outcome for a text: the decision, the text to pass on (null when blocked), the findings. */
  public record TextResult(Decision decision, String text, PiiFindings findings) {}

  /** The outcome for a JSON tree: the decision, the tree to pass on (null when blocked), the findings. */
  public record JsonResult(Decision decision, JsonNode tree, PiiFindings findings) {}

  private final Action action;
  private final PiiScanner scanner;
  private final Redactor redactor;
  private final JsonRedactor json;

  public PiiPolicy(Action action, PiiScanner scanner) {
    if (action == null || scanner == null) {
      throw new IllegalArgumentException("a PII policy needs an action and a scanner");
    }
    this.action = action;
    this.scanner = scanner;
    this.redactor = new Redactor(scanner);
    this.json = new JsonRedactor(scanner);
  }

  /** A policy for the built-in {@code kinds} and the custom patterns (see {@link PiiScanner#of}). */
  public static PiiPolicy of(Action action, Set<PiiKind> kinds, List<PiiDetector> custom) {
    return new PiiPolicy(action, PiiScanner.of(kinds, custom));
  }

  public Action action() {
    return action;
  }

  public PiiScanner scanner() {
    return scanner;
  }

  public TextResult check(String text) {
    if (text == null || text.isEmpty()) {
      return new TextResult(Decision.allow(NAME), text, PiiFindings.NONE);
    }
    return switch (action) {
      case REDACT -> {
        Redactor.Redaction r = redactor.redact(text);
        yield new TextResult(Decision.allow(NAME), r.text(), r.findings());
      }
      case BLOCK -> {
        PiiFindings f = PiiFindings.of(scanner.scan(dev.gatehouse.policies.text.JsonEscapes.unescaped(text)));
        yield f.isEmpty() ? new TextResult(Decision.allow(NAME), text, f) : new TextResult(denial(f), null, f);
      }
      case RECORD -> new TextResult(Decision.allow(NAME), text, PiiFindings.of(scanner.scan(dev.gatehouse.policies.text.JsonEscapes.unescaped(text))));
    };
  }

  public JsonResult check(JsonNode tree) {
    if (tree == null) {
      return new JsonResult(Decision.allow(NAME), null, PiiFindings.NONE);
    }
    return switch (action) {
      case REDACT -> {
        JsonRedactor.Result r = json.redact(tree);
        yield new JsonResult(Decision.allow(NAME), r.tree(), r.findings());
      }
      case BLOCK -> {
        PiiFindings f = json.scan(tree);
        yield f.isEmpty() ? new JsonResult(Decision.allow(NAME), tree, f) : new JsonResult(denial(f), null, f);
      }
      case RECORD -> new JsonResult(Decision.allow(NAME), tree, json.scan(tree));
    };
  }

  /** A redactor for one streamed text, acting per this policy's action. */
  public StreamingRedactor stream() {
    return new StreamingRedactor(scanner, action);
  }

  /**
   * The denial for text that held {@code findings}: code {@link #PII_DETECTED}, and a reason that
   * names kinds and counts only. For a {@link StreamingRedactor#blocked() blocked} stream too.
   */
  public static Decision denial(PiiFindings findings) {
    return Decision.deny(NAME, PII_DETECTED, "personal data or credentials found (" + findings + ")");
  }
}
