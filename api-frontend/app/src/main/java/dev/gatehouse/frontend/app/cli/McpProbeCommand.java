package dev.gatehouse.frontend.app.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.credentials.UpstreamCredentials;
import dev.gatehouse.activities.mcp.McpConnector;
import dev.gatehouse.activities.mcp.UpstreamHandlers;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.secrets.SecretRefs;
import dev.gatehouse.registry.tools.UpstreamAuth;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.Command;
import io.dropwizard.core.setup.Bootstrap;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * {@code gatehouse mcp-probe [options] URL}: can Gatehouse reach this MCP server? Connects with
 * Gatehouse's own upstream client ({@link McpConnector}, the one discovery and tool calls use),
 * initializes, lists the tools, prompts and resources the server offers, optionally calls tools,
 * and prints a JSON summary on stdout. Exit 0 on success; on failure one line on stderr and exit
 * 1. Needs no configuration file and no database: headers and the client secret are given as
 * values (they are never stored; the registry itself only ever holds secret references).
 */
public class McpProbeCommand extends Command {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public McpProbeCommand() {
    super("mcp-probe", "Connect to an MCP server with Gatehouse's upstream client, list what it offers, print a JSON summary");
  }

  @Override
  public void configure(Subparser subparser) {
    subparser.addArgument("--transport")
        .choices(McpServerDefinition.STREAMABLE_HTTP, McpServerDefinition.SSE)
        .setDefault(McpServerDefinition.STREAMABLE_HTTP)
        .help("the server's transport (default streamable-http)");
    subparser.addArgument("--header").action(Arguments.append()).metavar("NAME:VALUE")
        .help("a header to send with every request (repeatable)");
    subparser.addArgument("--token-url").dest("tokenUrl").help("OAuth 2.0 client credentials: the token endpoint");
    subparser.addArgument("--client-id").dest("clientId").help("OAuth 2.0 client credentials: the client id");
    subparser.addArgument("--client-secret").dest("clientSecret")
        .help("OAuth 2.0 client credentials: the client secret (prefer --client-secret-env)");
    subparser.addArgument("--client-secret-env").dest("clientSecretEnv").metavar("VAR")
        .help("OAuth 2.0 client credentials: read the client secret from this environment variable");
    subparser.addArgument("--scope").action(Arguments.append()).help("OAuth 2.0 scope to request (repeatable)");
    subparser.addArgument("--call-tools").dest("callTools").action(Arguments.storeTrue())
        .help("call every listed tool, with arguments made from its input schema's required properties");
    subparser.addArgument("--call").action(Arguments.append()).metavar("TOOL")
        .help("call this tool (repeatable), with arguments made from its input schema");
    subparser.addArgument("--timeout").type(Integer.class).setDefault(30).metavar("SECONDS")
        .help("connect and per-request timeout (default 30)");
    subparser.addArgument("--verbose").action(Arguments.storeTrue()).help("log the client's work on stderr");
    subparser.addArgument("url").help("the server's URL, e.g. https://mcp.example.com/mcp");
  }

