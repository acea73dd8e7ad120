package dev.gatehouse.registry.agents;

/**
 * What an agent may use. A missing list allows nothing of that kind. {@code approvals}: which of
 * its tool calls wait for an operator, or are refused where none can be asked (none when missing).
 */
public record Permissions(
    AccessList tools,
    AccessList models,
    AccessList workflows,
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_DEFAULT) ApprovalRules approvals) {
  public static final Permissions ALL = new Permissions(AccessList.ALL, AccessList.ALL, AccessList.ALL);

  public Permissions {
    tools = tools == null ? AccessList.NONE : tools;
    models = models == null ? AccessList.NONE : models;
    workflows = workflows == null ? AccessList.NONE : workflows;
    approvals = approvals == null ? ApprovalRules.NONE : approvals;
  }

  /** Permissions without approval rules. */
  public Permissions(AccessList tools, AccessList models, AccessList workflows) {
    this(tools, models, workflows, ApprovalRules.NONE);
  }
}
