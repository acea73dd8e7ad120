package dev.gatehouse.frontend.core.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gatehouse.activities.mcp.McpToolResolver;
import dev.gatehouse.activities.tool.ToolCatalog;
import dev.gatehouse.frontend.core.auth.Caller.AgentCaller;
import dev.gatehouse.frontend.core.durable.DurableCalls;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.access.AccessPolicy;
import dev.gatehouse.policies.approvals.ApprovalPolicy;
import dev.gatehouse.registry.agents.ApprovalRules;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.model.ModelCallPolicy;
import dev.gatehouse.workflows.spi.GatehouseWorkflow;
import dev.gatehouse.workflows.spi.InvalidTaskInputException;
import dev.gatehouse.workflows.spi.TaskInput;
import dev.gatehouse.workflows.spi.ToolGrant;
import dev.gatehouse.workflows.tool.Caller;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jdbi.v3.core.Jdbi;

/**
 * A workflow written against the SPI ({@link GatehouseWorkflow}) as a task. A submission is
 * checked before anything starts: the input is a JSON object the workflow's own {@link
 * GatehouseWorkflow#validate} accepts; every tool and model the workflow declares is known in the
 * agent's tenant and allowed to the agent (its token's scopes included). The tools' and models'
 * timeouts and retries, and whether a call of each tool waits for approval (and under which
 * version of the approval policy), are recorded in the workflow's {@link TaskInput}.
 */
public final class CodeTaskWorkflow implements TaskWorkflow {
  private final GatehouseWorkflow workflow;
  private final ToolCatalog tools;
  private final McpToolResolver mcpTools;
  private final TaskModels models;
  private final DurableCalls durable;

  public CodeTaskWorkflow(GatehouseWorkflow workflow, ToolCatalog tools, McpToolResolver mcpTools, Jdbi jdbi, DurableCalls durable) {
    this.workflow = workflow;
    this.tools = tools;
    this.mcpTools = mcpTools;
    this.models = new TaskModels(jdbi, durable);
    this.durable = durable;
  }

  @Override
  public String type() {
    return workflow.name();
  }

  @Override
  public DurableCalls.Start prepare(AgentCaller caller, TaskSubmission submission, Duration timeout) {
    if (submission.pipeline() != null) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "'pipeline' is only for pipeline tasks; workflow '" + type() + "' takes an 'input'");
    }
    JsonNode input = submission.input() == null ? JsonNodeFactory.instance.objectNode() : submission.input();
    if (!input.isObject()) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "'input' of workflow '" + type() + "' must be a JSON object");
    }
    try {
      workflow.validate(input);
    } catch (InvalidTaskInputException e) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "input: " + e.getMessage());
    } catch (RuntimeException | StackOverflowError | AssertionError | LinkageError e) {
      // The team's check itself failed on this input (an exception, or an error of its own code:
      // a recursion too deep, an assert, a class it needs missing): the input is what it could not
      // take. Running out of memory is the server's failure, not the input's.
      // Its message may quote the input: the log says the class, and DEBUG adds the trace.
      org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(CodeTaskWorkflow.class);
      log.warn("workflow {}: its validate failed with {}", type(), e.getClass().getName());
      log.debug("workflow {}: its validate failed", type(), e);
      throw new ApiException(ErrorCode.INVALID_REQUEST, "input: workflow '" + type() + "' cannot take this input");
    }
    var agent = caller.agent();
    Map<String, ToolGrant> grants = new TreeMap<>();
    for (String name : workflow.tools()) {
      grants.put(name, grant(caller, name));
    }
    Map<String, ModelCallPolicy> modelPolicies = new TreeMap<>();
    for (String name : workflow.models()) {
      ModelDefinition model =
          models
              .visible(name, agent.tenantId())
              .orElseThrow(
                  () ->
                      new ApiException(
                          ErrorCode.MODEL_NOT_FOUND,
                          "workflow '" + type() + "' calls model '" + name + "', which this agent's tenant does not have"));
      models.authorize(caller, model);
      modelPolicies.put(name, models.policy(agent.tenantId(), model));
    }
    long approvalTimeout = Math.min(workflow.approvalTimeout().toMillis(), timeout.toMillis());
    TaskInput taskInput =
        new TaskInput(input, new Caller(agent.tenantId(), agent.id(), caller.scopes()), grants, modelPolicies, approvalTimeout);
    return new DurableCalls.Start(type(), taskInput, timeout, type());
  }

  /**
   * The grant of tool {@code name}: an HTTP tool of the registry or a tool discovered on an MCP
   * server, visible to the agent's tenant (404 {@code unknown_tool} otherwise) and allowed to the
   * agent (the audited 403 otherwise).
   */
  private ToolGrant grant(AgentCaller caller, String name) {
    var agent = caller.agent();
    ApprovalRules rules = agent.permissions().approvals();
    Optional<ToolDefinition> http = tools.find(name).filter(t -> t.tenantId() == null || t.tenantId().equals(agent.tenantId()));
    ToolGrant grant;
    if (http.isPresent()) {
      ToolDefinition t = http.get();
      String hold = ApprovalPolicy.hold(rules, t.name(), t.approvalRequired(), null);
      grant = new ToolGrant(DurableCalls.policyOf(t), hold != null, hold);
    } else {
      McpToolResolver.McpItem item =
          mcpTools
              .find(agent.tenantId(), McpCatalogEntry.TOOL, name)
              .orElseThrow(
                  () ->
                      new ApiException(
                          ErrorCode.UNKNOWN_TOOL,
                          "workflow '" + type() + "' calls tool '" + name + "', which this agent's tenant does not have"));
      String hold = ApprovalPolicy.hold(rules, name, false, item.approvalHints());
      grant = new ToolGrant(DurableCalls.policyOf(item.server()), hold != null, hold);
    }
    Decision mayUse = AccessPolicy.tool(agent.permissions(), caller.scopes(), name);
    if (!mayUse.allowed()) {
      throw durable.denied(caller, "task.submit", name, mayUse);
    }
    return grant;
  }
}
