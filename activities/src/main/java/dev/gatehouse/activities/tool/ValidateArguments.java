package dev.gatehouse.activities.tool;

import dev.gatehouse.activities.chain.PolicyStep;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.tools.ArgumentSchemaPolicy;
import dev.gatehouse.policies.tools.ToolArgumentsPolicy;
import dev.gatehouse.registry.tools.ToolDefinition;

/**
 * Checks a call's arguments before anything is sent: for an HTTP tool its URL placeholders and the
 * size cap first, then, for every tool, its {@code inputSchema}.
 */
public final class ValidateArguments implements PolicyStep<ToolExchange> {
  private final ToolArgumentsPolicy argumentsPolicy;
  private final ArgumentSchemaPolicy schemaPolicy;

  public ValidateArguments(ToolArgumentsPolicy argumentsPolicy, ArgumentSchemaPolicy schemaPolicy) {
    this.argumentsPolicy = argumentsPolicy;
    this.schemaPolicy = schemaPolicy;
  }

  @Override
  public Decision before(ToolExchange exchange) {
    ToolCall call = exchange.request();
    ToolDefinition http = exchange.httpTool();
    if (http == null) {
      return schemaPolicy.check(call.tool(), exchange.mcpTool().inputSchema(), call.args());
    }
    Decision urlArguments = argumentsPolicy.check(http.name(), http.http().placeholders(), call.args());
    return urlArguments.allowed() ? schemaPolicy.check(http.name(), http.inputSchema(), call.args()) : urlArguments;
  }
}
