package dev.gatehouse.activities.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.registry.models.ModelDefinition;

/**
 * The most output a model call may get, as budgets, task budgets and rate limits reserve it: per
 * choice its {@code max_tokens} (or {@code max_completion_tokens}), no more than the model's
 * {@code maxOutput}; the model's {@code maxOutput} when it sets neither; else {@link
 * #DEFAULT_MAX_OUTPUT}; times the choices it asks for ({@code n}, OpenAI's chat only: each choice
 * is written and billed; Anthropic's Messages has no {@code n}, and one there is passed on
 * unread, as every member Gatehouse does not read is, and counts for nothing). {@link
 * ValidateModelRequest} has refused a {@code max_tokens} or {@code n} that is not a whole number in
 * range before any of this is read; the products and sums here saturate at {@link Long#MAX_VALUE}
 * all the same (a worst case that wrapped round to a negative number reserved nothing).
 */
public final class OutputBound {
  /** What a call that bounds its output nowhere (nor its model) is taken to write at most, per choice. */
  public static final long DEFAULT_MAX_OUTPUT = 4096;

  private OutputBound() {}

  /** The most output of the call of {@code dialect} with {@code body} to {@code model} (null: unknown), all its choices. */
  public static long maxOutput(Dialect dialect, JsonNode body, ModelDefinition model) {
    long asked = asked(body);
    Integer modelMax = model == null ? null : model.maxOutput();
    long perChoice;
    if (asked > 0) {
      perChoice = modelMax != null && modelMax > 0 ? Math.min(asked, modelMax) : asked;
    } else {
      perChoice = modelMax != null && modelMax > 0 ? modelMax : DEFAULT_MAX_OUTPUT;
    }
    return times(perChoice, choices(dialect, body));
  }

  /**
   * The chat request {@code body} of {@code from}'s dialect as it goes to a provider of {@code to}'s
   * through alias {@code target} (the alias the agent named, {@code named}, or one of its
   * fallbacks), with its output bounded by what was reserved: a {@code max_tokens} or {@code
   * max_completion_tokens} over the {@code maxOutput} of {@code named} (or of {@code target}, when
   * less) is lowered to it, since the budgets reserved no more and the provider would write what
   * was asked. A request that sets neither gets the bound only when it is translated (the
   * translator reads it; an Anthropic request must have one, and would else get the
   * translator's default): sent as it is, a member the client did not send could be refused by a
   * provider that does not know it. Returns {@code body} itself when nothing changes, else a
   * shallow copy.
   */
  public static ObjectNode forProvider(Dialect from, Dialect to, ObjectNode body, ModelDefinition named, ModelDefinition target) {
    long bound = Math.min(positive(named), positive(target));
    if (bound == Long.MAX_VALUE) {
      return body;
    }
    ObjectNode out = body;
    boolean set = false;
    for (String member : new String[] {"max_tokens", "max_completion_tokens"}) {
      JsonNode v = body.get(member);
      if (v == null || v.isNull()) {
        continue;
      }
      set = true;
      if (v.isIntegralNumber() && v.canConvertToLong() && v.longValue() > bound) {
        out = out == body ? shallowCopy(body) : out;
        out.put(member, bound);
      }
    }
    if (!set && from != to) {
      out = shallowCopy(body);
      out.put(from == Dialect.OPENAI ? "max_completion_tokens" : "max_tokens", bound);
    }
    return out;
  }

  private static ObjectNode shallowCopy(ObjectNode body) {
    ObjectNode copy = body.objectNode();
    copy.setAll(body);
    return copy;
  }

  private static long positive(ModelDefinition model) {
    Integer max = model == null ? null : model.maxOutput();
    return max != null && max > 0 ? max : Long.MAX_VALUE;
  }

  /** What the call asked for in all its choices ({@code max_tokens} times {@code n}); 0 when it set no limit. */
  public static long askedInAll(Dialect dialect, JsonNode body) {
    return times(asked(body), choices(dialect, body));
  }

  /** {@code a + b} of two counts, {@link Long#MAX_VALUE} when it would overflow. */
  public static long plus(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
  }

  /** {@code a * b} of two counts, {@link Long#MAX_VALUE} when it would overflow. */
  static long times(long a, long b) {
    try {
      return Math.multiplyExact(a, b);
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /** The call's {@code max_tokens} or {@code max_completion_tokens} (the larger); 0 when it sets neither. */
  static long asked(JsonNode body) {
    long asked = 0;
    for (String member : new String[] {"max_tokens", "max_completion_tokens"}) {
      JsonNode v = body == null ? null : body.get(member);
      if (v != null && v.isIntegralNumber() && v.canConvertToLong() && v.longValue() > 0) {
        asked = Math.max(asked, v.longValue());
      }
    }
    return asked;
  }

  /** How many choices the call asks for: its {@code n} on OpenAI's chat, at least 1; 1 on Anthropic's Messages. */
  static long choices(Dialect dialect, JsonNode body) {
    if (dialect != Dialect.OPENAI) {
      return 1;
    }
    JsonNode n = body == null ? null : body.get("n");
    return n != null && n.isIntegralNumber() && n.canConvertToLong() && n.longValue() > 1 ? n.longValue() : 1;
  }
}
