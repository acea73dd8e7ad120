package dev.gatehouse.registry.agents;

/** What an agent may use. A missing list allows nothing of that kind. */
public record Permissions(AccessList tools, AccessList models, AccessList workflows) {
  public static final Permissions ALL = new Permissions(AccessList.ALL, AccessList.ALL, AccessList.ALL);

  public Permissions {
    tools = tools == null ? AccessList.NONE : tools;
    models = models == null ? AccessList.NONE : models;
    workflows = workflows == null ? AccessList.NONE : workflows;
  }
}
