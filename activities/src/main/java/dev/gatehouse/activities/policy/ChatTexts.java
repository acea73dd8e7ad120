package dev.gatehouse.activities.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.ModelCall;
import java.util.ArrayList;
import java.util.List;

/**
 * The texts of a model request or answer that PII and guardrail entries read, in either dialect,
 * in document order, and a copy with some of them replaced. Only text is read: images, audio and
 * base64 documents (that can run to megabytes), tool definitions, names and ids are not. The
 * arguments of tool calls are read as JSON, as a tool's are: {@link CallArguments}.
 *
 * <ul>
 *   <li>A chat request: each message's {@code content} (a string, or each part's {@code text} or
 *       {@code refusal}, and a tool result part's own {@code content}, a string or parts); an
 *       OpenAI assistant message's {@code refusal} and reasoning ({@code reasoning_content},
 *       {@code reasoning}) and the request's {@code prediction.content} (a string or
 *       parts); the stop sequences (OpenAI's {@code stop}, a string or strings; Anthropic's {@code
 *       stop_sequences}); Anthropic's {@code system} (a string or parts), and its text documents (a {@code
 *       document} part's {@code title}, {@code context} and its {@code source}: {@code data} of a
 *       {@code text} source, the parts of a {@code content} source) and search results (a {@code
 *       search_result} part's {@code title}, {@code source} and {@code content} parts), also
 *       inside a tool result, and the MCP connector's tool results ({@code mcp_tool_result}).
 *   <li>An embeddings request: {@code input} (a string, or each string of an array).
 *   <li>An answer: OpenAI's {@code choices[].message.content} (a string or parts), {@code
 *       refusal}, and the reasoning some OpenAI-compatible providers add ({@code
 *       reasoning_content}, {@code reasoning}); Anthropic's {@code content[].text}.
 *   <li>In both, a text part's citations: each {@code citations[].cited_text}, Anthropic's quote
 *       of the document it cites (an answer's text blocks carry them, and so does an assistant
 *       message a client sends back).
 * </ul>
 */
final class ChatTexts {
  private ChatTexts() {}

  /** Where a text is: a member of an object, or an element of an array. */
  private interface Slots {
    void at(ObjectNode parent, String member);

    void at(ArrayNode parent, int index);
  }

  /** The texts of a request, in order. */
  static List<String> ofRequest(ModelCall call) {
    List<String> out = new ArrayList<>();
    request(call.kind(), call.dialect(), call.body(), collector(out));
    return out;
  }

  /** A copy of the request's body with text {@code k} replaced by {@code texts.get(k)}; the body itself when none changed. */
  static ObjectNode withRequestTexts(ModelCall call, List<String> before, List<String> after) {
    if (same(before, after)) {
      return call.body();
    }
    ObjectNode copy = call.body().deepCopy();
    request(call.kind(), call.dialect(), copy, replacer(after));
    return copy;
  }

  /** The texts of an answer body in {@code dialect}, in order. */
  static List<String> ofAnswer(Dialect dialect, ObjectNode body) {
    List<String> out = new ArrayList<>();
    answer(dialect, body, collector(out));
    return out;
  }

  static ObjectNode withAnswerTexts(Dialect dialect, ObjectNode body, List<String> before, List<String> after) {
    if (same(before, after)) {
      return body;
    }
    ObjectNode copy = body.deepCopy();
    answer(dialect, copy, replacer(after));
    return copy;
  }

  private static boolean same(List<String> before, List<String> after) {
    for (int i = 0; i < before.size(); i++) {
      if (!before.get(i).equals(after.get(i))) {
        return false;
      }
    }
    return true;
  }

