package dev.gatehouse.frontend.core.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.mcp.McpToolResolver;
import dev.gatehouse.frontend.core.auth.Caller.AgentCaller;
import dev.gatehouse.frontend.core.durable.DurableCalls;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.frontend.core.http.JsonBodies;
import dev.gatehouse.policies.access.AccessPolicy;
import dev.gatehouse.policies.approvals.ApprovalPolicy;
import dev.gatehouse.policies.access.Patterns;
import dev.gatehouse.registry.Durations;
import dev.gatehouse.registry.agents.ApprovalRules;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.agent.AgentInput;
import dev.gatehouse.workflows.agent.AgentLimits;
import dev.gatehouse.workflows.agent.AgentTool;
import dev.gatehouse.workflows.agent.AgentTranscript;
import dev.gatehouse.workflows.agent.AgentTools;
import dev.gatehouse.workflows.agent.AgentWorkflow;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolCallPolicy;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jdbi.v3.core.Jdbi;

/**
 * The {@code agent} task: a model and the tools it may call, in a loop ({@link AgentWorkflow}).
 * The submission's {@code input} is checked whole before anything starts: the model known in the
 * agent's tenant and allowed to it; the {@code tools} patterns, which select among the tools the
 * agent may use (never more); the limits. The selected tools' schemas, timeouts and retries are
 * recorded in the workflow's input as the registry has them now.
 */
public final class AgentTaskWorkflow implements TaskWorkflow {
  static final int DEFAULT_MAX_STEPS = 10;
  static final int MAX_STEPS = 1_000;
  static final int MAX_MESSAGES = 256;
  static final int MAX_PATTERNS = 64;
  static final int MAX_PATTERN_LENGTH = 200;
  /** The most tools one task offers its model. */
  static final int MAX_TOOLS = 128;
  /** The {@code max_tokens} of each model call when the submission sets none (or the model's maximum, when lower). */
  static final int DEFAULT_MAX_OUTPUT_TOKENS = 4_096;
  static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

  /** The submission's {@code input}. Exactly one of {@code messages} and {@code goal}. */
  record Submission(String model, List<ObjectNode> messages, String goal, List<String> tools, Limits limits) {}

  /** The submission's {@code limits}; every one optional. */
  record Limits(
      Integer maxSteps, Long maxTokens, BigDecimal maxCost, String deadline, Integer maxOutputTokens, String approvalTimeout) {}

  private final ToolDao toolList;
  private final McpToolResolver mcpTools;
  private final TaskModels models;
  private final JsonBodies bodies;

  public AgentTaskWorkflow(McpToolResolver mcpTools, Jdbi jdbi, DurableCalls durable, JsonBodies bodies) {
    this.toolList = jdbi.onDemand(ToolDao.class);
    this.mcpTools = mcpTools;
    this.models = new TaskModels(jdbi, durable);
    this.bodies = bodies;
  }

  @Override
  public String type() {
    return AgentWorkflow.TYPE;
  }

  /** The task body's {@code input}, as the body holds it. */
  record InBody(Submission input) {}

