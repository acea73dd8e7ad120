package dev.gatehouse.workflows.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * How large a pipeline may grow while it runs. A template can repeat a large value many times
 * (a 400 KB input read 30 times is 12 MB of arguments), and every step's arguments and every
 * output travel through the workflow history, where Temporal refuses a payload over 2 MiB and a
 * message over 4 MiB: a task over those limits would fail its workflow task forever instead of
 * ending. These limits stay well under Temporal's, and are checked twice: at submit, with the
 * task input known ({@link #checkSubmitted}), and in the workflow, once the outputs a step reads
 * are known.
 *
 * <p>Sizes are bytes of JSON text, counted as an upper bound: a step's arguments count as their
 * template plus, for every {@code ${...}}, the JSON text of the value it names, twice over when a
 * value that is not text goes into a text (its JSON text is escaped again there: each quote
 * becomes two bytes); a model step's messages count as its arguments, plus once more, escaped, a
 * {@code content} that is sent as its JSON text ({@link ModelSteps#body}: an object or a scalar).
 * Pure and deterministic, so workflow code may call it.
 */
public final class Expansion {
  /** The most one step's arguments may hold once their templates are filled. */
  public static final long MAX_STEP_ARGS_BYTES = 256 * 1024;
  /** The most the arguments of all steps of one pipeline may hold together. */
  public static final long MAX_TOTAL_ARGS_BYTES = 1024 * 1024;
  /** The most the outputs of all steps together may hold (they are the task's result). */
  public static final long MAX_TOTAL_OUTPUTS_BYTES = 1024 * 1024;
  /**
   * The deepest one step's arguments (or messages) may nest once their templates are filled. A
   * template can put a deep value inside another (an input nested 990 levels, in arguments nested
   * as deep): the request that carries them, and the task's trace, would then pass the 1,000
   * levels JSON is written with, and the workflow could not record the step at all.
   */
  public static final int MAX_ARGS_DEPTH = 500;

  private Expansion() {}

  /**
   * Refuses a pipeline whose arguments, filled from {@code input}, exceed the limits. Step outputs
   * are not known yet and count as nothing here; the workflow checks them when each step starts.
   *
   * @throws InvalidPipelineException {@code expansion_too_large}
   */
  public static void checkSubmitted(PipelineDefinition pipeline, JsonNode input) {
    ObjectNode context = JsonNodeFactory.instance.objectNode();
    context.set("input", input == null ? JsonNodeFactory.instance.nullNode() : input);
    context.putObject("steps");
    Sizes sizes = new Sizes(context);
    long total = 0;
    for (PipelineStep step : pipeline.steps()) {
      long size = sizes.step(step);
      if (size > MAX_STEP_ARGS_BYTES) {
        throw tooLarge(stepTooLarge(step, size));
      }
      total += size;
      if (total > MAX_TOTAL_ARGS_BYTES) {
        throw tooLarge(totalTooLarge(total));
      }
      int depth = sizes.depth(step);
      if (depth > MAX_ARGS_DEPTH) {
        throw tooLarge(stepTooDeep(step, depth));
      }
    }
  }

  /** Counts sizes against one template context, remembering the size of each value it measured. */
  static final class Sizes {
    private final JsonNode context;
    private final Map<JsonNode, Long> measured = new IdentityHashMap<>();
    private final Map<JsonNode, Integer> depths = new IdentityHashMap<>();

    Sizes(JsonNode context) {
      this.context = context;
    }

    /**
     * At most how many bytes {@code template} holds once filled from the context; a reference to
     * a value the context does not hold (yet) counts as nothing. Stops counting a little past
     * {@link #MAX_TOTAL_ARGS_BYTES}: any larger answer means "too large".
     */
    long args(JsonNode template) {
      long size = of(template);
      for (Templates.Use use : Templates.uses(template)) {
        JsonNode value = Templates.find(use.ref(), context);
        if (!value.isMissingNode()) {
          long bytes = measured.computeIfAbsent(value, Expansion::of);
          // Inside a text, a value that is not text is its JSON text, escaped again: at most twice as long.
          size += use.whole() || value.isTextual() ? bytes : 2 * bytes;
        }
        if (size > MAX_TOTAL_ARGS_BYTES) {
          return size;
        }
      }
      return size;
    }

    /**
     * At most how many bytes {@code step}'s arguments (a tool step) or messages (a model step) hold
     * once filled from the context, as {@link #args} counts them; a model step's {@code content}
     * that is sent as its JSON text ({@link ModelSteps#body}) counts once more.
     */
    long step(PipelineStep step) {
      long size = args(step.template());
      if (!step.callsModel() || step.template() == null || !step.template().isArray()) {
        return size;
      }
      for (JsonNode message : step.template()) {
        JsonNode content = message.isObject() ? message.get("content") : null;
        if (content == null || size > MAX_TOTAL_ARGS_BYTES) {
          continue;
        }
        if (content.isObject() || content.isNumber() || content.isBoolean()) {
          size += args(content) + 2;
        } else if (content.isTextual()) {
          Templates.Reference ref = Templates.whole(content.textValue());
          JsonNode value = ref == null ? null : Templates.find(ref, context);
          if (value != null && !value.isMissingNode() && !value.isTextual() && !value.isArray() && !value.isNull()) {
            size += measured.computeIfAbsent(value, Expansion::of) + 2;
          }
        }
      }
      return size;
    }

    /**
     * How many levels {@code step}'s arguments (or messages) nest once filled from the context: a
     * value a whole-text reference names takes the text's place, nested where the text was; a
     * reference inside a longer text adds text only. A reference to a value the context does not
     * hold (yet) counts as text. Counted up to a little past {@link #MAX_ARGS_DEPTH}.
     */
    int depth(PipelineStep step) {
      return filled(step.template(), 0);
    }

    private int filled(JsonNode node, int level) {
      if (node == null || level > MAX_ARGS_DEPTH) {
        return level;
      }
      if (node.isTextual()) {
        Templates.Reference ref = Templates.whole(node.textValue());
        JsonNode value = ref == null ? null : Templates.find(ref, context);
        return value == null || value.isMissingNode() ? level : level + depths.computeIfAbsent(value, v -> depthOf(v, MAX_ARGS_DEPTH + 1));
      }
      if (!node.isContainerNode()) {
        return level;
      }
      int deepest = level + 1;
      for (JsonNode child : node) {
        deepest = Math.max(deepest, filled(child, level + 1));
        if (deepest > MAX_ARGS_DEPTH) {
          break;
        }
      }
      return deepest;
    }
  }

  /**
   * How many levels {@code node} nests (a scalar none, an empty array or object one), counted up
   * to {@code cap}: a deeper node answers {@code cap}.
   */
  public static int depthOf(JsonNode node, int cap) {
    if (node == null || !node.isContainerNode()) {
      return 0;
    }
    if (cap <= 1) {
      return 1;
    }
    int deepest = 1;
    for (JsonNode child : node) {
      deepest = Math.max(deepest, 1 + depthOf(child, cap - 1));
      if (deepest >= cap) {
        return cap;
      }
    }
    return deepest;
  }

  /**
   * At most how many bytes {@code node}'s JSON text holds (UTF-8, every escape counted at its
   * longest), counted up to a little past the largest limit. Walks the tree: the workflow
   * classpath has no I/O to serialize with, and nothing needs building.
   */
  public static long of(JsonNode node) {
    return new Measure(Math.max(MAX_TOTAL_ARGS_BYTES, MAX_TOTAL_OUTPUTS_BYTES) + 1).add(node).count;
  }

  private static final class Measure {
    private final long cap;
    private long count;

    Measure(long cap) {
      this.cap = cap;
    }

    Measure add(JsonNode node) {
      if (count > cap) {
        return this;
      }
      if (node == null || node.isNull() || node.isMissingNode()) {
        count += 4;
      } else if (node.isTextual()) {
        count += text(node.textValue());
      } else if (node.isArray()) {
        count += 2 + Math.max(0, node.size() - 1);
        for (JsonNode e : node) {
          add(e);
        }
      } else if (node.isObject()) {
        count += 2 + Math.max(0, node.size() - 1);
        for (Map.Entry<String, JsonNode> e : node.properties()) {
          count += text(e.getKey()) + 1;
          add(e.getValue());
        }
      } else {
        count += node.asText().length() + 2; // a number or boolean; the quotes cover a binary's base64
      }
      return this;
    }

    private long text(String s) {
      long n = 2;
      for (int i = 0; i < s.length() && count + n <= cap; i++) {
        char c = s.charAt(i);
        if (c < 0x20 || c == '"' || c == '\\') {
          n += 6;
        } else if (c < 0x80) {
          n += 1;
        } else if (c < 0x800 || Character.isSurrogate(c)) {
          n += 2;
        } else {
          n += 3;
        }
      }
      return n;
    }
  }

  static String stepTooLarge(PipelineStep step, long size) {
    return "step '" + step.id() + "': its " + (step.callsModel() ? "messages" : "arguments") + " would hold " + (size > MAX_TOTAL_ARGS_BYTES ? "over " + MAX_TOTAL_ARGS_BYTES : size)
        + " bytes once the templates are filled; at most " + MAX_STEP_ARGS_BYTES + " are allowed";
  }

  static String stepTooDeep(PipelineStep step, int depth) {
    return "step '" + step.id() + "': its " + (step.callsModel() ? "messages" : "arguments") + " would nest "
        + (depth > MAX_ARGS_DEPTH ? "more than " + MAX_ARGS_DEPTH : depth) + " levels deep once the templates are filled; at most "
        + MAX_ARGS_DEPTH + " are allowed";
  }

  static String totalTooLarge(long total) {
    return "the arguments of the pipeline's steps would hold over " + Math.min(total, MAX_TOTAL_ARGS_BYTES)
        + " bytes together once the templates are filled; at most " + MAX_TOTAL_ARGS_BYTES + " are allowed";
  }

  private static InvalidPipelineException tooLarge(String message) {
    return new InvalidPipelineException("expansion_too_large", message);
  }
}
