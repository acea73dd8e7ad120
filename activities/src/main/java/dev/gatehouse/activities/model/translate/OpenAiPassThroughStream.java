package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.ModelUsage;
import dev.gatehouse.activities.model.StreamSink;
import dev.gatehouse.activities.sse.SseEvent;
import dev.gatehouse.activities.text.UpstreamJson;
import java.io.IOException;

/**
 * OpenAI to OpenAI: each chunk goes on exactly as the provider sent it, but for the usage-only
 * chunk (no choices, a usage) that Gatehouse asked for, which is dropped when the caller did not
 * ask for it, and for tool calls sent without an {@code index}, which are given one. A chunk is
 * read with the streaming parser, for what the tap needs; no tree is built but for a chunk whose
 * calls are given an index.
 *
 * <p>Some OpenAI-compatible servers (Gemini's, older Ollama's) stream tool calls without the
 * {@code index} OpenAI's chunks always carry, and the OpenAI SDKs' stream helpers then fail
 * ("invalid tool call index") or merge parallel calls into one. Such a call gets the next index of
 * its choice when it carries an {@code id} other than the last such call's, and that call's index
 * when it does not (a fragment continuing it).
 */
final class OpenAiPassThroughStream extends StreamTap {
  /** Reads one member's value as a tree, the parser then on its last token (the whole chunk is checked by {@link #scan}). */
  private static final ObjectMapper TREES = UpstreamJson.bounded(new ObjectMapper());

  private final boolean clientWantsUsage;
  private final Choices choices = new Choices();
  /** Each followed choice's calls' indexes: their own, or given when the provider sent none. */
  private final java.util.Map<Integer, ToolCallIndexes> callIndexes = new java.util.HashMap<>();
  private boolean finishSeen;
  private boolean done;
  /** The first chunk read: its id, model and time go on a usage chunk Gatehouse writes ({@link #estimatedUsage}). */
  private Scan first;

  /** The choices seen begun and finished, by index (up to {@link #MAX_INDEX}; others are not followed). */
  private static final class Choices {
    static final int MAX_INDEX = 1024;
    final java.util.BitSet begun = new java.util.BitSet();
    final java.util.BitSet finished = new java.util.BitSet();

    void seen(int index, boolean finishes) {
      if (index >= 0 && index < MAX_INDEX) {
        begun.set(index);
        if (finishes) {
          finished.set(index);
        }
      }
    }

    boolean allFinished() {
      return begun.equals(finished);
    }
  }

  OpenAiPassThroughStream(boolean clientWantsUsage) {
    super(Dialect.OPENAI);
    this.clientWantsUsage = clientWantsUsage;
  }

  @Override
  public void accept(SseEvent upstream, StreamSink out) throws IOException {
    if (done) {
      return;
    }
    if (OpenAiChunks.isDone(upstream)) {
      done = true;
      complete = true;
      estimatedUsage(out);
      out.event(null, OpenAiChunks.DONE);
      return;
    }
    int relayedBefore = relayedLength();
    Scan chunk;
    try {
      chunk = scan(upstream.data());
    } catch (RuntimeException e) {
      unrelay(relayedBefore); // a broken chunk's text counts no more than a tree that failed to parse would have
      throw e;
    }
    if (chunk.error != null) {
      unrelay(relayedBefore);
      throw upstreamFailed(chunk.error);
    }
    if (chunk.usage != null) {
      usage = chunk.usage;
    }
    if (first == null) {
      first = chunk;
    }
    finishSeen |= chunk.finished;
    // Complete (the rest is not waited for) at the usage-only chunk that follows the finish, or at a
    // chunk with a usage in which the last of the choices begun finishes. Not at the first finish
    // with some usage: a choice of n may still be writing, and some servers put a running usage in
    // every chunk, so the one before the finish is not the last.
    complete |= chunk.usage != null && finishSeen && (chunk.noChoices || chunk.finished && choices.allFinished());
    if (chunk.hasUsage && chunk.noChoices && !clientWantsUsage) {
      return; // the usage chunk Gatehouse asked for, not the caller
    }
    out.event(null, chunk.calls == null ? upstream.data() : indexed(upstream.data(), chunk.calls));
  }

