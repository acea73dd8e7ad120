package dev.gatehouse.frontend.mcp;

import dev.gatehouse.activities.mcp.McpConnector;
import dev.gatehouse.activities.mcp.McpJson;
import dev.gatehouse.activities.mcp.McpToolResolver;
import dev.gatehouse.activities.mcp.McpUpstreams;
import dev.gatehouse.frontend.core.admission.Admission;
import dev.gatehouse.frontend.core.face.Face;
import dev.gatehouse.frontend.core.face.FaceContext;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.frontend.core.http.HostGuard;
import dev.gatehouse.frontend.core.http.JsonProblems;
import dev.gatehouse.frontend.core.http.PublicUrl;
import com.fasterxml.jackson.databind.JsonMappingException;
import io.modelcontextprotocol.spec.McpError;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.lifecycle.Managed;
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
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The MCP face, {@code /mcp} and {@code /mcp/{virtualServer}}: Gatehouse as a governed MCP
 * server in front of the HTTP tools and every upstream MCP server. The SDK's Streamable HTTP
 * transport carries the protocol behind {@link McpHttpFilter}'s checks; Gatehouse's own handlers
 * answer every method: {@code tools/list} ({@link ToolListing}), {@code tools/call} ({@link
 * McpToolCallHandler}), and the rest passed through to the upstreams ({@link PassThrough}).
 */
public final class McpFace implements Face {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(McpFace.class);
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
    // The threads of requests that wait on an upstream: as many as direct calls may run at once,
    // so an admitted call never queues behind another tenant's slow ones.
    Scheduler upstreamThreads =
        Schedulers.newBoundedElastic(core.admission().limits().maxDirectCalls(), Integer.MAX_VALUE, "mcp-upstream", 60, true);
    env.lifecycle().manage(new Managed() {
      @Override
      public void stop() {
        upstreamThreads.dispose();
      }
    });
    McpSessions sessions =
        new McpSessions(
            connector, upstreams, tools, config.getAgentRequestTimeout().toJavaDuration(), config.getUpstreamCredentialsCheck().toJavaDuration(),
            new UpstreamPlaces(config.getMaxUpstreamSessions(), config.getMaxUpstreamSessionsPerTenant()));
    McpToolCallHandler toolCalls =
        new McpToolCallHandler(
            core.tools(),
            resolver,
            new DirectToolCall(core.invoker(), upstreams, core.policies(), upstreamThreads),
            new DurableToolCall(
                core.durable(),
                config.getMaxDurableWait().toJavaDuration(),
                config.getProgressPollInterval().toJavaDuration()),
            core.durable(),
            core.admission(),
            core.audit(),
            core.metrics());
    PassThrough pass = new PassThrough(resolver, upstreams, connector, sessions, toolCalls, core.policies(), core.metrics(), core.audit());
    sessions
        .onEnded(toolCalls::sessionEnded)
        .onRequest(McpSchema.METHOD_PING, (ex, p) -> Mono.just(Map.of()))
        .onRequest(McpSchema.METHOD_TOOLS_LIST, listing((ex, p) -> Map.of("tools", tools.visibleTools(context(ex).caller(), context(ex).virtualServer()))))
        // tools/call never reaches the SDK: McpHttpFilter hands it to toolCalls.
        .onRequest(McpSchema.METHOD_RESOURCES_LIST, listing((ex, p) -> pass.listItems(ex, McpCatalogEntry.RESOURCE, "resources")))
        .onRequest(
            McpSchema.METHOD_RESOURCES_TEMPLATES_LIST,
            listing((ex, p) -> pass.listItems(ex, McpCatalogEntry.RESOURCE_TEMPLATE, "resourceTemplates")))
        .onRequest(McpSchema.METHOD_RESOURCES_READ, upstream(upstreamThreads, pass::readResource))
        .onRequest(McpSchema.METHOD_RESOURCES_SUBSCRIBE, upstream(upstreamThreads, (ex, p) -> pass.subscribe(ex, p, true)))
        .onRequest(McpSchema.METHOD_RESOURCES_UNSUBSCRIBE, upstream(upstreamThreads, (ex, p) -> pass.subscribe(ex, p, false)))
        .onRequest(McpSchema.METHOD_PROMPT_LIST, listing((ex, p) -> pass.listItems(ex, McpCatalogEntry.PROMPT, "prompts")))
        .onRequest(McpSchema.METHOD_PROMPT_GET, upstream(upstreamThreads, pass::getPrompt))
        .onRequest(McpSchema.METHOD_COMPLETION_COMPLETE, upstream(upstreamThreads, pass::complete))
        .onRequest(McpSchema.METHOD_LOGGING_SET_LEVEL, blocking(pass::setLevel))
        .onNotification(McpSchema.METHOD_NOTIFICATION_INITIALIZED, (ex, p) -> Mono.empty())
        .onNotification("notifications/cancelled", toolCalls::cancelled)
        .onNotification(McpSchema.METHOD_NOTIFICATION_ROOTS_LIST_CHANGED, (ex, p) -> Mono.empty());
    env.lifecycle().manage(new McpMaintenance(sessions, core.jdbi(), core.metrics(), config));