  @Override
  public void run(Bootstrap<?> bootstrap, Namespace namespace) throws Exception {
    quietLogs(Boolean.TRUE.equals(namespace.getBoolean("verbose")));
    McpServerDefinition server = definition(namespace);
    List<String> toCall = namespace.getList("call") == null ? List.of() : namespace.<String>getList("call");
    boolean callAll = Boolean.TRUE.equals(namespace.getBoolean("callTools"));
    Duration timeout = server.timeoutOrDefault();

    // No secrets store: the probe's header and secret values are literals, never references.
    McpConnector connector = new McpConnector(new UpstreamCredentials(null, Clock.systemUTC()));
    McpAsyncClient client = connector.client(server, UpstreamHandlers.NONE);
    ObjectNode out = JSON.createObjectNode();
    out.put("url", server.url());
    out.put("transport", server.transport());
    try {
      McpSchema.InitializeResult init = await(client.initialize(), timeout.plus(server.connectTimeoutOrDefault()), "initialize");
      out.put("protocolVersion", init.protocolVersion());
      out.set("serverInfo", JSON.valueToTree(init.serverInfo()));
      out.set("capabilities", JSON.valueToTree(init.capabilities()));
      McpSchema.ServerCapabilities caps = init.capabilities() == null
          ? McpSchema.ServerCapabilities.builder().build()
          : init.capabilities();

      List<McpSchema.Tool> tools = new ArrayList<>();
      if (caps.tools() != null) {
        String cursor = null;
        do {
          McpSchema.ListToolsResult page = await(client.listTools(cursor), timeout, "tools/list");
          tools.addAll(page.tools());
          cursor = page.nextCursor();
        } while (cursor != null);
      }
      ArrayNode toolNames = out.putArray("tools");
      tools.forEach(t -> toolNames.add(t.name()));

      ArrayNode prompts = out.putArray("prompts");
      if (caps.prompts() != null) {
        await(client.listPrompts(), timeout, "prompts/list").prompts().forEach(p -> prompts.add(p.name()));
      }
      ArrayNode resources = out.putArray("resources");
      if (caps.resources() != null) {
        await(client.listResources(), timeout, "resources/list").resources().forEach(r -> resources.add(r.uri()));
      }

      ArrayNode calls = out.putArray("calls");
      boolean allOk = true;
      for (String name : toCall) {
        if (tools.stream().noneMatch(t -> t.name().equals(name))) {
          throw new IllegalArgumentException("the server lists no tool '" + name + "'");
        }
      }
      for (McpSchema.Tool tool : tools) {
        if (!callAll && !toCall.contains(tool.name())) {
          continue;
        }
        Map<String, Object> arguments = sampleArguments(tool.inputSchema());
        McpSchema.CallToolResult result =
            await(
                client.callTool(new McpSchema.CallToolRequest(tool.name(), arguments)), timeout, "tools/call " + tool.name());
        boolean isError = Boolean.TRUE.equals(result.isError());
        allOk &= !isError;
        ObjectNode call = calls.addObject();
        call.put("tool", tool.name());
        call.set("arguments", JSON.valueToTree(arguments));
        call.put("isError", isError);
        ArrayNode content = call.putArray("content");
        for (McpSchema.Content c : result.content()) {
          // As the declared type, so the "type" discriminator is written.
          content.add(JSON.readTree(JSON.writerFor(McpSchema.Content.class).writeValueAsString(c)));
        }
      }
      out.put("ok", allOk);
      System.out.println(JSON.writeValueAsString(out));
      if (!allOk) {
        throw new ProbeFailure("a tool call returned an error (isError: true)");
      }
    } finally {
      try {
        client.closeGracefully().block(Duration.ofSeconds(5));
      } catch (RuntimeException e) {
        client.close();
      }
    }
  }

  /** The value of {@code mono}, or a ProbeFailure that names the step (and says when it timed out). */
  private static <T> T await(Mono<T> mono, Duration timeout, String step) {
    try {
      T value = mono.block(timeout);
      if (value == null) {
        throw new ProbeFailure(step + ": no answer");
      }
      return value;
    } catch (ProbeFailure e) {
      throw e;
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() != null && e.getMessage() != null && e.getMessage().startsWith(e.getCause().getClass().getName())
          ? e.getCause()
          : e;
      if (cause instanceof TimeoutException || (e instanceof IllegalStateException && String.valueOf(e.getMessage()).startsWith("Timeout on blocking read"))) {
        throw new ProbeFailure(step + ": no answer within " + timeout.toSeconds() + " s");
      }
      throw new ProbeFailure(step + ": " + describe(cause));
    }
  }

  /** One line, never a stack trace: the cause chain's messages, outermost first. */
  @Override
  public void onError(Cli cli, Namespace namespace, Throwable e) {
    cli.getStdErr().println("mcp-probe: " + describe(e));
  }

  public static String describe(Throwable e) {
    StringBuilder sb = new StringBuilder();
    Throwable t = e;
    String last = null;
    for (int depth = 0; t != null && depth < 5; depth++, t = t.getCause()) {
      String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
      message = message.replaceAll("\\s+", " ").trim();
      if (last != null && last.contains(message)) {
        continue;
      }
      if (sb.length() > 0) {
        sb.append(": ");
      }
      sb.append(message);
      last = message;
    }
    return sb.toString();
  }