  /**
   * Notes the calls' indexes; {@code data} as it came when each had one, else with those that had
   * none given one ({@link ToolCallIndexes}, per choice; choices past {@link Choices#MAX_INDEX}
   * are not followed, and left as they came).
   */
  private String indexed(String data, java.util.List<Call> calls) {
    java.util.List<Integer> given = null;
    for (Call c : calls) {
      if (c.choice < 0 || c.choice >= Choices.MAX_INDEX) {
        continue;
      }
      int index = callIndexes.computeIfAbsent(c.choice, k -> new ToolCallIndexes()).of(c.index, c.id);
      if (c.index < 0) {
        if (given == null) {
          given = new java.util.ArrayList<>();
        }
        given.add(index);
      }
    }
    if (given == null) {
      return data;
    }
    // The same calls in the same order as the scan read them: each without an index takes the next given.
    java.util.Iterator<Integer> next = given.iterator();
    com.fasterxml.jackson.databind.node.ObjectNode tree = (com.fasterxml.jackson.databind.node.ObjectNode) Json.parse(data);
    int position = 0;
    for (JsonNode choice : tree.path("choices")) {
      // As the scan reads it: a whole number's value (-1 past an int), else its place.
      JsonNode i = choice.path("index");
      int choiceIndex = !i.isIntegralNumber() ? position : i.canConvertToInt() ? i.intValue() : -1;
      position++;
      if (choiceIndex < 0 || choiceIndex >= Choices.MAX_INDEX) {
        continue;
      }
      for (JsonNode call : choice.path("delta").path("tool_calls")) {
        if (call instanceof com.fasterxml.jackson.databind.node.ObjectNode o && ToolCallIndexes.given(o.get("index")) < 0 && next.hasNext()) {
          o.put("index", next.next());
        }
      }
    }
    return tree.toString();
  }

  /** A tool call of a chunk: its choice, its {@code index} (-1 when it has none that is a whole number from 0 up), its id (or null). */
  private record Call(int choice, int index, String id) {}

  /** A call fragment's index and id, as the scan read them. */
  private record Seen(int index, String id) {}

  /** What a chunk says that the relay needs; its text goes to {@link #relay} as it is read. */
  private static final class Scan {
    JsonNode error;
    /** Its {@code id}, {@code model} and {@code created}, when they are a string, a string and a whole number. */
    String id;
    String model;
    long created = -1;
    /** Its usage, null when it has none or its counts are not counts. */
    ModelUsage usage;
    /** It has a {@code usage} object (whether or not its counts are counts). */
    boolean hasUsage;
    boolean finished;
    /** {@code choices} is an empty array. */
    boolean noChoices;
    /** Its tool calls, when it has any (most chunks have none). */
    java.util.List<Call> calls;
  }

