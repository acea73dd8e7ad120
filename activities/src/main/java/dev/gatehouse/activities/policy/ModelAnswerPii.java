package dev.gatehouse.activities.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.chain.PolicyStep;
import dev.gatehouse.activities.model.ModelAnswer;
import dev.gatehouse.activities.model.ModelCall;
import dev.gatehouse.activities.model.ModelCallException;
import dev.gatehouse.activities.model.ModelExchange;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.data.CallKind;
import dev.gatehouse.policies.data.CompiledPolicy;
import java.util.ArrayList;
import java.util.List;

/**
 * The PII entries that apply at {@code model-answers}, on every path. A whole answer's texts
 * ({@link ChatTexts}) and, on the model faces, its tool calls' arguments ({@link CallArguments}; a
 * task calls its tools through Gatehouse, where {@code tool-arguments} reads them) are redacted, recorded
 * or blocked after the call ({@code pii_detected}: the answer reaches no one). A streamed answer's
 * text deltas go through a {@link RedactingStreamSink} installed before the call, which redacts
 * across chunk boundaries holding back only what could still become a match (and holds a tool
 * call's arguments until the call is whole), and ends the stream with a {@code pii_detected} error event when an entry
 * that blocks finds something (the client has seen the text before it); the call is then denied
 * after the stream, so the audit row names the entry. Embeddings answers carry no text. A call no
 * entry governs is not read, and its stream is not touched. A governed OpenAI answer, whole or
 * streamed, goes out without its choices' {@code logprobs} (each token of the text, which cannot be
 * redacted token by token), and an Anthropic stream's {@code message_start} with no content.
 *
 * <p>A call that failed carries the provider's own words in its message (its error body, which
 * may quote the request), which reach the caller, a task's history and trace and the audit row.
 * The same entries read that message ({@link #failed}): redactions replace it, notes are recorded,
 * and an entry that blocks withholds it (the failure keeps its code, status and retry).
 */
public final class ModelAnswerPii implements PolicyStep<ModelExchange> {
  private final PolicyCatalog catalog;

  public ModelAnswerPii(PolicyCatalog catalog) {
    this.catalog = catalog;
  }

  @Override
  public Decision before(ModelExchange x) {
    ModelCall call = x.request();
    if (x.sink() == null || call.kind() != ModelCall.Kind.CHAT) {
      return PROCEED;
    }
    List<CompiledPolicy> policies = Governing.pii(catalog, x, CallKind.MODEL, Governing.MODEL_ANSWERS);
    if (!policies.isEmpty()) {
      x.replaceSink(new RedactingStreamSink(x.sink(), call.dialect(), policies));
    }
    return PROCEED;
  }

  @Override
  public RuntimeException failed(ModelExchange x, RuntimeException failure) {
    if (!(failure instanceof ModelCallException e) || e.getMessage() == null || e.getMessage().isEmpty()) {
      return failure;
    }
    List<CompiledPolicy> policies = Governing.pii(catalog, x, CallKind.MODEL, Governing.MODEL_ANSWERS);
    if (policies.isEmpty()) {
      return failure;
    }
    List<String> texts = new ArrayList<>(List.of(e.getMessage()));
    Decision denial = TextPolicies.pii(policies, texts, x, Governing.MODEL_ANSWERS, "the error message");
    if (denial != null) {
      x.applied(PolicyNotes.withheld(denial, Governing.MODEL_ANSWERS));
      return e.withMessage("the model call failed; " + PolicyNotes.withheldMessage(denial));
    }
    return texts.get(0).equals(e.getMessage()) ? failure : e.withMessage(texts.get(0));
  }

  @Override
  public void after(ModelExchange x) {
    if (x.sink() instanceof RedactingStreamSink stream) {
      for (int i = 0; i < stream.policies().size(); i++) {
        CompiledPolicy p = stream.policies().get(i);
        if (p.pii().action() == dev.gatehouse.policies.pii.PiiPolicy.Action.BLOCK) {
          continue; // what it found ended the stream: the denial below says so, not a "redacted" note
        }
        Decision note = PolicyNotes.pii(p.ref(), p.pii().action(), stream.findings(i), Governing.MODEL_ANSWERS);
        if (note != null) {
          x.applied(note);
        }
      }
      if (stream.denial() != null) {
        x.deny(stream.denial());
      }
      return;
    }
    ModelAnswer answer = x.response();
    ModelCall call = x.request();
    if (answer == null || answer.body() == null || call.kind() != ModelCall.Kind.CHAT) {
      return;
    }
    List<CompiledPolicy> policies = Governing.pii(catalog, x, CallKind.MODEL, Governing.MODEL_ANSWERS);
    if (policies.isEmpty()) {
      return;
    }
    List<String> before = ChatTexts.ofAnswer(call.dialect(), answer.body());
    List<String> texts = new ArrayList<>(before);
    // A task's tool calls are made through Gatehouse, where tool-arguments reads them; a face's caller runs them itself.
    List<JsonNode> argumentsBefore = call.callerRunsTools() ? CallArguments.values(CallArguments.ofAnswer(call.dialect(), answer.body())) : List.of();
    List<JsonNode> arguments = new ArrayList<>(argumentsBefore);
    Decision denial = TextPolicies.pii(policies, texts, arguments, x, Governing.MODEL_ANSWERS, "the model answer");
    if (denial != null) {
      x.deny(denial);
      return;
    }
    ObjectNode body = ChatTexts.withAnswerTexts(call.dialect(), answer.body(), before, texts);
    body = CallArguments.withArguments(body, argumentsBefore, arguments, body != answer.body(), b -> CallArguments.ofAnswer(call.dialect(), b));
    body = withoutLogprobs(body, body != answer.body());
    if (body != answer.body()) {
      x.replaceResponse(
          new ModelAnswer(
              body, answer.usage(), answer.cost(), answer.provider(), answer.providerModel(), answer.timeToFirstTokenMs(),
              answer.policies()));
    }
  }

  /**
   * {@code body} (or a copy, unless {@code copied}) with no choice's {@code logprobs}: the tokens the
   * text is made of, one by one (with {@code top_logprobs}, others it might have been), which no
   * entry can redact where it redacts the text.
   */
  private static ObjectNode withoutLogprobs(ObjectNode body, boolean copied) {
    boolean any = false;
    if (body.get("choices") instanceof ArrayNode choices) {
      for (JsonNode c : choices) {
        any |= c.hasNonNull("logprobs");
      }
    }
    if (!any) {
      return body;
    }
    ObjectNode copy = copied ? body : body.deepCopy();
    for (JsonNode c : copy.get("choices")) {
      if (c instanceof ObjectNode choice && choice.hasNonNull("logprobs")) {
        choice.putNull("logprobs");
      }
    }
    return copy;
  }
}
