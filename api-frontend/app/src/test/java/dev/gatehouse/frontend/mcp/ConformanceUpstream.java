package dev.gatehouse.frontend.mcp;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.tools.ArgumentSchemaPolicy;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.modelcontextprotocol.server.McpAsyncServer;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.AsyncCompletionSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.AsyncPromptSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.AsyncResourceSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.AsyncResourceTemplateSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.AsyncToolSpecification;
import io.modelcontextprotocol.server.transport.DefaultServerTransportSecurityValidator;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.AudioContent;
import io.modelcontextprotocol.spec.McpSchema.BlobResourceContents;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.CompleteResult;
import io.modelcontextprotocol.spec.McpSchema.Content;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageRequest;
import io.modelcontextprotocol.spec.McpSchema.ElicitFormRequest;
import io.modelcontextprotocol.spec.McpSchema.EmbeddedResource;
import io.modelcontextprotocol.spec.McpSchema.GetPromptResult;
import io.modelcontextprotocol.spec.McpSchema.ImageContent;
import io.modelcontextprotocol.spec.McpSchema.LoggingLevel;
import io.modelcontextprotocol.spec.McpSchema.LoggingMessageNotification;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import io.modelcontextprotocol.spec.McpSchema.Prompt;
import io.modelcontextprotocol.spec.McpSchema.PromptArgument;
import io.modelcontextprotocol.spec.McpSchema.PromptMessage;
import io.modelcontextprotocol.spec.McpSchema.PromptReference;
import io.modelcontextprotocol.spec.McpSchema.ReadResourceResult;
import io.modelcontextprotocol.spec.McpSchema.Resource;
import io.modelcontextprotocol.spec.McpSchema.ResourceTemplate;
import io.modelcontextprotocol.spec.McpSchema.Role;
import io.modelcontextprotocol.spec.McpSchema.SamplingMessage;
import io.modelcontextprotocol.spec.McpSchema.ServerCapabilities;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.TextResourceContents;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import reactor.core.publisher.Mono;

/**
 * An upstream MCP server for interop tests: it implements every tool, resource, prompt and
 * utility that the server scenarios of the official conformance suite
 * ({@code @modelcontextprotocol/conformance}) call, with the MCP Java SDK's own server on an
 * embedded Jetty, Streamable HTTP at {@code http://127.0.0.1:<port>/mcp}.
 *
 * <p>Run {@link #main} to start one by hand; it prints the URL.
 */
public final class ConformanceUpstream implements AutoCloseable {

  /** A 1x1 red PNG. */
  static final String PNG_BASE64 =
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

  /** A minimal WAV file (one 16-bit mono sample at 8 kHz). */
  static final String WAV_BASE64 = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

  private static final Pattern TEMPLATE_URI = Pattern.compile("^test://template/([^/]+)/data$");
  private static final Duration STEP = Duration.ofMillis(50);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Server jetty;
  private final McpAsyncServer mcp;
  private final String url;

  private ConformanceUpstream(Server jetty, McpAsyncServer mcp, String url) {
    this.jetty = jetty;
    this.mcp = mcp;
    this.url = url;
  }

  /** The full Streamable HTTP endpoint, {@code http://127.0.0.1:<port>/mcp}. */
  public String url() {
    return url;
  }

  /** Starts a fixture on 127.0.0.1 with an ephemeral port. */
  public static ConformanceUpstream start() {
    quietLogging();
    McpJsonMapper json = new JacksonMcpJsonMapper(new ObjectMapper());
    HttpServletStreamableServerTransportProvider transport =
        HttpServletStreamableServerTransportProvider.builder()
            .jsonMapper(json)
            .mcpEndpoint("/mcp")
            .keepAliveInterval(Duration.ofSeconds(20))
            // DNS rebinding protection: only loopback names, with any port.
            .securityValidator(
                DefaultServerTransportSecurityValidator.builder()
                    .allowedHosts(
                        List.of("localhost", "localhost:*", "127.0.0.1", "127.0.0.1:*", "[::1]", "[::1]:*"))
                    .allowedOrigins(
                        List.of("http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"))
                    .build())
            .build();

    McpAsyncServer mcp =
        McpServer.async(transport)
            .jsonMapper(json)
            .serverInfo("gatehouse-conformance-upstream", "1.0.0")
            .capabilities(
                ServerCapabilities.builder()
                    .tools(true)
                    .resources(true, true)
                    .prompts(true)
                    .logging()
                    .completions()
                    .build())
            .requestTimeout(Duration.ofSeconds(30))
            .jsonSchemaValidator(schemaValidator(JSON))
            .tools(tools())
            .resources(resources())
            .resourceTemplates(resourceTemplates())
            .prompts(prompts())
            .completions(completions())
            .build();

    Server jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    ServletHolder holder = new ServletHolder("mcp", transport);
    holder.setAsyncSupported(true);
    context.addServlet(holder, "/mcp");
    jetty.setHandler(context);
    try {
      jetty.start();
    } catch (Exception e) {
      mcp.close();
      throw new IllegalStateException("could not start the conformance upstream", e);
    }
    return new ConformanceUpstream(
        jetty, mcp, "http://127.0.0.1:" + connector.getLocalPort() + "/mcp");
  }