    Duration idle = config.getSessionIdleTimeout().toJavaDuration();
    PublicUrl publicUrl = new PublicUrl(config.getPublicUrl());
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
                    publicUrl,
                    core.maxRequestBody(),
                    core.admission(),
                    config.getMaxSessions(),
                    config.getMaxSessionsPerTenant(),
                    config.getMaxSessionsPerAgent()));
    guard.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, "/mcp", "/mcp/*");
    guard.setAsyncSupported(true);
    env.jersey().register(new ProtectedResourceMetadataResource(core.jdbi(), publicUrl));
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

  /**
   * A list method's handler. Gatehouse answers its lists whole, with no {@code nextCursor}, so a
   * {@code cursor} is never one it gave: {@code invalid_params}, as MCP's pagination asks of an
   * invalid cursor, rather than the first page again.
   */
  private static McpRequestHandler<Object> listing(Blocking handler) {
    return blocking((ex, params) -> {
      if (params instanceof Map<?, ?> m && m.get("cursor") != null) {
        throw McpErrors.of(ErrorCode.INVALID_PARAMS, "no such cursor: this server answers its lists whole, without a nextCursor");
      }
      return handler.handle(ex, params);
    });
  }

  /**
   * Runs a handler that answers from Gatehouse's own catalog and session state off the transport's
   * threads (on Reactor's shared {@code boundedElastic}; what waits on an upstream does not, see
   * {@link #upstream}).
   * Params that are not an object, or that do not fit the method's schema, are {@code
   * invalid_params} saying where and what JSON type was expected; anything else unexpected is an
   * internal error whose message names no Java type (the SDK would send an exception's text).
   */
  private static McpRequestHandler<Object> blocking(Blocking handler) {
    return (ex, params) -> Mono.fromCallable(() -> checked(handler, ex, params)).subscribeOn(Schedulers.boundedElastic());
  }

  /**
   * Runs a handler that waits on an upstream server ({@link PassThrough#UPSTREAM_METHODS}) on the
   * face's upstream threads, and gives the request's direct-call slot back once it has its answer
   * (before the answer is written, as a direct {@code tools/call} does).
   */
  private static McpRequestHandler<Object> upstream(Scheduler threads, Blocking handler) {
    return (ex, params) ->
        Mono.fromCallable(() -> {
              try {
                return checked(handler, ex, params);
              } finally {
                Admission.Permit slot = McpRequestContext.slotOf(ex.transportContext());
                if (slot != null) {
                  slot.close();
                }
              }
            })
            .subscribeOn(threads);
  }

  static Object checked(Blocking handler, McpAsyncServerExchange ex, Object params) {
    if (params != null && !(params instanceof Map<?, ?>)) {
      throw McpErrors.of(ErrorCode.INVALID_PARAMS, "'params' must be an object");
    }
    try {
      return handler.handle(ex, params);
    } catch (McpError e) {
      throw e;
    } catch (IllegalArgumentException e) {
      if (e.getCause() instanceof JsonMappingException m) {
        throw McpErrors.of(ErrorCode.INVALID_PARAMS, "params do not fit the method: " + JsonProblems.describe(m, McpJson.tree(params)).replace("the body", "'params'"));
      }
      throw McpErrors.of(ErrorCode.INVALID_PARAMS, JsonProblems.clean(e.getMessage(), "the params are not valid for this method"));
    } catch (ClassCastException e) {
      throw McpErrors.of(ErrorCode.INVALID_PARAMS, "the params are not valid for this method");
    } catch (RuntimeException e) {
      LOG.warn("an MCP request failed inside Gatehouse: {}", e.toString());
      throw McpErrors.of(ErrorCode.INTERNAL_ERROR, "the request failed inside Gatehouse");
    } catch (StackOverflowError | LinkageError e) {
      // Reactor takes these for fatal and drops them: the request would never be answered.
      LOG.error("an MCP request failed inside Gatehouse", e);
      throw McpErrors.of(ErrorCode.INTERNAL_ERROR, "the request failed inside Gatehouse");
    }
  }
}