  static McpServerDefinition definition(Namespace ns) {
    String url = ns.getString("url");
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + url + "' is not a URL");
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
      throw new IllegalArgumentException("'" + url + "' is not an http(s) URL");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    List<String> given = ns.getList("header");
    if (given != null) {
      for (String h : given) {
        int colon = h.indexOf(':');
        if (colon <= 0) {
          // Not quoted: what was given is most likely a credential missing its colon.
          throw new IllegalArgumentException("--header wants NAME:VALUE, and one given has no ':' after a name");
        }
        String name = h.substring(0, colon).trim();
        String value = h.substring(colon + 1).trim();
        boolean plainName = name.chars().allMatch(c -> c > 0x20 && c < 0x7f);
        if (!plainName || value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
          // Not quoted either: a token read from a file with its line break, say.
          throw new IllegalArgumentException(
              "--header " + (plainName ? name : "") + " holds a line break or another control character; a header is one line");
        }
        headers.put(name, literal("--header " + name, value));
      }
    }
    UpstreamAuth auth = auth(ns);
    Duration timeout = Duration.ofSeconds(ns.getInt("timeout"));
    return new McpServerDefinition(
        "probe", null, ns.getString("transport"), url, null, null, null, null, headers, auth,
        timeout, timeout, null, null, null, null);
  }

  private static UpstreamAuth auth(Namespace ns) {
    String tokenUrl = ns.getString("tokenUrl");
    String clientId = ns.getString("clientId");
    String secret = ns.getString("clientSecret");
    String secretEnv = ns.getString("clientSecretEnv");
    if (secretEnv != null) {
      if (secret != null) {
        throw new IllegalArgumentException("give --client-secret or --client-secret-env, not both");
      }
      secret = System.getenv(secretEnv);
      if (secret == null) {
        throw new IllegalArgumentException("--client-secret-env: " + secretEnv + " is not set");
      }
    }
    if (tokenUrl == null && clientId == null && secret == null) {
      return null;
    }
    if (tokenUrl == null || clientId == null || secret == null) {
      throw new IllegalArgumentException("client credentials need --token-url, --client-id and --client-secret (or --client-secret-env)");
    }
    List<String> scopes = ns.getList("scope") == null ? List.of() : ns.<String>getList("scope");
    return new UpstreamAuth(UpstreamAuth.CLIENT_CREDENTIALS, tokenUrl, clientId, literal("the client secret", secret), scopes);
  }

  /** The probe has no secrets store: a value that looks like a reference would fail later, less clearly. */
  private static String literal(String what, String value) {
    if (SecretRefs.REF.matcher(value).find()) {
      throw new IllegalArgumentException(
          what + " names a stored secret ({{secret:...}}); mcp-probe reads no secrets store, give the value itself");
    }
    return value;
  }

  /**
   * Arguments for a tool: each required property of its input schema gets a sample value by type
   * (numbers and integers 1, strings "test" or the first enum value, booleans true, arrays
   * empty, objects empty); optional properties are left out.
   */
  static Map<String, Object> sampleArguments(Map<String, Object> inputSchema) {
    Map<String, Object> arguments = new LinkedHashMap<>();
    if (inputSchema == null || !(inputSchema.get("required") instanceof List<?> required)) {
      return arguments;
    }
    Map<?, ?> properties = inputSchema.get("properties") instanceof Map<?, ?> p ? p : Map.of();
    for (Object name : required) {
      Object schema = properties.get(name);
      arguments.put(String.valueOf(name), sample(schema instanceof Map<?, ?> m ? m : Map.of()));
    }
    return arguments;
  }

  private static Object sample(Map<?, ?> schema) {
    if (schema.containsKey("const")) {
      return schema.get("const");
    }
    if (schema.get("enum") instanceof List<?> values && !values.isEmpty()) {
      return values.get(0);
    }
    if (schema.containsKey("default")) {
      return schema.get("default");
    }
    Object type = schema.get("type");
    if (type instanceof List<?> types) {
      type = types.stream().<Object>map(t -> t).filter(t -> !"null".equals(t)).findFirst().orElse("string");
    }
    return switch (String.valueOf(type)) {
      case "number", "integer" -> 1;
      case "boolean" -> true;
      case "array" -> List.of();
      case "object" -> Map.of();
      default -> "test";
    };
  }

  /** Logs go to stderr (stdout is the JSON summary): nothing unless --verbose, then everything. */
  private static void quietLogs(boolean verbose) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.detachAndStopAllAppenders();
    if (!verbose) {
      root.setLevel(Level.OFF);
      return;
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{HH:mm:ss.SSS} %-5level %logger{36} - %msg%n");
    encoder.start();
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(context);
    appender.setTarget("System.err");
    appender.setEncoder(encoder);
    appender.start();
    root.addAppender(appender);
    root.setLevel(Level.DEBUG);
  }

  /** A probe that ran but found a problem (already reported in the summary). */
  static final class ProbeFailure extends RuntimeException {
    ProbeFailure(String message) {
      super(message, null, false, false);
    }
  }
}