  /**
   * Jetty's, the SDK's and Reactor's DEBUG logging (logback's default level without a config)
   * writes megabytes per suite run; keep these loggers at INFO.
   */
  private static void quietLogging() {
    for (String name : List.of("org.eclipse.jetty", "io.modelcontextprotocol", "reactor")) {
      if (org.slf4j.LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger logger
          && logger.getLevel() == null) {
        logger.setLevel(ch.qos.logback.classic.Level.INFO);
      }
    }
  }

  @Override
  public void close() {
    try {
      mcp.closeGracefully().block(Duration.ofSeconds(5));
    } catch (RuntimeException e) {
      mcp.close();
    }
    try {
      jetty.stop();
    } catch (Exception e) {
      throw new IllegalStateException("could not stop the conformance upstream", e);
    }
  }

  public static void main(String[] args) throws Exception {
    ConformanceUpstream upstream = start();
    Runtime.getRuntime().addShutdownHook(new Thread(upstream::close));
    System.out.println(upstream.url());
    upstream.jetty.join();
  }

  /**
   * The SDK's default validator (mcp-json-jackson2's DefaultJsonSchemaValidator) needs networknt
   * json-schema-validator 2.x, but the build manages 1.5.9 (the policies module's), so the default
   * fails with NoClassDefFoundError com/networknt/schema/dialect/Dialects. Validate with the
   * gateway's own 2020-12 argument-schema check instead.
   */
  private static JsonSchemaValidator schemaValidator(ObjectMapper mapper) {
    ArgumentSchemaPolicy policy = new ArgumentSchemaPolicy();
    return (schema, instance) -> {
      Decision decision = policy.check("tool", mapper.valueToTree(schema), mapper.valueToTree(instance));
      return decision.allowed()
          ? JsonSchemaValidator.ValidationResponse.asValid(null)
          : JsonSchemaValidator.ValidationResponse.asInvalid(decision.reason());
    };
  }

  // ---- tools ----------------------------------------------------------------------------------

