package dev.gatehouse.workflows.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code ${...}} templates of pipeline step arguments. Pure and deterministic: the same
 * code checks templates at submit time and fills them inside the workflow.
 *
 * <p>Grammar: {@code ${input}}, {@code ${input.a.b}}, {@code ${steps.ID.output}},
 * {@code ${steps.ID.output.a.0}} (a number selects an array element). A string that is exactly one
 * expression is replaced by the value with its JSON type; expressions inside a longer string are
 * replaced by their text (strings as they are, other values as JSON). {@code $${} writes a literal
 * {@code ${}.
 */
public final class Templates {

  /** Where an expression points: the task input, or the output of step {@code stepId}. */
  public record Reference(String stepId, List<String> path) {
    public boolean isInput() {
      return stepId == null;
    }
  }

  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_-]+");
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private Templates() {}

  /** Every reference in {@code template}; throws {@code invalid_template} for a malformed one. */
  public static List<Reference> references(JsonNode template) {
    List<Reference> out = new ArrayList<>();
    visitStrings(template, s -> parse(s, out));
    return out;
  }

  /**
   * {@code template} with every expression filled from {@code context}, an object with
   * {@code input} and {@code steps: {ID: {output: ...}}}. Throws {@code invalid_template} when an
   * expression is malformed or names a value that does not exist.
   */
  public static JsonNode resolve(JsonNode template, JsonNode context) {
    if (template == null || template.isNull() || template.isMissingNode()) {
      return template;
    }
    if (template.isTextual()) {
      return resolveString(template.textValue(), context);
    }
    if (template.isArray()) {
      ArrayNode out = JSON.arrayNode();
      template.forEach(e -> out.add(resolve(e, context)));
      return out;
    }
    if (template.isObject()) {
      ObjectNode out = JSON.objectNode();
      for (Map.Entry<String, JsonNode> e : template.properties()) {
        out.set(e.getKey(), resolve(e.getValue(), context));
      }
      return out;
    }
    return template;
  }

  private static JsonNode resolveString(String s, JsonNode context) {
    List<Object> parts = split(s);
    if (parts.size() == 1 && parts.get(0) instanceof Reference ref) {
      return lookup(ref, context).deepCopy();
    }
    StringBuilder sb = new StringBuilder();
    for (Object part : parts) {
      if (part instanceof Reference ref) {
        JsonNode v = lookup(ref, context);
        sb.append(v.isTextual() ? v.textValue() : v.toString());
      } else {
        sb.append((String) part);
      }
    }
    return TextNode.valueOf(sb.toString());
  }

  /** The value {@code ref} names in {@code context}, or a missing node when there is none. */
  static JsonNode find(Reference ref, JsonNode context) {
    JsonNode node =
        ref.isInput() ? context.path("input") : context.path("steps").path(ref.stepId()).path("output");
    for (String seg : ref.path()) {
      node = node.isArray() && seg.chars().allMatch(Character::isDigit) ? node.path(index(seg)) : node.path(seg);
      if (node.isMissingNode()) {
        return node;
      }
    }
    return node;
  }

  private static JsonNode lookup(Reference ref, JsonNode context) {
    JsonNode node =
        ref.isInput() ? context.path("input") : context.path("steps").path(ref.stepId()).path("output");
    for (String seg : ref.path()) {
      if (node.isArray() && seg.chars().allMatch(Character::isDigit)) {
        node = node.path(index(seg));
      } else {
        node = node.path(seg);
      }
      if (node.isMissingNode()) {
        throw new InvalidPipelineException(
            "invalid_template", "template " + render(ref) + " names a value that does not exist");
      }
    }
    if (node.isMissingNode()) {
      throw new InvalidPipelineException(
          "invalid_template", "template " + render(ref) + " names a value that does not exist");
    }
    return node;
  }

  /** An array index; one too large for any array names nothing (-1), rather than throwing. */
  private static int index(String digits) {
    return digits.length() > 9 ? -1 : Integer.parseInt(digits);
  }

  /** A reference, and whether it is the whole of its string (its value goes in as it is) or part of a text. */
  record Use(Reference ref, boolean whole) {}

  /** Every reference in {@code template} with how it is used; throws {@code invalid_template} for a malformed one. */
  static List<Use> uses(JsonNode template) {
    List<Use> out = new ArrayList<>();
    visitStrings(
        template,
        s -> {
          List<Object> parts = split(s);
          boolean whole = parts.size() == 1;
          for (Object part : parts) {
            if (part instanceof Reference ref) {
              out.add(new Use(ref, whole));
            }
          }
        });
    return out;
  }

  /** The reference {@code s} is the whole of, or null when it is text (with or without references). */
  static Reference whole(String s) {
    List<Object> parts = split(s);
    return parts.size() == 1 && parts.get(0) instanceof Reference ref ? ref : null;
  }

  private static void parse(String s, List<Reference> out) {
    for (Object part : split(s)) {
      if (part instanceof Reference ref) {
        out.add(ref);
      }
    }
  }

  /** Splits a string into literal strings and references, in order. */
  private static List<Object> split(String s) {
    List<Object> parts = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    int i = 0;
    while (i < s.length()) {
      if (s.startsWith("$${", i)) {
        literal.append("${");
        i += 3;
      } else if (s.startsWith("${", i)) {
        int end = s.indexOf('}', i + 2);
        if (end < 0) {
          throw new InvalidPipelineException("invalid_template", "unclosed ${ in \"" + excerpt(s) + "\"");
        }
        if (literal.length() > 0) {
          parts.add(literal.toString());
          literal.setLength(0);
        }
        parts.add(parseExpression(s.substring(i + 2, end)));
        i = end + 1;
      } else {
        literal.append(s.charAt(i++));
      }
    }
    if (literal.length() > 0 || parts.isEmpty()) {
      parts.add(literal.toString());
    }
    return parts;
  }

  private static Reference parseExpression(String expr) {
    String[] segs = expr.trim().split("\\.", -1);
    for (String seg : segs) {
      if (!SEGMENT.matcher(seg).matches()) {
        throw new InvalidPipelineException(
            "invalid_template",
            "bad template ${" + excerpt(expr) + "}: use ${input.a.b} or ${steps.ID.output.a.b}");
      }
    }
    if (segs[0].equals("input")) {
      return new Reference(null, List.of(segs).subList(1, segs.length));
    }
    if (segs[0].equals("steps") && segs.length >= 3 && segs[2].equals("output")) {
      return new Reference(segs[1], List.of(segs).subList(3, segs.length));
    }
    throw new InvalidPipelineException(
        "invalid_template",
        "bad template ${" + excerpt(expr) + "}: use ${input.a.b} or ${steps.ID.output.a.b}");
  }

  /** What the client wrote, cut to {@value #MAX_EXCERPT} characters for a message (a string may be long). */
  private static String excerpt(String s) {
    if (s.length() <= MAX_EXCERPT) {
      return s;
    }
    int end = Character.isHighSurrogate(s.charAt(MAX_EXCERPT - 1)) ? MAX_EXCERPT - 1 : MAX_EXCERPT;
    return s.substring(0, end) + "...";
  }

  private static final int MAX_EXCERPT = 100;

  private static String render(Reference ref) {
    String root = ref.isInput() ? "input" : "steps." + ref.stepId() + ".output";
    return "${" + (ref.path().isEmpty() ? root : root + "." + String.join(".", ref.path())) + "}";
  }

  private static void visitStrings(JsonNode node, java.util.function.Consumer<String> visitor) {
    if (node == null) {
      return;
    }
    if (node.isTextual()) {
      visitor.accept(node.textValue());
    } else if (node.isContainerNode()) {
      node.forEach(child -> visitStrings(child, visitor));
    }
  }
}
