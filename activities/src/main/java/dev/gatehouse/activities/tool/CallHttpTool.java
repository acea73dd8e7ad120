package dev.gatehouse.activities.tool;

import dev.gatehouse.activities.chain.UpstreamCall;
import dev.gatehouse.activities.credentials.UpstreamCredentials;
import dev.gatehouse.activities.http.HttpToolConnector;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.tool.ToolCallResult;

/**
 * Calls an HTTP tool with the credentials Gatehouse holds for its upstream (scrubbed from what comes
 * back). A 401 may mean the cached OAuth token was revoked before it expired: then a new token is
 * fetched and the call made once more.
 */
public final class CallHttpTool implements UpstreamCall<ToolExchange, ToolCallResult> {
  private final HttpToolConnector http;
  private final UpstreamCredentials credentials;

  public CallHttpTool(HttpToolConnector http, UpstreamCredentials credentials) {
    this.http = http;
    this.credentials = credentials;
  }

  @Override
  public ToolCallResult call(ToolExchange exchange) {
    ToolCall call = exchange.request();
    ToolDefinition tool = exchange.httpTool();
    String idempotencyKey = call.context().idempotencyKey();
    UpstreamCredentials.Resolved creds = credentials.resolve(tool);
    try {
      return http.call(tool, call.args(), idempotencyKey, creds.headers(), creds::redactMessage, creds::redactTree);
    } catch (ToolCallException e) {
      if (e.httpStatus() == 401 && credentials.invalidate(tool)) {
        UpstreamCredentials.Resolved fresh = credentials.resolve(tool);
        return http.call(tool, call.args(), idempotencyKey, fresh.headers(), fresh::redactMessage, fresh::redactTree);
      }
      throw e;
    }
  }
}