  private static List<AsyncToolSpecification> tools() {
    List<AsyncToolSpecification> tools = new ArrayList<>();
    tools.add(
        tool(
            "test_simple_text",
            "Returns simple text content",
            noArgs(),
            (ex, req) -> result(new TextContent("This is a simple text response for testing."))));
    tools.add(
        tool(
            "test_image_content",
            "Returns image content (a 1x1 PNG)",
            noArgs(),
            (ex, req) -> result(new ImageContent(null, PNG_BASE64, "image/png"))));
    tools.add(
        tool(
            "test_audio_content",
            "Returns audio content (a minimal WAV)",
            noArgs(),
            (ex, req) -> result(new AudioContent(null, WAV_BASE64, "audio/wav"))));
    tools.add(
        tool(
            "test_embedded_resource",
            "Returns an embedded text resource",
            noArgs(),
            (ex, req) ->
                result(
                    new EmbeddedResource(
                        null,
                        new TextResourceContents(
                            "test://embedded-resource",
                            "text/plain",
                            "This is an embedded resource content.")))));
    tools.add(
        tool(
            "test_multiple_content_types",
            "Returns text, image and embedded resource content together",
            noArgs(),
            (ex, req) ->
                result(
                    new TextContent("Multiple content types test:"),
                    new ImageContent(null, PNG_BASE64, "image/png"),
                    new EmbeddedResource(
                        null,
                        new TextResourceContents(
                            "test://mixed-content-resource",
                            "application/json",
                            "{\"test\":\"data\",\"value\":123}")))));
    tools.add(
        tool(
            "test_tool_with_logging",
            "Sends three info log notifications, 50 ms apart, while it runs",
            noArgs(),
            (ex, req) ->
                log(ex, "Tool execution started")
                    .then(Mono.delay(STEP))
                    .then(log(ex, "Tool processing data"))
                    .then(Mono.delay(STEP))
                    .then(log(ex, "Tool execution completed"))
                    .then(result(new TextContent("Tool with logging executed successfully")))));
    tools.add(
        tool(
            "test_tool_with_progress",
            "Reports progress 0/100, 50/100 and 100/100, 50 ms apart, when given a progress token",
            noArgs(),
            (ex, req) -> {
              Object token = req.meta() == null ? null : req.meta().get("progressToken");
              return progress(ex, token, 0)
                  .then(Mono.delay(STEP))
                  .then(progress(ex, token, 50))
                  .then(Mono.delay(STEP))
                  .then(progress(ex, token, 100))
                  .then(result(new TextContent("Tool with progress executed successfully")));
            }));
    tools.add(
        tool(
            "test_error_handling",
            "Always fails with a tool error (isError: true)",
            noArgs(),
            (ex, req) ->
                Mono.just(
                    CallToolResult.builder()
                        .addTextContent("This tool intentionally returns an error for testing")
                        .isError(true)
                        .build())));
    tools.add(
        tool(
            "test_sampling",
            "Asks the client's LLM (sampling/createMessage) and returns its answer",
            object(Map.of("prompt", string("The prompt to send to the LLM")), List.of("prompt")),
            (ex, req) -> {
              if (ex.getClientCapabilities() == null
                  || ex.getClientCapabilities().sampling() == null) {
                return error("The client does not support sampling");
              }
              String prompt = String.valueOf(req.arguments().get("prompt"));
              CreateMessageRequest sampling =
                  CreateMessageRequest.builder()
                      .messages(List.of(new SamplingMessage(Role.USER, new TextContent(prompt))))
                      .maxTokens(100)
                      .build();
              return ex.createMessage(sampling)
                  .map(
                      answer ->
                          CallToolResult.builder()
                              .addTextContent("LLM response: " + text(answer.content()))
                              .build());
            }));
    tools.add(
        tool(
            "test_elicitation",
            "Asks the user for a username and email (elicitation/create) and returns the answer",
            object(Map.of("message", string("The message to show the user")), List.of("message")),
            (ex, req) -> {
              Map<String, Object> schema =
                  object(
                      ordered(
                          "username", string("User's response"),
                          "email", string("User's email address")),
                      List.of("username", "email"));
              return elicit(ex, String.valueOf(req.arguments().get("message")), schema, "User response");
            }));
    tools.add(
        tool(
            "test_elicitation_sep1034_defaults",
            "Elicits a form whose fields all carry default values (SEP-1034)",
            noArgs(),
            (ex, req) -> {
              Map<String, Object> properties = new LinkedHashMap<>();
              properties.put(
                  "name", Map.of("type", "string", "description", "User name", "default", "John Doe"));
              properties.put(
                  "age", Map.of("type", "integer", "description", "User age", "default", 30));
              properties.put(
                  "score", Map.of("type", "number", "description", "User score", "default", 95.5));
              properties.put(
                  "status",
                  Map.of(
                      "type", "string",
                      "description", "User status",
                      "enum", List.of("active", "inactive", "pending"),
                      "default", "active"));
              properties.put(
                  "verified",
                  Map.of("type", "boolean", "description", "Verification status", "default", true));
              return elicit(
                  ex,
                  "Please review and update the form fields with defaults",
                  object(properties, List.of()),
                  "Elicitation completed");
            }));
    tools.add(
        tool(
            "test_elicitation_sep1330_enums",
            "Elicits a form with all five enum variants (SEP-1330)",
            noArgs(),
            (ex, req) -> {
              Map<String, Object> properties = new LinkedHashMap<>();
              properties.put(
                  "untitledSingle",
                  Map.of(
                      "type", "string",
                      "description", "Untitled single-select",
                      "enum", List.of("option1", "option2", "option3")));
              properties.put(
                  "titledSingle",
                  Map.of(
                      "type", "string",
                      "description", "Titled single-select",
                      "oneOf",
                          List.of(
                              Map.of("const", "value1", "title", "First Option"),
                              Map.of("const", "value2", "title", "Second Option"),
                              Map.of("const", "value3", "title", "Third Option"))));
              properties.put(
                  "legacyEnum",
                  Map.of(
                      "type", "string",
                      "description", "Legacy titled enum (deprecated enumNames)",
                      "enum", List.of("opt1", "opt2", "opt3"),
                      "enumNames", List.of("Option One", "Option Two", "Option Three")));
              properties.put(
                  "untitledMulti",
                  Map.of(
                      "type", "array",
                      "description", "Untitled multi-select",
                      "items",
                          Map.of("type", "string", "enum", List.of("option1", "option2", "option3"))));
              properties.put(
                  "titledMulti",
                  Map.of(
                      "type", "array",
                      "description", "Titled multi-select",
                      "items",
                          Map.of(
                              "anyOf",
                              List.of(
                                  Map.of("const", "value1", "title", "First Choice"),
                                  Map.of("const", "value2", "title", "Second Choice"),
                                  Map.of("const", "value3", "title", "Third Choice")))));
              return elicit(
                  ex, "Please pick from the enum fields", object(properties, List.of()),
                  "Elicitation completed");
            }));
    // SEP-1613 (the json-schema-2020-12 scenario, pending in 0.1.16): keywords must survive.
    Map<String, Object> schema2020 = new LinkedHashMap<>();
    schema2020.put("$schema", "https://json-schema.org/draft/2020-12/schema");
    schema2020.put("type", "object");
    schema2020.put(
        "$defs",
        Map.of(
            "address",
            Map.of(
                "type", "object",
                "properties",
                    Map.of("street", Map.of("type", "string"), "city", Map.of("type", "string")))));
    schema2020.put(
        "properties",
        Map.of("name", Map.of("type", "string"), "address", Map.of("$ref", "#/$defs/address")));
    schema2020.put("additionalProperties", false);
    tools.add(
        tool(
            "json_schema_2020_12_tool",
            "Tool with JSON Schema 2020-12 features",
            schema2020,
            (ex, req) ->
                result(new TextContent("JSON Schema 2020-12 tool called with " + req.arguments()))));
    return tools;
  }