  @Override
  public DurableCalls.Start prepare(AgentCaller caller, TaskSubmission submission, Duration timeout) {
    if (submission.pipeline() != null) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "an agent task takes no 'pipeline'; its model and tools go in 'input'");
    }
    if (submission.input() == null || !submission.input().isObject()) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "an agent task needs an 'input' object with 'model' and 'messages' or 'goal'");
    }
    // Read inside its place in the body, so a refusal names the field as the client wrote it ('input.goal').
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.set("input", submission.input());
    Submission in = bodies.convert(body, InBody.class).input();
    String tenant = caller.agent().tenantId();
    if (in.model() == null || in.model().isBlank()) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "input.model: the model alias is required");
    }
    ModelDefinition model =
        models
            .visible(in.model(), tenant)
            .orElseThrow(() -> new ApiException(ErrorCode.MODEL_NOT_FOUND, "input.model names unknown model '" + in.model() + "'"));
    models.authorize(caller, model);
    List<ObjectNode> messages = messages(in);
    AgentLimits limits = limits(in.limits(), model, timeout);
    List<AgentTool> offered = select(caller, in.tools());
    AgentInput input =
        new AgentInput(
            model.name(),
            messages,
            offered,
            limits,
            new Caller(tenant, caller.agent().id(), caller.scopes()),
            models.policy(tenant, model),
            null,
            null);
    return new DurableCalls.Start(AgentWorkflow.TYPE, input, timeout, AgentWorkflow.TYPE);
  }

  private static List<ObjectNode> messages(Submission in) {
    boolean hasMessages = in.messages() != null;
    boolean hasGoal = in.goal() != null;
    if (hasMessages == hasGoal) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "input: give either 'messages' or 'goal', not both or neither");
    }
    if (hasGoal) {
      if (in.goal().isBlank()) {
        throw new ApiException(ErrorCode.INVALID_REQUEST, "input.goal must not be blank");
      }
      return List.of(JsonNodeFactory.instance.objectNode().put("role", "user").put("content", in.goal()));
    }
    if (in.messages().isEmpty() || in.messages().size() > MAX_MESSAGES) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "input.messages must hold 1 to " + MAX_MESSAGES + " messages");
    }
    for (int i = 0; i < in.messages().size(); i++) {
      ObjectNode m = in.messages().get(i);
      if (m == null) {
        throw new ApiException(ErrorCode.INVALID_REQUEST, "input.messages[" + i + "] must be an object");
      }
      JsonNode role = m.get("role");
      if (role == null || !role.isTextual() || !ROLES.contains(role.textValue())) {
        throw new ApiException(
            ErrorCode.INVALID_REQUEST, "input.messages[" + i + "].role must be one of " + String.join(", ", ROLES.stream().sorted().toList()));
      }
      JsonNode content = m.get("content");
      if (content != null && !content.isTextual() && !content.isArray() && !content.isNull()) {
        throw new ApiException(ErrorCode.INVALID_REQUEST, "input.messages[" + i + "].content must be text or an array of parts");
      }
      if (m.has(AgentTranscript.RESULT_MEMBER)) {
        // Gatehouse's own reference to a stored tool result: only the loop puts it in a transcript.
        throw new ApiException(
            ErrorCode.INVALID_REQUEST, "input.messages[" + i + "] may not hold '" + AgentTranscript.RESULT_MEMBER + "', which is Gatehouse's own");
      }
    }
    return in.messages();
  }

  private static AgentLimits limits(Limits l, ModelDefinition model, Duration timeout) {
    Limits given = l == null ? new Limits(null, null, null, null, null, null) : l;
    int maxSteps = given.maxSteps() == null ? DEFAULT_MAX_STEPS : given.maxSteps();
    if (maxSteps < 1 || maxSteps > MAX_STEPS) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "input.limits.maxSteps must be between 1 and " + MAX_STEPS);
    }
    if (given.maxTokens() != null && given.maxTokens() < 1) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "input.limits.maxTokens must be at least 1");
    }
    String maxCost = null;
    if (given.maxCost() != null) {
      if (given.maxCost().signum() <= 0 || given.maxCost().precision() - given.maxCost().scale() > 15 || given.maxCost().scale() > 12) {
        throw new ApiException(
            ErrorCode.INVALID_REQUEST, "input.limits.maxCost must be a positive amount with at most 15 digits before the point and 12 after");
      }
      if (model.prices() == null || model.prices().input() == null || model.prices().output() == null) {
        throw new ApiException(
            ErrorCode.INVALID_REQUEST,
            "input.limits.maxCost: model '" + model.name() + "' has no input and output prices in the registry, so a cost limit cannot be kept");
      }
      maxCost = given.maxCost().stripTrailingZeros().toPlainString();
    }
    Long deadline = null;
    if (given.deadline() != null) {
      Duration d;
      try {
        d = Durations.parse(given.deadline());
      } catch (IllegalArgumentException e) {
        throw new ApiException(ErrorCode.INVALID_REQUEST, "input.limits.deadline: " + e.getMessage());
      }
      if (d.isZero() || d.isNegative() || d.compareTo(timeout) > 0) {
        throw new ApiException(
            ErrorCode.INVALID_REQUEST,
            "input.limits.deadline must be positive and no longer than the task's timeout (" + Durations.format(timeout) + ")");
      }
      deadline = d.toMillis();
    }
    Long approvalTimeout = null;
    if (given.approvalTimeout() != null) {
      Duration d;
      try {
        d = Durations.parse(given.approvalTimeout());
      } catch (IllegalArgumentException e) {
        throw new ApiException(ErrorCode.INVALID_REQUEST, "input.limits.approvalTimeout: " + e.getMessage());
      }
      if (d.compareTo(Duration.ofSeconds(1)) < 0 || d.compareTo(timeout) > 0) {
        throw new ApiException(
            ErrorCode.INVALID_REQUEST,
            "input.limits.approvalTimeout must be at least 1s and no longer than the task's timeout (" + Durations.format(timeout) + ")");
      }
      approvalTimeout = d.toMillis();
    }
    int modelMax = model.maxOutput() == null ? Integer.MAX_VALUE : model.maxOutput();
    int maxOutput = given.maxOutputTokens() == null ? Math.min(DEFAULT_MAX_OUTPUT_TOKENS, modelMax) : given.maxOutputTokens();
    if (maxOutput < 1 || maxOutput > modelMax) {
      throw new ApiException(
          ErrorCode.INVALID_REQUEST,
          "input.limits.maxOutputTokens must be between 1 and " + (model.maxOutput() == null ? "2147483647" : model.maxOutput()
              + " (model '" + model.name() + "')"));
    }
    return new AgentLimits(maxSteps, given.maxTokens(), maxCost, deadline, maxOutput, approvalTimeout);
  }

  /**
   * The tools the patterns select: HTTP tools of the registry and tools discovered on MCP servers
   * that the agent's tenant sees, that a pattern matches and that the agent may use (its token's
   * scopes included). A pattern that selects none is refused, so a typo does not silently leave
   * the model without a tool.
   */
  private List<AgentTool> select(AgentCaller caller, List<String> patterns) {
    if (patterns == null || patterns.isEmpty()) {
      return List.of();
    }
    if (patterns.size() > MAX_PATTERNS) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "input.tools holds at most " + MAX_PATTERNS + " patterns");
    }
    for (String p : patterns) {
      if (p == null || p.isBlank() || p.length() > MAX_PATTERN_LENGTH) {
        throw new ApiException(ErrorCode.INVALID_REQUEST, "input.tools: each pattern is 1 to " + MAX_PATTERN_LENGTH + " characters");
      }
    }
    String tenant = caller.agent().tenantId();
    ApprovalRules rules = caller.agent().permissions().approvals();
    Map<String, AgentTool> byName = new LinkedHashMap<>();
    // Tool names are unique across the registry: the list's definition is the one the tool activity resolves.
    for (ToolDefinition t : toolList.list()) {
      if ((t.tenantId() == null || t.tenantId().equals(tenant)) && Patterns.anyMatches(patterns, t.name())) {
        byName.putIfAbsent(
            t.name(),
            tool(t.name(), t.description(), t.inputSchema(), DurableCalls.policyOf(t),
                ApprovalPolicy.hold(rules, t.name(), t.approvalRequired(), null)));
      }
    }
    for (McpToolResolver.McpItem item : mcpTools.view(tenant).items(McpCatalogEntry.TOOL)) {
      if (Patterns.anyMatches(patterns, item.gatewayName())) {
        JsonNode description = item.body() == null ? null : item.body().get("description");
        byName.putIfAbsent(
            item.gatewayName(),
            tool(
                item.gatewayName(),
                description != null && description.isTextual() ? description.textValue() : null,
                item.inputSchema(),
                DurableCalls.policyOf(item.server()),
                ApprovalPolicy.hold(rules, item.gatewayName(), false, item.approvalHints())));
      }
    }
    List<AgentTool> allowed = new ArrayList<>();
    for (AgentTool t : byName.values()) {
      if (AccessPolicy.tool(caller.agent().permissions(), caller.scopes(), t.name()).allowed()) {
        allowed.add(t);
      }
    }
    for (String p : patterns) {
      if (allowed.stream().noneMatch(t -> Patterns.matches(p, t.name()))) {
        throw new ApiException(
            ErrorCode.INVALID_REQUEST, "input.tools: pattern '" + p + "' selects no tool this agent may use");
      }
    }
    if (allowed.size() > MAX_TOOLS) {
      throw new ApiException(
          ErrorCode.INVALID_REQUEST, "input.tools selects " + allowed.size() + " tools; a task offers its model at most " + MAX_TOOLS);
    }
    List<String> functions = AgentTools.functionNames(allowed.stream().map(AgentTool::name).toList());
    List<AgentTool> out = new ArrayList<>(allowed.size());
    for (int i = 0; i < allowed.size(); i++) {
      AgentTool t = allowed.get(i);
      out.add(new AgentTool(t.name(), functions.get(i), t.description(), t.parameters(), t.policy(), t.approval(), t.approvalPolicy()));
    }
    return out;
  }

  /** A tool offered before its function name is chosen; {@code approvalPolicy} null when no approval holds its calls. */
  private static AgentTool tool(String name, String description, JsonNode parameters, ToolCallPolicy policy, String approvalPolicy) {
    return new AgentTool(name, null, description, parameters, policy, approvalPolicy != null, approvalPolicy);
  }
}
