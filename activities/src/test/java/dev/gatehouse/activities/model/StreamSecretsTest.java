package dev.gatehouse.activities.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.activities.credentials.UpstreamCredentials;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A provider's key kept out of a streamed answer though the provider cuts it across events. */
class StreamSecretsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KEY = "sk-test-5ecret-Value-42";
  private static final UpstreamCredentials.Resolved SECRETS =
      new UpstreamCredentials.Resolved(Map.of("Authorization", "Bearer " + KEY), Set.of(KEY, "Bearer " + KEY, "ab"));

  /** The events a sink received: name, then data. */
  private static final class Events implements StreamSink {
    final List<String[]> events = new ArrayList<>();

    @Override
    public void open() {}

    @Override
    public void event(String name, String data) {
      events.add(new String[] {name, data});
    }

    /** Every event's data, one after another. */
    String all() {
      StringBuilder b = new StringBuilder();
      events.forEach(e -> b.append(e[1]).append('\n'));
      return b.toString();
    }

    /** The OpenAI texts a client puts together: choice 0's member, or tool call 0's arguments. */
    String openAi(String member) throws IOException {
      StringBuilder b = new StringBuilder();
      for (String[] e : events) {
        if (e[1].equals("[DONE]")) {
          continue;
        }
        JsonNode delta = JSON.readTree(e[1]).path("choices").path(0).path("delta");
        if (member.equals("arguments")) {
          for (JsonNode call : delta.path("tool_calls")) {
            b.append(call.path("function").path("arguments").asText(""));
          }
        } else {
          b.append(delta.path(member).asText(""));
        }
      }
      return b.toString();
    }

    /** The Anthropic text of every block: each block's start text and deltas, in order. */
    String anthropic(String member) throws IOException {
      StringBuilder b = new StringBuilder();
      for (String[] e : events) {
        JsonNode node = JSON.readTree(e[1]);
        if ("content_block_start".equals(e[0])) {
          b.append(node.path("content_block").path("text").asText(""));
        } else if ("content_block_delta".equals(e[0])) {
          b.append(node.path("delta").path(member).asText(""));
        }
      }
      return b.toString();
    }
  }

  private static String chunk(String deltaJson, String finishReason) {
    return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"m\","
        + "\"choices\":[{\"index\":0,\"delta\":" + deltaJson + ",\"finish_reason\":"
        + (finishReason == null ? "null" : "\"" + finishReason + "\"") + "}]}";
  }

  private static String content(String text) {
    return "{\"content\":" + JSON.valueToTree(text) + "}";
  }

  private static Events openAiStream(String... pieces) throws IOException {
    StreamSecrets s = new StreamSecrets(Dialect.OPENAI, SECRETS);
    Events out = new Events();
    for (String piece : pieces) {
      s.event(null, chunk(content(piece), null), out);
    }
    s.event(null, chunk("{}", "stop"), out);
    s.event(null, "[DONE]", out);
    return out;
  }

  @Test
  void aKeyCutAcrossOpenAiChunksIsRedactedAndTheTextIsOtherwiseTheSame() throws IOException {
    for (int cut = 1; cut < KEY.length(); cut++) {
      Events out = openAiStream("your key is " + KEY.substring(0, cut), KEY.substring(cut) + ", keep it");
      assertThat(out.openAi("content")).as("cut at " + cut).isEqualTo("your key is [redacted], keep it");
    }
    // In three pieces, and a key that ends the text.
    assertThat(openAiStream("a: sk-", "test-5ecr", "et-Value-42").openAi("content")).isEqualTo("a: [redacted]");
  }

  @Test
  void aTailThatOnlyLooksLikeTheKeyGoesOutWithTheNextPieceOrAtTheEnd() throws IOException {
    Events out = openAiStream("ask", "s and sk-t", "ea for two: sk-test");
    assertThat(out.openAi("content")).isEqualTo("asks and sk-tea for two: sk-test");
    // The chunk with the finish_reason carries the tail, and nothing follows [DONE].
    String[] finish = out.events.get(out.events.size() - 2);
    assertThat(JSON.readTree(finish[1]).path("choices").path(0).path("delta").path("content").asText()).isEqualTo("sk-test");
    assertThat(out.events.get(out.events.size() - 1)[1]).isEqualTo("[DONE]");
  }

  @Test
  void eventsThatCannotEndInTheKeyGoOutAsTheyCame() throws IOException {
    StreamSecrets s = new StreamSecrets(Dialect.OPENAI, SECRETS);
    Events out = new Events();
    String plain = chunk(content("nothing to hide here"), null);
    s.event(null, plain, out);
    assertThat(out.events.get(0)[1]).isSameAs(plain);
    assertThat(s.mayEndInValue(plain)).isFalse();
    assertThat(s.mayEndInValue(chunk(content("ends in s"), null))).isTrue();
    assertThat(s.mayEndInValue("{\"choices\" : []}")).as("a member name that ends in s").isFalse();
    // A whole key in one event is redacted there, in an escaped form too.
    s.event(null, chunk("{\"content\":\"k " + KEY.replace("-", "\\u002d") + "\"}", null), out);
    assertThat(out.events.get(1)[1]).contains("k [redacted]").doesNotContain("5ecret");
    // Two characters are too short to look for ("ab" is a value here).
    assertThat(s.beginningOfAValue("a")).isZero();
  }

  /**
   * A name is not held back (a client reads it whole from the call's first chunk), so a key cut
   * between a call's name pieces is caught as a run of the key's characters, as in an error
   * message; a name that only ends like the key's beginning goes out as it came.
   */
  @Test
  void aKeyCutAcrossAToolCallsNamePiecesIsRedacted() throws IOException {
    StreamSecrets s = new StreamSecrets(Dialect.OPENAI, SECRETS);
    Events out = new Events();
    String first = chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f_sk-te\",\"arguments\":\"\"}}]}", null);
    String second = chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"st-5ecret-Value-42\"}}]}", null);
    s.event(null, first, out);
    s.event(null, second, out);
    s.event(null, chunk("{}", "tool_calls"), out);
    StringBuilder names = new StringBuilder();
    for (String[] e : out.events) {
      for (JsonNode call : JSON.readTree(e[1]).path("choices").path(0).path("delta").path("tool_calls")) {
        names.append(call.path("function").path("name").asText(""));
      }
    }
    assertThat(names.toString()).isEqualTo("f_sk-te[redacted]");
    assertThat(out.all()).doesNotContain("5ecret-Value");

    String task = chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"list_task\",\"arguments\":\"\"}}]}", null);
    Events plain = new Events();
    new StreamSecrets(Dialect.OPENAI, SECRETS).event(null, task, plain);
    assertThat(plain.events.get(0)[1]).isEqualTo(task);
  }

  @Test
  void aKeyCutInAToolCallsArgumentsIsRedacted() throws IOException {
    StreamSecrets s = new StreamSecrets(Dialect.OPENAI, SECRETS);
    Events out = new Events();
    s.event(null, chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"k\\\":\\\"sk-te\"}}]}", null), out);
    s.event(null, chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"st-5ecret-Value-42\\\"}\"}}]}", null), out);
    s.event(null, chunk("{}", "tool_calls"), out);
    assertThat(out.openAi("arguments")).isEqualTo("{\"k\":\"[redacted]\"}");
    // A tail held when the choice finishes without more arguments goes out in the finishing chunk.
    s = new StreamSecrets(Dialect.OPENAI, SECRETS);
    out = new Events();
    s.event(null, chunk("{\"tool_calls\":[{\"index\":1,\"id\":\"c2\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"k\\\":\\\"sk\"}}]}", null), out);
    s.event(null, chunk("{}", "tool_calls"), out);
    assertThat(out.openAi("arguments")).isEqualTo("{\"k\":\"sk");
    assertThat(JSON.readTree(out.events.get(1)[1]).path("choices").path(0).path("delta").path("tool_calls").path(0).path("index").asInt()).isEqualTo(1);
  }

  @Test
  void aTailHeldWhenTheStreamEndsWithAnErrorGoesOutBeforeTheError() throws IOException {
    StreamSecrets s = new StreamSecrets(Dialect.OPENAI, SECRETS);
    Events out = new Events();
    s.event(null, chunk(content("partial sk-te"), null), out);
    s.event(null, "{\"error\":{\"message\":\"broke\",\"type\":\"upstream_error\",\"code\":\"upstream_error\"}}", out);
    assertThat(out.events).hasSize(3);
    assertThat(out.openAi("content")).isEqualTo("partial sk-te");
    JsonNode tail = JSON.readTree(out.events.get(1)[1]);
    assertThat(tail.path("id").asText()).isEqualTo("chatcmpl-1");
    assertThat(tail.path("choices").path(0).path("finish_reason").isNull()).isTrue();
    assertThat(out.events.get(2)[1]).contains("\"error\"");
  }

  @Test
  void aKeyCutAcrossAnthropicDeltasIsRedactedInTextThinkingAndToolInput() throws IOException {
    for (String[] kind : new String[][] {{"text_delta", "text"}, {"thinking_delta", "thinking"}, {"input_json_delta", "partial_json"}}) {
      StreamSecrets s = new StreamSecrets(Dialect.ANTHROPIC, SECRETS);
      Events out = new Events();
      s.event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}", out);
      for (String piece : List.of("key: sk-t", "est-5ecret-Va", "lue-42 and sk")) {
        s.event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"" + kind[0] + "\",\"" + kind[1] + "\":"
            + JSON.valueToTree(piece) + "}}", out);
      }
      s.event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}", out);
      s.event("message_stop", "{\"type\":\"message_stop\"}", out);
      assertThat(out.anthropic(kind[1])).as(kind[0]).isEqualTo("key: [redacted] and sk");
      assertThat(out.all()).doesNotContain("5ecret");
      // The held "sk" went out in a delta of the block's own type, before the block stopped.
      String[] last = out.events.get(out.events.size() - 3);
      assertThat(last[0]).isEqualTo("content_block_delta");
      assertThat(JSON.readTree(last[1]).path("delta").path("type").asText()).isEqualTo(kind[0]);
      assertThat(out.events.get(out.events.size() - 2)[0]).isEqualTo("content_block_stop");
    }
  }

  @Test
  void anAnthropicStreamThatStopsWithATailHeldSendsItBeforeTheMessageEnds() throws IOException {
    StreamSecrets s = new StreamSecrets(Dialect.ANTHROPIC, SECRETS);
    Events out = new Events();
    s.event("content_block_start", "{\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"text\",\"text\":\"hi sk-\"}}", out);
    s.event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":3}}", out);
    assertThat(out.events).hasSize(3);
    assertThat(out.anthropic("text")).isEqualTo("hi sk-");
    assertThat(JSON.readTree(out.events.get(1)[1]).path("index").asInt()).isEqualTo(2);
    assertThat(out.events.get(2)[0]).isEqualTo("message_delta");
  }
}