  private static AsyncToolSpecification tool(
      String name,
      String description,
      Map<String, Object> inputSchema,
      BiFunction<McpAsyncServerExchange, CallToolRequest, Mono<CallToolResult>> handler) {
    return AsyncToolSpecification.builder()
        .tool(Tool.builder().name(name).description(description).inputSchema(inputSchema).build())
        .callHandler(handler)
        .build();
  }

  private static Mono<CallToolResult> result(Content... content) {
    return Mono.just(CallToolResult.builder().content(List.of(content)).build());
  }

  private static Mono<CallToolResult> error(String message) {
    return Mono.just(CallToolResult.builder().addTextContent(message).isError(true).build());
  }

  private static Mono<Void> log(McpAsyncServerExchange ex, String message) {
    return ex.loggingNotification(
        LoggingMessageNotification.builder()
            .level(LoggingLevel.INFO)
            .logger("conformance-upstream")
            .data(message)
            .build());
  }

  private static Mono<Void> progress(McpAsyncServerExchange ex, Object token, double done) {
    if (token == null) {
      return Mono.empty();
    }
    return ex.progressNotification(
        new ProgressNotification(token, done, 100.0, "Completed " + (int) done + " of 100"));
  }

  private static Mono<CallToolResult> elicit(
      McpAsyncServerExchange ex, String message, Map<String, Object> schema, String prefix) {
    if (ex.getClientCapabilities() == null || ex.getClientCapabilities().elicitation() == null) {
      return error("The client does not support elicitation");
    }
    return ex.createElicitation(ElicitFormRequest.builder(message, schema).build())
        .map(
            answer ->
                CallToolResult.builder()
                    .addTextContent(
                        prefix
                            + ": action="
                            + answer.action().name().toLowerCase()
                            + ", content="
                            + json(answer.content() == null ? Map.of() : answer.content()))
                    .build());
  }

