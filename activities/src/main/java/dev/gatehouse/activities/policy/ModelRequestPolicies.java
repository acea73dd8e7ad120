package dev.gatehouse.activities.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.chain.PolicyStep;
import dev.gatehouse.activities.model.ModelCall;
import dev.gatehouse.activities.model.ModelExchange;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.data.CallKind;
import dev.gatehouse.policies.data.CompiledPolicy;
import java.util.ArrayList;
import java.util.List;

/**
 * What a model request goes through before it is sent, on every path (the OpenAI and Anthropic
 * faces, pipeline model steps, the agent loop, teams' workflows): first the PII entries that apply
 * at {@code model-requests}, over the request's texts ({@link ChatTexts}) and, on the model faces,
 * the arguments of the tool calls in its history ({@link CallArguments}), then the guardrail
 * entries' request checks (deny patterns, {@code maxPromptChars}) over the same, each in name order. Redactions
 * replace the request (the provider gets a copy; the caller's body is left as it was); a block
 * denies the call ({@code pii_detected} or {@code guardrail_blocked}, 422): nothing is sent. A call
 * no entry governs is not read.
 */
public final class ModelRequestPolicies implements PolicyStep<ModelExchange> {
  private final PolicyCatalog catalog;

  public ModelRequestPolicies(PolicyCatalog catalog) {
    this.catalog = catalog;
  }

  @Override
  public Decision before(ModelExchange x) {
    List<CompiledPolicy> pii = Governing.pii(catalog, x, CallKind.MODEL, Governing.MODEL_REQUESTS);
    List<CompiledPolicy> guardrails = Governing.guardrails(catalog, x, CallKind.MODEL);
    if (pii.isEmpty() && guardrails.isEmpty()) {
      return PROCEED;
    }
    ModelCall call = x.request();
    List<String> before = ChatTexts.ofRequest(call);
    List<String> texts = new ArrayList<>(before);
    List<JsonNode> argumentsBefore =
        call.kind() == ModelCall.Kind.EMBEDDINGS || !call.callerRunsTools() ? List.of() : CallArguments.values(CallArguments.ofRequest(call.dialect(), call.body()));
    List<JsonNode> arguments = new ArrayList<>(argumentsBefore);
    Decision denial = TextPolicies.pii(pii, texts, arguments, x, Governing.MODEL_REQUESTS, "the model request");
    if (denial == null) {
      denial = TextPolicies.guardrails(guardrails, texts, arguments, x, Governing.MODEL_REQUESTS);
    }
    if (denial != null) {
      return denial;
    }
    ObjectNode body = ChatTexts.withRequestTexts(call, before, texts);
    body = CallArguments.withArguments(body, argumentsBefore, arguments, body != call.body(), b -> CallArguments.ofRequest(call.dialect(), b));
    if (body != call.body()) {
      x.replaceRequest(call.withBody(body));
    }
    return PROCEED;
  }
}