  private static void request(ModelCall.Kind kind, Dialect dialect, ObjectNode body, Slots s) {
    if (kind == ModelCall.Kind.EMBEDDINGS) {
      JsonNode input = body.get("input");
      if (input != null && input.isTextual()) {
        s.at(body, "input");
      } else if (input instanceof ArrayNode a) {
        for (int i = 0; i < a.size(); i++) {
          if (a.get(i).isTextual()) {
            s.at(a, i);
          }
        }
      }
      return;
    }
    if (dialect == Dialect.ANTHROPIC) {
      content(body, "system", s, 0);
    }
    JsonNode messages = body.get("messages");
    if (messages instanceof ArrayNode a) {
      for (JsonNode m : a) {
        if (m instanceof ObjectNode message) {
          content(message, "content", s, 0);
          if (dialect == Dialect.OPENAI) {
            // an assistant message sent back: its refusal, and the reasoning some providers read again
            for (String member : RedactingStreamSink.OTHER_TEXTS) {
              if (message.path(member).isTextual()) {
                s.at(message, member);
              }
            }
          }
        }
      }
    }
    if (dialect == Dialect.OPENAI && body.get("prediction") instanceof ObjectNode prediction) {
      content(prediction, "content", s, NESTED);
    }
    // Stop sequences: text the client writes, sent to the provider (which may echo the one it met).
    String stopMember = dialect == Dialect.OPENAI ? "stop" : "stop_sequences";
    JsonNode stop = body.get(stopMember);
    if (stop != null && stop.isTextual()) {
      s.at(body, stopMember);
    } else if (stop instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        if (a.get(i).isTextual()) {
          s.at(a, i);
        }
      }
    }
  }

  private static void answer(Dialect dialect, ObjectNode body, Slots s) {
    if (dialect == Dialect.ANTHROPIC) {
      content(body, "content", s, NESTED);
      return;
    }
    JsonNode choices = body.get("choices");
    if (choices instanceof ArrayNode a) {
      for (JsonNode c : a) {
        if (c.get("message") instanceof ObjectNode message) {
          content(message, "content", s, NESTED);
          for (String member : RedactingStreamSink.OTHER_TEXTS) {
            if (message.path(member).isTextual()) {
              s.at(message, member);
            }
          }
        }
      }
    }
  }

  /**
   * How deep {@link #content} reads parts inside parts: a request's own parts are at 0; a tool
   * result, a search result or a text document inside them at 1, and one of those inside a tool
   * result at 2. Deeper parts are not read, as no provider accepts them.
   */
  private static final int NESTED = 2;

  /**
   * {@code owner.member}: a string, or parts with a string {@code text}; below {@link #NESTED}
   * also the texts inside a tool result's {@code content}, a search result's {@code content} and
   * a text document.
   */
  private static void content(ObjectNode owner, String member, Slots s, int depth) {
    JsonNode content = owner.get(member);
    if (content == null) {
      return;
    }
    if (content.isTextual()) {
      s.at(owner, member);
      return;
    }
    if (content instanceof ArrayNode parts) {
      for (JsonNode p : parts) {
        if (p instanceof ObjectNode part) {
          if (part.path("text").isTextual()) {
            s.at(part, "text");
          }
          if (part.path("refusal").isTextual()) {
            s.at(part, "refusal"); // an OpenAI refusal part ({"type":"refusal","refusal":...})
          }
          citations(part, s);
          if (depth < NESTED) {
            nested(part, s, depth + 1);
          }
        }
      }
    }
  }

  /** The quotes of a text part's citations ({@code citations[].cited_text}). */
  private static void citations(ObjectNode part, Slots s) {
    if (part.get("citations") instanceof ArrayNode citations) {
      for (JsonNode c : citations) {
        if (c instanceof ObjectNode citation && citation.path("cited_text").isTextual()) {
          s.at(citation, "cited_text");
        }
      }
    }
  }

  /** The texts inside a tool result (an MCP connector's too), a search result (its title and source too) or a text document part (its title and context too). */
  private static void nested(ObjectNode part, Slots s, int depth) {
    switch (part.path("type").asText()) {
      case "tool_result", "mcp_tool_result" -> content(part, "content", s, depth);
      case "search_result" -> {
        for (String member : new String[] {"title", "source"}) {
          if (part.path(member).isTextual()) {
            s.at(part, member);
          }
        }
        content(part, "content", s, depth);
      }
      case "document" -> {
        for (String member : new String[] {"title", "context"}) {
          if (part.path(member).isTextual()) {
            s.at(part, member);
          }
        }
        if (part.get("source") instanceof ObjectNode source) {
          String kind = source.path("type").asText();
          if ("text".equals(kind) && source.path("data").isTextual()) {
            s.at(source, "data");
          } else if ("content".equals(kind)) {
            content(source, "content", s, depth);
          }
        }
      }
      default -> {}
    }
  }

  private static Slots collector(List<String> out) {
    return new Slots() {
      @Override
      public void at(ObjectNode parent, String member) {
        out.add(parent.get(member).textValue());
      }

      @Override
      public void at(ArrayNode parent, int index) {
        out.add(parent.get(index).textValue());
      }
    };
  }

  private static Slots replacer(List<String> texts) {
    return new Slots() {
      int k;

      @Override
      public void at(ObjectNode parent, String member) {
        String t = texts.get(k++);
        if (!t.equals(parent.get(member).textValue())) {
          parent.set(member, TextNode.valueOf(t));
        }
      }

      @Override
      public void at(ArrayNode parent, int index) {
        String t = texts.get(k++);
        if (!t.equals(parent.get(index).textValue())) {
          parent.set(index, TextNode.valueOf(t));
        }
      }
    };
  }
}