  /**
   * Reads a chunk with the streaming parser (no tree: the chunk itself is relayed as it came): an
   * {@code error} that is not null, the {@code usage}, each choice's {@code delta} text (content,
   * refusal, tool-call arguments) and whether it has a {@code finish_reason}. A chunk that is not
   * one JSON object breaks the stream, as a parsed one would.
   */
  private Scan scan(String data) {
    Scan scan = new Scan();
    try (JsonParser p = Json.MAPPER.getFactory().createParser(data)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw notAnObject();
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        switch (name) {
          case "error" -> {
            JsonNode error = TREES.readTree(p);
            scan.error = error == null || error.isNull() ? null : error;
          }
          case "usage" -> {
            scan.hasUsage = value == JsonToken.START_OBJECT;
            scan.usage = scan.hasUsage ? Usages.fromOpenAi(TREES.readTree(p)) : skip(p, null);
          }
          case "choices" -> choices(p, value, scan);
          // read until a first chunk is kept (no text made of them for every chunk after)
          case "id" -> scan.id = first == null && value == JsonToken.VALUE_STRING ? p.getText() : skip(p, null);
          case "model" -> scan.model = first == null && value == JsonToken.VALUE_STRING ? p.getText() : skip(p, null);
          case "created" ->
              scan.created =
                  first == null && value == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER
                      ? p.getLongValue()
                      : skip(p, -1L);
          default -> p.skipChildren();
        }
      }
      if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
        throw notAnObject();
      }
    } catch (IOException e) {
      throw notAnObject();
    }
    return scan;
  }

  private void choices(JsonParser p, JsonToken value, Scan scan) throws IOException {
    int position = 0;
    if (value == JsonToken.START_ARRAY) {
      scan.noChoices = true;
      while (p.nextToken() != JsonToken.END_ARRAY) {
        scan.noChoices = false;
        choice(p, scan, position++);
      }
    } else if (value == JsonToken.START_OBJECT) {
      // Not what OpenAI sends; its members are taken as the choices, as a tree's iteration would.
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        p.nextToken();
        choice(p, scan, position++);
      }
    }
  }

  /** One choice (the parser on its first token): its index, its delta's text, its finish. */
  private void choice(JsonParser p, Scan scan, int position) throws IOException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      p.skipChildren();
      return;
    }
    int index = position;
    boolean finishes = false;
    java.util.List<Seen> calls = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      if (name.equals("index") && value == JsonToken.VALUE_NUMBER_INT) {
        index = p.getNumberType() == JsonParser.NumberType.INT ? p.getIntValue() : -1;
      } else if (name.equals("finish_reason")) {
        finishes |= value != JsonToken.VALUE_NULL;
        p.skipChildren();
      } else if (name.equals("delta") && value == JsonToken.START_OBJECT) {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String member = p.currentName();
          JsonToken v = p.nextToken();
          if ((member.equals("content") || member.equals("refusal")) && v == JsonToken.VALUE_STRING) {
            relay(p.getText());
          } else if (member.equals("tool_calls") && v == JsonToken.START_ARRAY) {
            calls = toolCalls(p, calls == null ? new java.util.ArrayList<>() : calls);
          } else {
            p.skipChildren();
          }
        }
      } else {
        p.skipChildren();
      }
    }
    scan.finished |= finishes;
    choices.seen(index, finishes);
    if (calls != null) {
      if (scan.calls == null) {
        scan.calls = new java.util.ArrayList<>();
      }
      for (Seen call : calls) {
        scan.calls.add(new Call(index, call.index(), call.id()));
      }
    }
  }

  /**
   * A delta's tool calls (the parser on the array's start): each one's {@code function.arguments}
   * relayed, and its {@code index} (-1 when it has none that is a whole number from 0 up) and
   * {@code id} added to {@code seen}, which is returned.
   */
  private java.util.List<Seen> toolCalls(JsonParser p, java.util.List<Seen> seen) throws IOException {
    while (p.nextToken() != JsonToken.END_ARRAY) {
      if (p.currentToken() != JsonToken.START_OBJECT) {
        p.skipChildren();
        continue;
      }
      int callIndex = -1;
      String id = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String member = p.currentName();
        JsonToken v = p.nextToken();
        if (member.equals("index") && v == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT) {
          callIndex = Math.max(-1, p.getIntValue());
        } else if (member.equals("id") && v == JsonToken.VALUE_STRING) {
          id = p.getText();
        } else if (member.equals("function") && v == JsonToken.START_OBJECT) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken a = p.nextToken();
            if (field.equals("arguments") && a == JsonToken.VALUE_STRING) {
              relay(p.getText());
            } else {
              p.skipChildren();
            }
          }
        } else {
          p.skipChildren();
        }
      }
      seen.add(new Seen(callIndex, id));
    }
    return seen;
  }

  private static <T> T skip(JsonParser p, T none) throws IOException {
    p.skipChildren();
    return none;
  }

  private static RuntimeException notAnObject() {
    return Json.upstream("the provider's stream sent an event that is not a JSON object", false);
  }

  /**
   * When the caller asked for usage ({@code stream_options.include_usage}) and the provider's stream
   * finished without reporting any, a usage-only chunk with what Gatehouse meters instead (its
   * estimate, as a translated stream's end carries), so the caller's count and the meter agree.
   */
  private void estimatedUsage(StreamSink out) throws IOException {
    if (!clientWantsUsage || usage != null || estimate == null || first == null || !finishSeen) {
      return;
    }
    com.fasterxml.jackson.databind.node.ObjectNode chunk = Json.object();
    chunk.put("id", first.id).put("object", "chat.completion.chunk");
    if (first.created >= 0) {
      chunk.put("created", first.created);
    }
    chunk.put("model", first.model).putArray("choices");
    chunk.set("usage", Usages.toOpenAi(estimate.apply(relayedText())));
    out.event(null, Json.write(chunk));
  }

  @Override
  public void finish(StreamSink out) throws IOException {
    if (!done) {
      done = true;
      estimatedUsage(out);
      out.event(null, OpenAiChunks.DONE);
    }
  }
}
