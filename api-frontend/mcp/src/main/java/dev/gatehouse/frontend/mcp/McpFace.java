package dev.gatehouse.frontend.mcp;

import dev.gatehouse.activities.mcp.McpConnector;
import dev.gatehouse.activities.mcp.McpJson;
import dev.gatehouse.activities.mcp.McpToolResolver;
import dev.gatehouse.activities.mcp.McpUpstreams;
import dev.gatehouse.frontend.core.face.Face;
import dev.gatehouse.frontend.core.face.FaceContext;
import dev.gatehouse.frontend.core.http.HostGuard;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import io.dropwizard.core.setup.Environment;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.server.McpRequestHandler;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The MCP face, {@code /mcp} and {@code /mcp/{virtualServer}}: Gatehouse as a governed MCP
 * server in front of the HTTP tools and every upstream MCP server. The SDK's Streamable HTTP
 * transport carries the protocol behind {@link McpHttpFilter}'s checks; Gatehouse's own handlers
 * answer every method: {@code tools/list} ({@link ToolListing}), {@code tools/call} ({@link
 * McpToolCallHandler}), and the rest passed through to the upstreams ({@link PassThrough}).
 */
public final class McpFace implements Face {
  private final McpConfig config;
  private final McpUpstreams upstreams;
  private final McpConnector connector;
  private final McpToolResolver resolver;

  public McpFace(McpConfig config, McpUpstreams upstreams, McpConnector connector, McpToolResolver resolver) {
    this.config = config;
    this.upstreams = upstreams;
    this.connector = connector;
    this.resolver = resolver;
  }

  @Override
  public void install(FaceContext core, Environment env) {
    ToolListing tools = new ToolListing(core.jdbi(), resolver);
    McpSessions sessions = new McpSessions(connector, upstreams, tools, config.getAgentRequestTimeout().toJavaDuration());
    PassThrough pass = new PassThrough(resolver, upstreams, connector, sessions);
    McpToolCallHandler toolCalls =
        new McpToolCallHandler(
            core.tools(),
            resolver,
            new DirectToolCall(core.invoker(), upstreams),
            new DurableToolCall(
                core.durable(),
                config.getMaxDurableWait().toJavaDuration(),
                config.getProgressPollInterval().toJavaDuration()),
            core.durable(),
            core.admission());
    sessions
        .onRequest(McpSchema.METHOD_PING, (ex, p) -> Mono.just(Map.of()))
        .onRequest(McpSchema.METHOD_TOOLS_LIST, blocking((ex, p) -> Map.of("tools", tools.visibleTools(context(ex).caller(), context(ex).virtualServer()))))
        // tools/call never reaches the SDK: McpHttpFilter hands it to toolCalls.
        .onRequest(McpSchema.METHOD_RESOURCES_LIST, blocking((ex, p) -> pass.listItems(ex, McpCatalogEntry.RESOURCE, "resources")))
        .onRequest(
            McpSchema.METHOD_RESOURCES_TEMPLATES_LIST,
            blocking((ex, p) -> pass.listItems(ex, McpCatalogEntry.RESOURCE_TEMPLATE, "resourceTemplates")))
        .onRequest(McpSchema.METHOD_RESOURCES_READ, blocking(pass::readResource))
        .onRequest(McpSchema.METHOD_RESOURCES_SUBSCRIBE, blocking((ex, p) -> pass.subscribe(ex, p, true)))
        .onRequest(McpSchema.METHOD_RESOURCES_UNSUBSCRIBE, blocking((ex, p) -> pass.subscribe(ex, p, false)))
        .onRequest(McpSchema.METHOD_PROMPT_LIST, blocking((ex, p) -> pass.listItems(ex, McpCatalogEntry.PROMPT, "prompts")))
        .onRequest(McpSchema.METHOD_PROMPT_GET, blocking(pass::getPrompt))
        .onRequest(McpSchema.METHOD_COMPLETION_COMPLETE, blocking(pass::complete))
        .onRequest(McpSchema.METHOD_LOGGING_SET_LEVEL, blocking(pass::setLevel))
        .onNotification(McpSchema.METHOD_NOTIFICATION_INITIALIZED, (ex, p) -> Mono.empty())
        .onNotification("notifications/cancelled", toolCalls::cancelled)
        .onNotification(McpSchema.METHOD_NOTIFICATION_ROOTS_LIST_CHANGED, (ex, p) -> Mono.empty());
    env.lifecycle().manage(new McpMaintenance(sessions, core.jdbi(), core.metrics(), config));

    Duration idle = config.getSessionIdleTimeout().toJavaDuration();
    HttpServletStreamableServerTransportProvider transport =
        HttpServletStreamableServerTransportProvider.builder()
            .jsonMapper(McpJson.MAPPER)
            .mcpEndpoint("/mcp")
            .contextExtractor(McpFace::transportContext)
            .keepAliveInterval(config.getKeepAliveInterval().toJavaDuration())
            // The SDK evicts its own idle sessions on the same clock as McpMaintenance ours.
            .sessionSweepInterval(idle)
            .maxRequestSize((int) core.maxRequestBody())
            .build();
    transport.setSessionFactory(sessions);
    var servlet = env.servlets().addServlet("mcp", transport);
    servlet.addMapping("/mcp", "/mcp/*");
    servlet.setAsyncSupported(true);
    var guard =
        env.servlets()
            .addFilter(
                "mcp-guard",
                new McpHttpFilter(
                    core.auth(),
                    sessions,
                    toolCalls,
                    core.jdbi(),
                    new HostGuard(config.getAllowedHosts(), config.getAllowedOrigins()),
                    config.getPublicUrl(),
                    core.maxRequestBody(),
                    core.admission(),
                    config.getMaxSessions()));
    guard.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, "/mcp", "/mcp/*");
    guard.setAsyncSupported(true);
    env.jersey().register(new ProtectedResourceMetadataResource(core.jdbi(), config.getPublicUrl()));
  }

  /** The SDK's context extractor: hands the filter's findings to the handlers. */
  private static McpTransportContext transportContext(HttpServletRequest request) {
    Object ctx = request.getAttribute(McpRequestContext.ATTRIBUTE);
    return ctx instanceof McpRequestContext c ? c.toTransportContext() : McpTransportContext.EMPTY;
  }

  private static McpRequestContext context(McpAsyncServerExchange ex) {
    return McpRequestContext.of(ex.transportContext());
  }

  private interface Blocking {
    Object handle(McpAsyncServerExchange ex, Object params);
  }

  /** Runs a handler that reads the database or waits on an upstream off the transport's threads. */
  private static McpRequestHandler<Object> blocking(Blocking handler) {
    return (ex, params) -> Mono.fromCallable(() -> handler.handle(ex, params)).subscribeOn(Schedulers.boundedElastic());
  }
}
