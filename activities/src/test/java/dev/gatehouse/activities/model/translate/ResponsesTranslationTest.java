package dev.gatehouse.activities.model.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.ModelCallException;
import dev.gatehouse.activities.model.ModelUsage;
import dev.gatehouse.activities.model.Dialect;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * OpenAI's Responses API as chat completions and back: the request's items as messages (calls
 * joined to the assistant message before them, outputs as tool messages, their images after them),
 * what is refused and dropped, the answer's items and status, and a chat stream as the Responses
 * API's events, failure included.
 */
class ResponsesTranslationTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ObjectNode json(String text) {
    try {
      return (ObjectNode) JSON.readTree(text.replace('\'', '"'));
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  @Test
  void aConversationOfItemsBecomesTheChatMessagesItMeans() {
    ObjectNode request = json("""
        {'model':'m','instructions':'Be brief.','input':[
          {'role':'developer','content':'Use metric units.'},
          {'type':'message','role':'user','content':[{'type':'input_text','text':'Weather in Paris and Lyon?'},
            {'type':'input_image','image_url':'https://example.com/map.png','detail':'low'}]},
          {'type':'reasoning','id':'rs_1','summary':[],'encrypted_content':'opaque'},
          {'type':'message','role':'assistant','id':'msg_1','status':'completed','content':[{'type':'output_text','text':'Looking.','annotations':[]}]},
          {'type':'function_call','id':'fc_1','call_id':'call_a','name':'weather','arguments':'{\\"city\\":\\"Paris\\"}'},
          {'type':'function_call','id':'fc_2','call_id':'call_b','name':'weather','arguments':'{\\"city\\":\\"Lyon\\"}'},
          {'type':'function_call_output','call_id':'call_a','output':'12C'},
          {'type':'function_call_output','call_id':'call_b','output':[{'type':'input_text','text':'14C'},
            {'type':'input_image','image_url':'data:image/png;base64,AAAA'}]},
          {'role':'user','content':'Thanks'}],
         'tools':[{'type':'function','name':'weather','description':'d','parameters':{'type':'object'},'strict':true}],
         'tool_choice':{'type':'function','name':'weather'},'max_output_tokens':100,'temperature':0.2,
         'text':{'format':{'type':'json_schema','name':'w','schema':{'type':'object'},'strict':true},'verbosity':'low'},
         'reasoning':{'effort':'low','summary':'auto'},'store':false,'include':['reasoning.encrypted_content'],'metadata':{'k':'v'},
         'stream':true}
        """);

    ObjectNode chat = ResponsesRequest.translate(request).chat();

    JsonNode m = chat.get("messages");
    assertThat(m.size()).isEqualTo(8);
    assertThat(m.get(0).toString()).isEqualTo("{\"role\":\"system\",\"content\":\"Be brief.\"}");
    assertThat(m.get(1).toString()).isEqualTo("{\"role\":\"system\",\"content\":\"Use metric units.\"}");
    assertThat(m.get(2).path("content").get(1).toString())
        .isEqualTo("{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/map.png\",\"detail\":\"low\"}}");
    // The reasoning item is dropped; the assistant's text and both calls are one message.
    assertThat(m.get(3).path("role").asText()).isEqualTo("assistant");
    assertThat(m.get(3).path("content").get(0).path("text").asText()).isEqualTo("Looking.");
    assertThat(m.get(3).path("tool_calls").size()).isEqualTo(2);
    assertThat(m.get(3).path("tool_calls").get(1).toString())
        .isEqualTo("{\"id\":\"call_b\",\"type\":\"function\",\"function\":{\"name\":\"weather\",\"arguments\":\"{\\\"city\\\":\\\"Lyon\\\"}\"}}");
    assertThat(m.get(4).toString()).isEqualTo("{\"role\":\"tool\",\"tool_call_id\":\"call_a\",\"content\":\"12C\"}");
    assertThat(m.get(5).path("tool_call_id").asText()).isEqualTo("call_b");
    assertThat(m.get(5).path("content").toString()).isEqualTo("[{\"type\":\"text\",\"text\":\"14C\"}]");
    // The image a call returned follows the tool messages, named by its call.
    assertThat(m.get(6).path("role").asText()).isEqualTo("user");
    assertThat(m.get(6).path("content").get(0).path("text").asText()).contains("call_b");
    assertThat(m.get(6).path("content").get(1).path("image_url").path("url").asText()).startsWith("data:image/png");
    assertThat(m.get(7).toString()).isEqualTo("{\"role\":\"user\",\"content\":\"Thanks\"}");

    assertThat(chat.path("tools").toString()).isEqualTo(
        "[{\"type\":\"function\",\"function\":{\"name\":\"weather\",\"description\":\"d\",\"parameters\":{\"type\":\"object\"},\"strict\":true}}]");
    assertThat(chat.path("tool_choice").toString()).isEqualTo("{\"type\":\"function\",\"function\":{\"name\":\"weather\"}}");
    assertThat(chat.path("max_completion_tokens").asLong()).isEqualTo(100);
    assertThat(chat.path("temperature").asDouble()).isEqualTo(0.2);
    assertThat(chat.path("response_format").toString())
        .isEqualTo("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"w\",\"schema\":{\"type\":\"object\"},\"strict\":true}}");
    assertThat(chat.path("verbosity").asText()).isEqualTo("low");
    assertThat(chat.path("reasoning_effort").asText()).isEqualTo("low");
    assertThat(chat.path("stream").asBoolean()).isTrue();
    assertThat(chat.path("stream_options").path("include_usage").asBoolean()).isTrue();
    assertThat(chat.has("store") || chat.has("include") || chat.has("metadata") || chat.has("input")).isFalse();
    assertThat(request.has("messages")).as("the request is not changed").isFalse();
  }

  @Test
  void aCallWithNoAssistantMessageBeforeItMakesOne() {
    ObjectNode chat = ResponsesRequest.translate(json("""
        {'model':'m','input':[{'role':'user','content':'go'},
          {'type':'function_call','call_id':'c1','name':'f','arguments':'{}'},
          {'type':'function_call_output','call_id':'c1','output':'done'},
          {'type':'function_call','call_id':'c2','name':'f','arguments':'{}'}]}
        """)).chat();

    JsonNode m = chat.get("messages");
    assertThat(m.size()).isEqualTo(4);
    assertThat(m.get(1).toString())
        .isEqualTo("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}");
    assertThat(m.get(2).path("role").asText()).isEqualTo("tool");
    // A call after a tool message is the next turn's: a new assistant message.
    assertThat(m.get(3).path("tool_calls").get(0).path("id").asText()).isEqualTo("c2");

    // The assistant's text after its own call (before the call's output) joins the message with the call.
    JsonNode after = ResponsesRequest.translate(json("""
        {'model':'m','input':[{'role':'user','content':'go'},
          {'type':'function_call','call_id':'c1','name':'f','arguments':'{}'},
          {'type':'message','role':'assistant','content':[{'type':'output_text','text':'Running it.'}]},
          {'type':'function_call_output','call_id':'c1','output':'done'}]}
        """)).chat().get("messages");
    assertThat(after.size()).isEqualTo(3);
    assertThat(after.get(1).path("content").toString()).isEqualTo("[{\"type\":\"text\",\"text\":\"Running it.\"}]");
    assertThat(after.get(1).path("tool_calls").get(0).path("id").asText()).isEqualTo("c1");
    assertThat(after.get(2).path("role").asText()).isEqualTo("tool");
  }

  @Test
  void whatNeedsStoredStateOrRunsOutsideTheGatewayIsRefusedNamingTheMember() {
    refused("{'model':'m','input':'hi','previous_response_id':'resp_1'}", "previous_response_id");
    refused("{'model':'m','input':'hi','conversation':'conv_1'}", "conversation");
    refused("{'model':'m','input':'hi','prompt':{'id':'p'}}", "prompt");
    refused("{'model':'m','input':'hi','background':true}", "background");
    refused("{'model':'m','input':'hi','tools':[{'type':'web_search'}],'tool_choice':{'type':'web_search'}}", "tool_choice.type");
    refused("{'model':'m','input':'hi','tool_choice':'bogus'}", "tool_choice");
    refused("{'model':'m','input':'hi','tool_choice':{'type':'allowed_tools','mode':'auto','tools':[]}}", "tool_choice.tools");
    refused("{'model':'m','input':'hi','tool_choice':{'type':'allowed_tools','mode':'auto','tools':[{'type':'function','name':'f'}]}}",
        "tool_choice.tools[0].name");
    refused("{'model':'m','input':'hi','tools':[{'type':'function','name':'f'}],'tool_choice':{'type':'function','name':'g'}}", "tool_choice.name");
    refused("{'model':'m','input':'hi','tools':[{'type':'function','name':'f'},{'type':'function','name':'f'}]}", "tools[1].name");
    refused("{'model':'m','input':'hi','temperature':'hot'}", "temperature");
    refused("{'model':'m','input':'hi','parallel_tool_calls':'yes'}", "parallel_tool_calls");
    refused("{'model':'m','input':'hi','metadata':'x'}", "metadata");
    refused("{'model':'m','input':'hi','include':'x'}", "include");
    refused("{'model':'m','input':[{'type':'web_search_call','id':'ws_1'}]}", "input[0].type");
    refused("{'model':'m','input':[{'role':'user','content':[{'type':'input_file','file_url':'https://x/y.pdf'}]}]}", "input[0].content[0].file_url");
    refused("{'model':'m','input':[{'role':'assistant','content':[{'type':'input_text','text':'x'}]}]}", "input[0].content[0].type");
    refused("{'model':'m','input':[{'role':'tool','content':'x'}]}", "input[0].role");
    refused("{'model':'m','input':[{'role':'user','content':null}]}", "input[0].content");
    refused("{'model':'m','input':[{'type':'function_call','call_id':'c','name':'f','arguments':'{}'},"
        + "{'type':'function_call_output','call_id':'c','output':{'text':'x'}}]}", "input[1].output");
    // An output no call before it asked for.
    refused("{'model':'m','input':[{'type':'function_call','call_id':'c','name':'f','arguments':'{}'},"
        + "{'type':'function_call_output','call_id':'d','output':'x'}]}", "input[1].call_id");
    refused("{'model':'m','input':[{'role':'user','content':[]}]}", "input[0].content");
    refused("{'model':'m','input':[]}", "input");
    refused("{'model':'m','input':'hi','top_logprobs':5}", "top_logprobs");
    refused("{'model':'m','input':'hi','text':{'format':{'type':'xml'}}}", "text.format.type");
    refused("{'model':'m','input':'hi','max_output_tokens':0}", "max_output_tokens");
    // Accepted as false or null: nothing is stored or run in the background either way.
    assertThat(ResponsesRequest.translate(json("{'model':'m','input':'hi','background':false,'previous_response_id':null}")).chat().has("background")).isFalse();
  }

  /**
   * A probe's Responses API calls to an Anthropic model were refused naming members of the chat
   * request Gatehouse made of them ({@code response_format}, {@code messages[1].content[0].type},
   * an index shifted by {@code instructions}): a caller could not find them in what it sent. The
   * refusal names the caller's member.
   */
  @Test
  void aRefusalOfTheChatRequestNamesTheMemberTheCallerSent() {
    refusedForAnthropic("{'model':'m','input':'hi','text':{'format':{'type':'json_object'}}}", "text.format");
    refusedForAnthropic(
        "{'model':'m','instructions':'be brief','input':[{'role':'user','content':[{'type':'input_text','text':'see'},"
            + "{'type':'input_image','image_url':'ftp://x/y.png'}]}]}",
        "input[0].content[1]");
    refusedForAnthropic(
        "{'model':'m','instructions':'be brief','input':[{'role':'user','content':'hi'},"
            + "{'type':'function_call','call_id':'c','name':'f','arguments':'[1,2]'},{'type':'function_call_output','call_id':'c','output':'x'}]}",
        "input[1].arguments");
    refusedForAnthropic(
        "{'model':'m','input':[{'role':'user','content':'hi'},{'role':'user','content':[{'type':'input_file','file_data':'data:text/plain;base64,eA=='}]}]}",
        "input[1].content[0]");
    // A member the chat request has as the caller sent it is named as it was.
    ModelCallException same = ModelCallException.invalid("`temperature` must be at most 1", "temperature");
    assertThat(ResponsesRequest.translate(json("{'model':'m','input':'hi'}")).asAsked(same)).isSameAs(same);
  }

  private static void refusedForAnthropic(String body, String param) {
    ResponsesRequest.Translated t = ResponsesRequest.translate(json(body));
    assertThatThrownBy(() -> Translation.request(Dialect.OPENAI, Dialect.ANTHROPIC, t.chat(), "claude", false))
        .isInstanceOfSatisfying(ModelCallException.class, e -> {
          ModelCallException asked = t.asAsked(e);
          assertThat(asked.param()).as(e.getMessage()).isEqualTo(param);
          assertThat(asked.getMessage()).startsWith("`" + param + "`");
          assertThat(asked.status()).isEqualTo(400);
          assertThat(asked.code()).isEqualTo(e.code());
        });
  }

  @Test
  void toolsNoChatRequestCanOfferAndUnknownMembersAreLeftOutAndNamed() {
    ResponsesRequest.Translated t = ResponsesRequest.translate(json("""
        {'model':'m','input':'hi','client_metadata':{'session_id':'s'},'frobnicate':1,'context_management':[{'type':'compaction'}],
         'tools':[{'type':'function','name':'f','defer_loading':true},{'type':'web_search','external_web_access':true},
           {'type':'custom','name':'apply_patch','format':{'type':'text'}},{'type':'file_search','vector_store_ids':['v']}]}
        """));

    assertThat(t.ignoredMembers()).containsExactly("frobnicate", "context_management");
    assertThat(t.droppedTools()).containsExactly("web_search", "custom:apply_patch", "file_search");
    assertThat(t.chat().path("tools").toString()).isEqualTo("[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]");
    assertThat(t.chat().has("client_metadata") || t.chat().has("frobnicate")).isFalse();
  }

  @Test
  void aNamespacesFunctionsAreToolsOfTheirOwnAndItsCallsNameTheNamespaceAgain() throws IOException {
    ResponsesRequest.Translated t = ResponsesRequest.translate(json("""
        {'model':'m','tools':[{'type':'function','name':'close'},
           {'type':'namespace','name':'agents','description':'d','tools':[{'type':'function','name':'spawn','parameters':{'type':'object'}},
             {'type':'function','name':'close'}]}],
         'tool_choice':{'type':'allowed_tools','mode':'required','tools':[{'type':'function','name':'spawn','namespace':'agents'}]},
         'input':[{'role':'user','content':'go'},
           {'type':'function_call','call_id':'c1','namespace':'agents','name':'close','arguments':'{}'},
           {'type':'function_call_output','call_id':'c1','output':'closed'}]}
        """));

    // A namespace's function keeps its name unless a tool has it already.
    assertThat(t.namespaced()).containsOnlyKeys("spawn", "agents__close");
    assertThat(t.namespaced().get("agents__close")).isEqualTo(new ResponsesRequest.Namespaced("agents", "close"));
    assertThat(t.chat().path("messages").get(1).path("tool_calls").get(0).path("function").path("name").asText()).isEqualTo("agents__close");
    // allowed_tools: only those tools are offered, the mode is the choice.
    assertThat(t.chat().path("tools").size()).isEqualTo(1);
    assertThat(t.chat().path("tools").get(0).path("function").path("name").asText()).isEqualTo("spawn");
    assertThat(t.chat().path("tool_choice").asText()).isEqualTo("required");

    ObjectNode chat = json("""
        {'model':'x','choices':[{'index':0,'finish_reason':'tool_calls','message':{'role':'assistant','content':null,
          'tool_calls':[{'id':'c2','type':'function','function':{'name':'agents__close','arguments':'{}'}}]}}]}
        """);
    JsonNode call = ResponsesAnswer.of(t, chat, null, "resp_n", 1L).path("output").get(0);
    assertThat(call.path("namespace").asText()).isEqualTo("agents");
    assertThat(call.path("name").asText()).isEqualTo("close");

    Golden.RecordingSink out = new Golden.RecordingSink();
    ResponsesStream stream = new ResponsesStream(out, t, "resp_m", 1L);
    stream.event(null, "{'id':'c','choices':[{'index':0,'delta':{'tool_calls':[{'index':0,'id':'c3','type':'function','function':{'name':'spawn','arguments':'{}'}}]}}]}".replace('\'', '"'));
    stream.event(null, "[DONE]");
    JsonNode streamed = parse(out.events.get(out.events.size() - 1).data()).path("response").path("output").get(0);
    assertThat(streamed.path("namespace").asText()).isEqualTo("agents");
    assertThat(streamed.path("name").asText()).isEqualTo("spawn");
  }

  @Test
  void theReasoningAProviderStreamsIsAReasoningItemBeforeTheText() throws IOException {
    Golden.RecordingSink out = new Golden.RecordingSink();
    ResponsesStream stream = new ResponsesStream(out, ResponsesRequest.translate(json("{'model':'alias','input':'hi'}")), "resp_t", 1L);

    stream.event(null, "{'id':'c','choices':[{'index':0,'delta':{'role':'assistant','reasoning_content':'Let me '}}]}".replace('\'', '"'));
    stream.event(null, "{'id':'c','choices':[{'index':0,'delta':{'reasoning_content':'think.'}}]}".replace('\'', '"'));
    stream.event(null, "{'id':'c','choices':[{'index':0,'delta':{'content':'Done.'}}]}".replace('\'', '"'));
    stream.event(null, "[DONE]");

    List<String> types = out.events.stream().map(Golden.Written::name).toList();
    assertThat(types).containsSubsequence(
        "response.output_item.added", "response.content_part.added", "response.reasoning_text.delta", "response.reasoning_text.delta",
        "response.reasoning_text.done", "response.content_part.done", "response.output_item.done",
        "response.output_item.added", "response.output_text.delta", "response.completed");
    JsonNode response = parse(out.events.get(out.events.size() - 1).data()).path("response");
    assertThat(response.path("output").get(0).path("type").asText()).isEqualTo("reasoning");
    assertThat(response.path("output").get(0).path("content").toString()).isEqualTo("[{\"type\":\"reasoning_text\",\"text\":\"Let me think.\"}]");
    assertThat(response.path("output").get(1).path("content").get(0).path("text").asText()).isEqualTo("Done.");
    assertThat(response.path("output").get(1).path("id").asText()).startsWith("msg_");

    ObjectNode chat = json("{'model':'x','choices':[{'index':0,'finish_reason':'stop','message':{'role':'assistant','content':'Done.','reasoning':'Hm.'}}]}");
    JsonNode answered = ResponsesAnswer.of(ResponsesRequest.translate(json("{'model':'m','input':'hi'}")), chat, null, "resp_u", 1L).path("output");
    assertThat(answered.get(0).path("content").get(0).path("text").asText()).isEqualTo("Hm.");
    assertThat(answered.get(1).path("type").asText()).isEqualTo("message");
  }

  @Test
  void interleavedCallsAndCallsWithoutAnIndexKeepTheirArguments() throws IOException {
    Golden.RecordingSink out = new Golden.RecordingSink();
    ResponsesStream stream = new ResponsesStream(out, ResponsesRequest.translate(json("{'model':'alias','input':'hi'}")), "resp_i", 1L);
    String call = "{'id':'c','choices':[{'index':0,'delta':{'tool_calls':[%s]}}]}";

    stream.event(null, String.format(call, "{'index':0,'id':'c1','type':'function','function':{'name':'f','arguments':'{\\'a\\''}}").replace('\'', '"'));
    stream.event(null, String.format(call, "{'index':1,'id':'c2','type':'function','function':{'name':'g','arguments':'{\\'b\\''}}").replace('\'', '"'));
    stream.event(null, String.format(call, "{'index':0,'function':{'arguments':':1}'}}").replace('\'', '"'));
    stream.event(null, String.format(call, "{'index':1,'function':{'arguments':':2}'}}").replace('\'', '"'));
    // A provider that sends no index: a call with an id, then its fragments.
    stream.event(null, String.format(call, "{'id':'c3','type':'function','function':{'name':'h','arguments':'{\\'c\\''}}").replace('\'', '"'));
    stream.event(null, String.format(call, "{'function':{'arguments':':3}'}}").replace('\'', '"'));
    stream.event(null, "[DONE]");

    JsonNode output = parse(out.events.get(out.events.size() - 1).data()).path("response").path("output");
    assertThat(output.size()).isEqualTo(3);
    assertThat(output.get(0).path("arguments").asText()).isEqualTo("{\"a\":1}");
    assertThat(output.get(1).path("arguments").asText()).isEqualTo("{\"b\":2}");
    assertThat(output.get(2).path("arguments").asText()).isEqualTo("{\"c\":3}");
    assertThat(output.get(2).path("call_id").asText()).isEqualTo("c3");
    List<String> argumentsDone = out.events.stream()
        .filter(w -> w.name().equals("response.function_call_arguments.done"))
        .map(w -> { try { return parse(w.data()).path("arguments").asText(); } catch (IOException e) { throw new IllegalStateException(e); } })
        .toList();
    assertThat(argumentsDone).containsExactly("{\"a\":1}", "{\"b\":2}", "{\"c\":3}");
  }

  /**
   * A probe's provider gave a call's name in its second fragment: the call was named "null". And an
   * answer whose content came as parts (as some compatible servers answer) came back with no output.
   */
  @Test
  void aCallBegunWithoutANameFailsTheStreamAndContentPartsAreText() throws IOException {
    Golden.RecordingSink out = new Golden.RecordingSink();
    ResponsesStream stream = new ResponsesStream(out, ResponsesRequest.translate(json("{'model':'alias','input':'hi'}")), "resp_q", 1L);
    String call = "{'id':'c','choices':[{'index':0,'delta':{'tool_calls':[%s]}}]}";
    stream.event(null, String.format(call, "{'index':0,'id':'c1','type':'function','function':{'arguments':''}}").replace('\'', '"'));
    stream.event(null, String.format(call, "{'index':0,'function':{'name':'weather','arguments':'{}'}}").replace('\'', '"'));
    stream.event(null, "[DONE]");
    Golden.Written last = out.events.get(out.events.size() - 1);
    assertThat(last.name()).isEqualTo("response.failed");
    assertThat(parse(last.data()).at("/response/error/code").asText()).isEqualTo("upstream_error");
    assertThat(out.events).noneMatch(w -> w.data().contains("\"null\""));

    ObjectNode chat = json("{'id':'chatcmpl-p','model':'m','choices':[{'index':0,'finish_reason':'stop',"
        + "'message':{'role':'assistant','content':[{'type':'text','text':'in '},{'type':'text','text':'parts'}]}}]}");
    ObjectNode r = ResponsesAnswer.of(ResponsesRequest.translate(json("{'model':'alias','input':'hi'}")), chat, null, "resp_p", 1L);
    assertThat(r.at("/output/0/content/0/text").asText()).isEqualTo("in parts");
  }

  /** A name the provider cut in pieces: the done events and the response name the call whole (its added event had the first piece). */
  @Test
  void aCallsNameInPiecesIsWholeWhenTheCallIsDone() throws IOException {
    Golden.RecordingSink out = new Golden.RecordingSink();
    ResponsesStream stream = new ResponsesStream(out, ResponsesRequest.translate(json("{'model':'alias','input':'hi'}")), "resp_w", 1L);
    String call = "{'id':'c','choices':[{'index':0,'delta':{'tool_calls':[%s]}}]}";
    stream.event(null, String.format(call, "{'index':0,'id':'c1','type':'function','function':{'name':'get_','arguments':''}}").replace('\'', '"'));
    stream.event(null, String.format(call, "{'index':0,'function':{'name':'weather'}}").replace('\'', '"'));
    stream.event(null, String.format(call, "{'index':0,'function':{'arguments':'{}'}}").replace('\'', '"'));
    stream.event(null, "[DONE]");
    Golden.Written last = out.events.get(out.events.size() - 1);
    assertThat(last.name()).isEqualTo("response.completed");
    assertThat(parse(last.data()).at("/response/output/0/name").asText()).isEqualTo("get_weather");
    for (Golden.Written w : out.events) {
      if (w.name().equals("response.function_call_arguments.done")) {
        assertThat(parse(w.data()).path("name").asText()).isEqualTo("get_weather");
      } else if (w.name().equals("response.output_item.done")) {
        assertThat(parse(w.data()).at("/item/name").asText()).isEqualTo("get_weather");
      }
    }
  }

  /** A probe's provider sent a second choice, unasked: its call was merged into the first's. Only choice 0 is read. */
  @Test
  void aStreamReadsTheFirstChoiceOnly() throws IOException {
    Golden.RecordingSink out = new Golden.RecordingSink();
    ResponsesStream stream = new ResponsesStream(out, ResponsesRequest.translate(json("{'model':'alias','input':'hi'}")), "resp_n", 1L);
    String call = "{'id':'c','choices':[{'index':%d,'delta':{'tool_calls':[{'index':0,'id':'%s','type':'function','function':{'name':'f','arguments':'%s'}}]}}]}";

    stream.event(null, String.format(call, 0, "call_a", "{\\'a\\':1}").replace('\'', '"'));
    stream.event(null, String.format(call, 1, "call_x", "{\\'x\\':1}").replace('\'', '"'));
    stream.event(null, "{'id':'c','choices':[{'index':1,'delta':{'content':'other'}},{'index':0,'delta':{'content':'mine'}}]}".replace('\'', '"'));
    stream.event(null, "[DONE]");

    JsonNode output = parse(out.events.get(out.events.size() - 1).data()).path("response").path("output");
    assertThat(output.toString()).doesNotContain("call_x", "other");
    assertThat(output.toString()).contains("mine");
    assertThat(output.findValues("arguments")).extracting(JsonNode::asText).containsExactly("{\"a\":1}");
  }

  private static void refused(String body, String param) {
    assertThatThrownBy(() -> ResponsesRequest.translate(json(body)))
        .as(body)
        .isInstanceOfSatisfying(ModelCallException.class, e -> assertThat(e.param()).isEqualTo(param));
  }

  @Test
  void anAnswerIsAMessageItemAndAFunctionCallItemPerCall() {
    ObjectNode request = json("{'model':'alias','input':'hi','max_output_tokens':5,'tools':[{'type':'function','name':'f'}],'metadata':{'k':'v'},"
        + "'reasoning':{'effort':'low','summary':'auto'}}");
    ObjectNode chat = json("""
        {'id':'chatcmpl-1','object':'chat.completion','model':'gpt-x','choices':[{'index':0,'finish_reason':'length',
          'message':{'role':'assistant','content':'Partial','tool_calls':[{'id':'call_1','type':'function','function':{'name':'f','arguments':'{}'}}]}}],
         'usage':{'prompt_tokens':3,'completion_tokens':5,'total_tokens':8}}
        """);

    ObjectNode r = ResponsesAnswer.of(ResponsesRequest.translate(request), chat, null, "resp_x", 1700000000L);

    assertThat(r.path("id").asText()).isEqualTo("resp_x");
    assertThat(r.path("object").asText()).isEqualTo("response");
    assertThat(r.path("model").asText()).isEqualTo("gpt-x");
    assertThat(r.path("status").asText()).isEqualTo("incomplete");
    assertThat(r.path("incomplete_details").path("reason").asText()).isEqualTo("max_output_tokens");
    assertThat(r.path("output").size()).isEqualTo(2);
    assertThat(r.path("output").get(0).path("type").asText()).isEqualTo("message");
    assertThat(r.path("output").get(0).path("content").get(0).path("text").asText()).isEqualTo("Partial");
    assertThat(r.path("output").get(1).path("call_id").asText()).isEqualTo("call_1");
    assertThat(r.path("usage").toString()).isEqualTo("{\"input_tokens\":3,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":5,"
        + "\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":8}");
    assertThat(r.path("max_output_tokens").asLong()).isEqualTo(5);
    assertThat(r.path("metadata").path("k").asText()).isEqualTo("v");
    assertThat(r.path("store").asBoolean(true)).isFalse();
    assertThat(r.path("reasoning").toString()).isEqualTo("{\"effort\":\"low\",\"summary\":\"auto\"}");

    // What Gatehouse metered wins over what the answer says (a provider that reported none).
    ObjectNode metered = ResponsesAnswer.of(ResponsesRequest.translate(request), chat, new ModelUsage(11, 0, 2, 0, true), "resp_y", 1L);
    assertThat(metered.path("usage").path("input_tokens").asLong()).isEqualTo(11);
  }

  @Test
  void aChatStreamBecomesTheResponsesApisEvents() throws IOException {
    Golden.RecordingSink out = new Golden.RecordingSink();
    ResponsesStream stream = new ResponsesStream(out, ResponsesRequest.translate(json("{'model':'alias','input':'hi'}")), "resp_s", 1L);

    stream.open();
    stream.event(null, "{'id':'c','model':'gpt-x','choices':[{'index':0,'delta':{'role':'assistant','content':''}}]}".replace('\'', '"'));
    stream.event(null, "{'id':'c','choices':[{'index':0,'delta':{'content':'Hel'}}]}".replace('\'', '"'));
    stream.event(null, "{'id':'c','choices':[{'index':0,'delta':{'content':'lo'}}]}".replace('\'', '"'));
    stream.event(null, ("{'id':'c','choices':[{'index':0,'delta':{'tool_calls':[{'index':0,'id':'call_1','type':'function',"
        + "'function':{'name':'f','arguments':'{\\'a'}}]}}]}").replace('\'', '"'));
    stream.event(null, "{'id':'c','choices':[{'index':0,'delta':{'tool_calls':[{'index':0,'function':{'arguments':'\\':1}'}}]}}]}".replace('\'', '"'));
    stream.event(null, "{'id':'c','choices':[{'index':0,'delta':{},'finish_reason':'tool_calls'}]}".replace('\'', '"'));
    stream.event(null, "{'id':'c','choices':[],'usage':{'prompt_tokens':4,'completion_tokens':6,'total_tokens':10}}".replace('\'', '"'));
    stream.event(null, "[DONE]");
    stream.event(null, "{'id':'c','choices':[{'index':0,'delta':{'content':'late'}}]}".replace('\'', '"'));

    List<String> types = out.events.stream().map(Golden.Written::name).toList();
    assertThat(types).containsExactly(
        "response.created", "response.in_progress",
        "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
        "response.output_text.done", "response.content_part.done", "response.output_item.done",
        "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.delta",
        "response.function_call_arguments.done", "response.output_item.done",
        "response.completed");
    for (int i = 0; i < out.events.size(); i++) {
      JsonNode event = parse(out.events.get(i).data());
      assertThat(event.path("sequence_number").asInt()).isEqualTo(i);
      assertThat(event.path("type").asText()).isEqualTo(types.get(i));
    }
    JsonNode textDone = parse(out.events.get(6).data());
    assertThat(textDone.path("text").asText()).isEqualTo("Hello");
    assertThat(textDone.path("output_index").asInt()).isZero();
    JsonNode argsDone = parse(out.events.get(12).data());
    assertThat(argsDone.path("arguments").asText()).isEqualTo("{\"a\":1}");
    assertThat(argsDone.path("output_index").asInt()).isEqualTo(1);
    JsonNode completed = parse(out.events.get(14).data()).path("response");
    assertThat(completed.path("status").asText()).isEqualTo("completed");
    assertThat(completed.path("model").asText()).isEqualTo("gpt-x");
    assertThat(completed.path("output").get(0).path("content").get(0).path("text").asText()).isEqualTo("Hello");
    assertThat(completed.path("output").get(1).path("call_id").asText()).isEqualTo("call_1");
    assertThat(completed.path("output").get(1).path("status").asText()).isEqualTo("completed");
    assertThat(completed.path("usage").path("total_tokens").asLong()).isEqualTo(10);
    assertThat(out.events).noneMatch(w -> w.data().contains("late") || w.data().equals("[DONE]"));
  }

  @Test
  void anErrorChunkEndsTheStreamAsAFailedResponseWithGatehousesCode() throws IOException {
    Golden.RecordingSink out = new Golden.RecordingSink();
    ResponsesStream stream = new ResponsesStream(out, ResponsesRequest.translate(json("{'model':'alias','input':'hi'}")), "resp_f", 1L);

    stream.event(null, "{'id':'c','model':'gpt-x','choices':[{'index':0,'delta':{'content':'Hi'}}]}".replace('\'', '"'));
    stream.event(null, "{'error':{'message':'the provider broke','type':'api_error','param':null,'code':'upstream_error'}}".replace('\'', '"'));
    stream.event(null, "[DONE]");

    Golden.Written last = out.events.get(out.events.size() - 1);
    assertThat(last.name()).isEqualTo("response.failed");
    JsonNode response = parse(last.data()).path("response");
    assertThat(response.path("status").asText()).isEqualTo("failed");
    assertThat(response.path("error").path("code").asText()).isEqualTo("upstream_error");
    assertThat(response.path("error").path("message").asText()).isEqualTo("the provider broke");
    assertThat(response.path("output").get(0).path("content").get(0).path("text").asText()).isEqualTo("Hi");
    assertThat(out.events).extracting(Golden.Written::name).doesNotContain("response.completed");
  }

  @Test
  void aRefusalIsARefusalPartAndTheOutputLimitAnIncompleteResponse() throws IOException {
    Golden.RecordingSink out = new Golden.RecordingSink();
    ResponsesStream stream = new ResponsesStream(out, ResponsesRequest.translate(json("{'model':'alias','input':'hi'}")), "resp_r", 1L);

    stream.event(null, "{'id':'c','choices':[{'index':0,'delta':{'refusal':'I cannot'}}]}".replace('\'', '"'));
    stream.event(null, "{'id':'c','choices':[{'index':0,'delta':{},'finish_reason':'length'}]}".replace('\'', '"'));
    stream.event(null, "[DONE]");

    assertThat(out.events).extracting(Golden.Written::name).contains("response.refusal.delta", "response.refusal.done");
    Golden.Written last = out.events.get(out.events.size() - 1);
    assertThat(last.name()).isEqualTo("response.incomplete");
    JsonNode response = parse(last.data()).path("response");
    assertThat(response.path("incomplete_details").path("reason").asText()).isEqualTo("max_output_tokens");
    assertThat(response.path("output").get(0).path("content").get(0).toString()).isEqualTo("{\"type\":\"refusal\",\"refusal\":\"I cannot\"}");
    assertThat(response.path("model").asText()).as("no chunk named one").isEqualTo("alias");
  }

  private static JsonNode parse(String data) throws IOException {
    return JSON.readTree(data);
  }
}
