package dev.gatehouse.policies.guardrails;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.DenialCodes;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Inspects what reaches a model: tool and MCP results ({@link #inspectResponse}) with every enabled
 * inspector, and model requests ({@link #inspectRequest}: their texts and, taken apart, their
 * tool calls' arguments) with the deny patterns and the prompt size. Each finding's kind has an
 * action ({@link GuardrailConfig#actions()}): BLOCK denies the value with {@link
 * DenialCodes#GUARDRAIL_BLOCKED}, REDACT passes it with what was found replaced, FLAG passes it
 * unchanged; every finding is in the result, for the trace. Immutable and safe to
 * share; built once per configuration (deny patterns are compiled here).
 *
 * <p>A JSON value is inspected string by string: every string value and every member name, in
 * document order. Redaction keeps the structure (a redacted name stays a member; if it would
 * become the name of another member of the same object, the value is blocked instead). Sizes are
 * bounded: past {@code maxResponseChars} (or {@code maxPromptChars}) characters, counted over all
 * strings, nothing more is inspected and the rest is a {@link FindingKind#SIZE} finding (REDACT
 * truncates it); containers nested deeper than {@code maxDepth} are a SIZE finding too (REDACT
 * replaces them by the string {@code [TRUNCATED]}). Inspection is linear in the characters
 * inspected.
 */
public final class GuardrailPolicy {
  public static final String NAME = "guardrails";

  private final GuardrailConfig config;
  private final List<Inspector> responseInspectors;
  private final List<Inspector> requestInspectors;

  public GuardrailPolicy(GuardrailConfig config) {
    this.config = Objects.requireNonNull(config, "config");
    List<Inspector> r = new ArrayList<>();
    if (config.enabled().contains(FindingKind.HIDDEN_UNICODE)) {
      r.add(new HiddenUnicodeInspector());
    }
    if (config.enabled().contains(FindingKind.PROMPT_INJECTION)) {
      r.add(new PromptInjectionInspector());
    }
    if (config.enabled().contains(FindingKind.EXFIL_LINK)) {
      r.add(new ExfilLinkInspector(config.allowedLinkHosts(), config.linkSegmentChars(), config.linkPathChars(),
          config.linkImagesOnly(), config.linkAnyExternal()));
    }
    DenyPatternInspector deny = null;
    if (config.enabled().contains(FindingKind.DENY_PATTERN) && !config.denyPatterns().isEmpty()) {
      deny = new DenyPatternInspector(config.denyPatterns());
      r.add(deny);
    }
    responseInspectors = List.copyOf(r);
    requestInspectors = deny == null ? List.of() : List.of(deny);
  }

  public GuardrailConfig config() {
    return config;
  }

  /** A tool or MCP result that is a plain string (findings' paths are {@code ""}). */
  public GuardrailResult<String> inspectResponse(String text) {
    Objects.requireNonNull(text, "text");
    Run run = new Run(responseInspectors, config.maxResponseChars(), "the tool result");
    String out = run.string(text, JsonPath.ROOT, false);
    return run.result(out);
  }

  /** A tool or MCP result as JSON: every string value and member name. */
  public GuardrailResult<JsonNode> inspectResponse(JsonNode value) {
    Objects.requireNonNull(value, "value");
    Run run = new Run(responseInspectors, config.maxResponseChars(), "the tool result");
    Tree tree = new Tree(run);
    tree.inspect(value, JsonPath.ROOT, 0);
    JsonNode out = run.block || tree.changed.isEmpty() ? value : tree.rebuild(value);
    return run.result(out);
  }

  /**
   * A model request in OpenAI's chat shape: the text of its messages (a string {@code content}, or
   * the {@code text} of each content part that has one) against the deny patterns and
   * {@code maxPromptChars}. Other members (tools, tool calls' arguments, names) are not inspected.
   *
   * @throws IllegalArgumentException when the body is not of that shape: not an object, no
   *     {@code messages} array, a message that is not an object, a {@code content} that is not a
   *     string, an array or null, a part that is not an object, a {@code text} part without a
   *     string {@code text} (the model face checks requests before; this is a programming error)
   */
  public GuardrailResult<JsonNode> inspectRequest(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw new IllegalArgumentException("a chat request must be a JSON object");
    }
    JsonNode messages = body.get("messages");
    if (messages == null || !messages.isArray()) {
      throw new IllegalArgumentException("a chat request needs a 'messages' array");
    }
    record Text(int message, int part, String text) {}
    List<Text> texts = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      JsonNode m = messages.get(i);
      if (!m.isObject()) {
        throw new IllegalArgumentException("/messages/" + i + " must be an object");
      }
      JsonNode content = m.get("content");
      if (content == null || content.isNull()) {
        continue;
      }
      if (content.isTextual()) {
        texts.add(new Text(i, -1, content.textValue()));
      } else if (content.isArray()) {
        for (int j = 0; j < content.size(); j++) {
          JsonNode part = content.get(j);
          if (!part.isObject()) {
            throw new IllegalArgumentException("/messages/" + i + "/content/" + j + " must be an object");
          }
          JsonNode text = part.get("text");
          if (text != null && text.isTextual()) {
            texts.add(new Text(i, j, text.textValue()));
          } else if ("text".equals(part.path("type").asText())) {
            throw new IllegalArgumentException("/messages/" + i + "/content/" + j + " is a text part without a string 'text'");
          }
        }
      } else {
        throw new IllegalArgumentException("/messages/" + i + "/content must be a string, an array of parts or null");
      }
    }
    Run run = new Run(requestInspectors, config.maxPromptChars(), "the model request");
    List<String> out = new ArrayList<>(texts.size());
    boolean changed = false;
    for (Text t : texts) {
      JsonPath path = JsonPath.ROOT.member("messages").element(t.message).member("content");
      if (t.part >= 0) {
        path = path.element(t.part).member("text");
      }
      String r = run.string(t.text, path, false);
      changed |= r != t.text;
      out.add(r);
    }
    if (run.block || !changed) {
      return run.result(body);
    }
    JsonNode copy = body.deepCopy();
    for (int k = 0; k < texts.size(); k++) {
      Text t = texts.get(k);
      ObjectNode message = (ObjectNode) copy.get("messages").get(t.message);
      if (t.part < 0) {
        message.put("content", out.get(k));
      } else {
        ((ObjectNode) message.get("content").get(t.part)).put("text", out.get(k));
      }
    }
    return run.result(copy);
  }

  /** What a model request's inspection passes on: its texts and its tool calls' arguments, each the one given when nothing in it was redacted. */
  public record RequestParts(List<String> texts, List<JsonNode> arguments) {
    public RequestParts {
      texts = List.copyOf(texts);
      arguments = List.copyOf(arguments);
    }
  }

  /**
   * A model request taken apart: its texts (what {@link #inspectRequest(JsonNode)} reads of a
   * message, in whatever dialect), then the arguments of the tool calls in its history as JSON
   * values (every string value and member name, as {@link #inspectResponse(JsonNode)} reads a
   * result), against the deny patterns and {@code maxPromptChars}, counted over all of them.
   * Findings' paths are {@code /texts/i} and {@code /arguments/i/...}.
   */
  public GuardrailResult<RequestParts> inspectRequest(List<String> texts, List<JsonNode> arguments) {
    Objects.requireNonNull(texts, "texts");
    Objects.requireNonNull(arguments, "arguments");
    Run run = new Run(requestInspectors, config.maxPromptChars(), "the model request");
    List<String> textsOut = new ArrayList<>(texts.size());
    for (int i = 0; i < texts.size(); i++) {
      textsOut.add(run.string(texts.get(i), JsonPath.ROOT.member("texts").element(i), false));
    }
    List<JsonNode> argumentsOut = new ArrayList<>(arguments.size());
    for (int i = 0; i < arguments.size(); i++) {
      JsonNode value = arguments.get(i);
      Tree tree = new Tree(run);
      tree.inspect(value, JsonPath.ROOT.member("arguments").element(i), 0);
      argumentsOut.add(run.block || tree.changed.isEmpty() ? value : tree.rebuild(value));
    }
    return run.result(new RequestParts(textsOut, argumentsOut));
  }

  /** One inspection: the size budget, what was found and what to do. */
  private final class Run {
    private final List<Inspector> inspectors;
    private final int maxChars;
    private final String subject;
    private final Map<FindingKind, Integer> counts = new EnumMap<>(FindingKind.class);
    private final List<Finding> listed = new ArrayList<>();
    private final Redaction redaction = new Redaction();
    private long seen;
    private int omitted;
    private boolean block;
    private boolean redact;
    private boolean flag;
    private String blockNote;

    Run(List<Inspector> inspectors, int maxChars, String subject) {
      this.inspectors = inspectors;
      this.maxChars = maxChars;
      this.subject = subject;
    }

    /**
     * Inspects one string, read with its JSON escapes decoded ({@link
     * dev.gatehouse.policies.text.JsonEscapes}: {@code \\u003c|im_start|\\u003e} is the marker it
     * spells); returns it, or its redacted form (a new string, decoded).
     */
    String string(String given, JsonPath path, boolean inKey) {
      String s = dev.gatehouse.policies.text.JsonEscapes.unescaped(given);
      int len = s.length();
      int scanned = (int) Math.min(len, Math.max(0, maxChars - seen));
      seen += len;
      FindingSink sink = (kind, start, end, reason, excerpt) -> record(kind, start, end, reason, excerpt, path, inKey);
      if (scanned < len) {
        sink.report(FindingKind.SIZE, scanned, len, "beyond the limit of " + maxChars + " characters (not inspected)", null);
      }
      for (Inspector inspector : inspectors) {
        inspector.inspect(s, scanned, sink);
      }
      if (block) {
        redaction.clear();
        return given;
      }
      String out = redaction.apply(s);
      return out == s ? given : out; // nothing redacted: the text as it came
    }

    void record(FindingKind kind, int start, int end, String reason, String excerpt, JsonPath path, boolean inKey) {
      counts.merge(kind, 1, Integer::sum);
      switch (config.action(kind)) {
        case BLOCK -> block = true;
        case REDACT -> {
          redact = true;
          redaction.add(start, end, kind);
        }
        case FLAG -> flag = true;
        default -> throw new IllegalStateException();
      }
      if (listed.size() < config.maxReportedFindings()) {
        listed.add(new Finding(kind, path.pointer(), inKey, start, end, reason, Excerpts.sanitize(excerpt)));
      } else {
        omitted++;
      }
    }

    void blockBecause(String note) {
      block = true;
      if (blockNote == null) {
        blockNote = note;
      }
    }

    <T> GuardrailResult<T> result(T value) {
      GuardrailResult.Outcome outcome =
          block ? GuardrailResult.Outcome.BLOCKED
              : redact ? GuardrailResult.Outcome.REDACTED
              : flag ? GuardrailResult.Outcome.FLAGGED : GuardrailResult.Outcome.CLEAN;
      Map<FindingKind, GuardrailAction> actions = new EnumMap<>(FindingKind.class);
      StringBuilder why = new StringBuilder();
      for (Map.Entry<FindingKind, Integer> e : counts.entrySet()) {
        actions.put(e.getKey(), config.action(e.getKey()));
        if (config.action(e.getKey()) == GuardrailAction.BLOCK) {
          why.append(why.length() == 0 ? "" : ", ").append(e.getKey().code()).append(" (").append(e.getValue()).append(')');
        }
      }
      if (blockNote != null) {
        why.append(why.length() == 0 ? "" : "; ").append(blockNote);
      }
      Decision d = block
          ? Decision.deny(NAME, DenialCodes.GUARDRAIL_BLOCKED, subject + " is blocked by guardrails: " + why)
          : Decision.allow(NAME);
      return new GuardrailResult<>(d, outcome, block ? null : value, listed, counts, actions, omitted);
    }
  }

  /**
   * A JSON value, walked twice in the same order: once to inspect (numbering each string and each
   * container cut at the depth limit), once, only if something was redacted, to build the copy.
   */
  private final class Tree {
    private final Run run;
    private final Map<Integer, String> changed = new HashMap<>();
    private int ordinal;

    Tree(Run run) {
      this.run = run;
    }

    void inspect(JsonNode node, JsonPath path, int depth) {
      if (node.isContainerNode() && depth > config.maxDepth()) {
        int o = ordinal++;
        run.record(FindingKind.SIZE, 0, 0, "nested deeper than " + config.maxDepth() + " levels (not inspected)", null, path, false);
        if (config.action(FindingKind.SIZE) == GuardrailAction.REDACT) {
          changed.put(o, FindingKind.SIZE.replacement());
        }
      } else if (node.isTextual()) {
        int o = ordinal++;
        String s = node.textValue();
        String r = run.string(s, path, false);
        if (r != s) {
          changed.put(o, r);
        }
      } else if (node.isObject()) {
        List<String> names = new ArrayList<>(node.size());
        boolean renamed = false;
        for (Map.Entry<String, JsonNode> e : node.properties()) {
          int o = ordinal++;
          JsonPath p = path.member(e.getKey());
          String r = run.string(e.getKey(), p, true);
          if (r != e.getKey()) {
            changed.put(o, r);
            renamed = true;
          }
          names.add(r);
          inspect(e.getValue(), p, depth + 1);
        }
        if (renamed && new HashSet<>(names).size() < names.size()) {
          run.blockBecause("a member name at '" + (path.parent() == null ? "/" : path.pointer())
              + "' would be redacted into the name of another member");
        }
      } else if (node.isArray()) {
        for (int i = 0; i < node.size(); i++) {
          inspect(node.get(i), path.element(i), depth + 1);
        }
      }
      // Numbers, booleans, null and binary values carry no text to inspect.
    }

    JsonNode rebuild(JsonNode root) {
      ordinal = 0;
      return rebuild(root, 0);
    }

    private JsonNode rebuild(JsonNode node, int depth) {
      if (node.isContainerNode() && depth > config.maxDepth() || node.isTextual()) {
        String r = changed.get(ordinal++);
        return r == null ? node : TextNode.valueOf(r);
      }
      if (node.isObject()) {
        ObjectNode copy = JsonNodeFactory.instance.objectNode();
        boolean any = false;
        for (Map.Entry<String, JsonNode> e : node.properties()) {
          String name = changed.getOrDefault(ordinal++, e.getKey());
          JsonNode v = rebuild(e.getValue(), depth + 1);
          any |= name != e.getKey() || v != e.getValue();
          copy.set(name, v);
        }
        return any ? copy : node;
      }
      if (node.isArray()) {
        ArrayNode copy = JsonNodeFactory.instance.arrayNode(node.size());
        boolean any = false;
        for (int i = 0; i < node.size(); i++) {
          JsonNode v = rebuild(node.get(i), depth + 1);
          any |= v != node.get(i);
          copy.add(v);
        }
        return any ? copy : node;
      }
      return node;
    }
  }
}