  private static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return String.valueOf(value);
    }
  }

  private static String text(Content content) {
    return content instanceof TextContent text ? text.text() : String.valueOf(content);
  }

  private static Map<String, Object> noArgs() {
    return object(Map.of(), List.of());
  }

  private static Map<String, Object> object(Map<String, Object> properties, List<String> required) {
    Map<String, Object> schema = new LinkedHashMap<>();
    schema.put("type", "object");
    schema.put("properties", properties);
    if (!required.isEmpty()) {
      schema.put("required", required);
    }
    return schema;
  }

  private static Map<String, Object> string(String description) {
    return Map.of("type", "string", "description", description);
  }

  private static Map<String, Object> ordered(Object... keysAndValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }

  // ---- resources ------------------------------------------------------------------------------

  private static List<AsyncResourceSpecification> resources() {
    return List.of(
        resource(
            "test://static-text",
            "static-text",
            "A static text resource",
            "text/plain",
            new TextResourceContents(
                "test://static-text",
                "text/plain",
                "This is the content of the static text resource.")),
        resource(
            "test://static-binary",
            "static-binary",
            "A static binary resource (a 1x1 PNG)",
            "image/png",
            new BlobResourceContents("test://static-binary", "image/png", PNG_BASE64)),
        resource(
            "test://watched-resource",
            "watched-resource",
            "A resource that clients can subscribe to",
            "text/plain",
            new TextResourceContents(
                "test://watched-resource", "text/plain", "Watched resource content")));
  }

  private static AsyncResourceSpecification resource(
      String uri,
      String name,
      String description,
      String mimeType,
      McpSchema.ResourceContents contents) {
    Resource resource =
        Resource.builder().uri(uri).name(name).description(description).mimeType(mimeType).build();
    return new AsyncResourceSpecification(
        resource, (ex, req) -> Mono.just(new ReadResourceResult(List.of(contents))));
  }

  private static List<AsyncResourceTemplateSpecification> resourceTemplates() {
    ResourceTemplate template =
        ResourceTemplate.builder()
            .uriTemplate("test://template/{id}/data")
            .name("template-data")
            .description("Data for an id, substituted into the URI")
            .mimeType("application/json")
            .build();
    return List.of(
        new AsyncResourceTemplateSpecification(
            template,
            (ex, req) -> {
              Matcher m = TEMPLATE_URI.matcher(req.uri());
              if (!m.matches()) {
                return Mono.error(new IllegalArgumentException("no such resource: " + req.uri()));
              }
              String id = m.group(1);
              if (id.startsWith("missing-")) {
                // Not the conformance suite's: an error that quotes what was asked, for the
                // tests of what Gatehouse does with an upstream's words in its errors.
                return Mono.error(
                    McpError.builder(McpSchema.ErrorCodes.INVALID_PARAMS)
                        .message("no data for ID " + id)
                        .data(Map.of("asked", id))
                        .build());
              }
              String body =
                  "{\"id\":\"" + id + "\",\"templateTest\":true,\"data\":\"Data for ID: " + id + "\"}";
              return Mono.just(
                  new ReadResourceResult(
                      List.of(new TextResourceContents(req.uri(), "application/json", body))));
            }));
  }

  // ---- prompts and completion -----------------------------------------------------------------

  private static List<AsyncPromptSpecification> prompts() {
    return List.of(
        new AsyncPromptSpecification(
            new Prompt("test_simple_prompt", "A simple prompt without arguments", List.of()),
            (ex, req) ->
                prompt(
                    new PromptMessage(
                        Role.USER, new TextContent("This is a simple prompt for testing.")))),
        new AsyncPromptSpecification(
            new Prompt(
                "test_prompt_with_arguments",
                "A prompt with two required arguments",
                List.of(
                    new PromptArgument("arg1", "First test argument", true),
                    new PromptArgument("arg2", "Second test argument", true))),
            (ex, req) ->
                prompt(
                    new PromptMessage(
                        Role.USER,
                        new TextContent(
                            "Prompt with arguments: arg1='"
                                + arg(req.arguments(), "arg1")
                                + "', arg2='"
                                + arg(req.arguments(), "arg2")
                                + "'")))),
        new AsyncPromptSpecification(
            new Prompt(
                "test_prompt_with_embedded_resource",
                "A prompt that embeds a resource",
                List.of(new PromptArgument("resourceUri", "URI of the resource to embed", true))),
            (ex, req) ->
                prompt(
                    new PromptMessage(
                        Role.USER,
                        new EmbeddedResource(
                            null,
                            new TextResourceContents(
                                arg(req.arguments(), "resourceUri"),
                                "text/plain",
                                "Embedded resource content for testing."))),
                    new PromptMessage(
                        Role.USER, new TextContent("Please process the embedded resource above.")))),
        new AsyncPromptSpecification(
            new Prompt("test_prompt_with_image", "A prompt with image content", List.of()),
            (ex, req) ->
                prompt(
                    new PromptMessage(Role.USER, new ImageContent(null, PNG_BASE64, "image/png")),
                    new PromptMessage(Role.USER, new TextContent("Please analyze the image above.")))));
  }

  private static Mono<GetPromptResult> prompt(PromptMessage... messages) {
    return Mono.just(new GetPromptResult(null, List.of(messages)));
  }

  private static String arg(Map<String, Object> arguments, String name) {
    Object value = arguments == null ? null : arguments.get(name);
    return value == null ? "" : value.toString();
  }

  private static List<AsyncCompletionSpecification> completions() {
    List<String> words = List.of("paris", "park", "party", "test", "testing", "tested");
    return List.of(
        new AsyncCompletionSpecification(
            new PromptReference("test_prompt_with_arguments"),
            (ex, req) -> {
              String prefix = req.argument() == null ? "" : req.argument().value();
              List<String> values =
                  words.stream().filter(w -> w.startsWith(prefix == null ? "" : prefix)).toList();
              return Mono.just(
                  new CompleteResult(
                      new CompleteResult.CompleteCompletion(values, values.size(), false)));
            }));
  }
}
