package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.gatehouse.frontend.core.auth.Caller.AdminCaller;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.mcp.McpCatalogDao;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.mcp.McpPrefixTaken;
import dev.gatehouse.registry.mcp.McpServerDao;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.yaml.McpServerEntries;
import dev.gatehouse.registry.yaml.RegistryFile;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /admin/v1/mcp-servers}: upstream MCP servers, with the fields of the registry YAML. A
 * server with a {@code tenant} belongs to that tenant; without one it is global (platform admins
 * only). The rules are {@link TenantScopedCrud}'s. After every committed change, and on {@code
 * POST /{name}/refresh}, {@link McpServerChanges} is told the server's name.
 */
@Path("/admin/v1/mcp-servers")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class McpServersResource extends TenantScopedResource<McpServersResource.McpServerBody, McpServerDefinition> {
  private static final Logger LOG = LoggerFactory.getLogger(McpServersResource.class);

  public record McpServerBody(
      String name,
      String transport,
      String url,
      String command,
      List<String> args,
      Map<String, String> env,
      String workingDir,
      String prefix,
      Map<String, String> headers,
      RegistryFile.Auth auth,
      String timeout,
      String connectTimeout,
      RegistryFile.Retry retry,
      String execution,
      Map<String, String> toolExecution,
      String tenant) implements TenantScopedCrud.Body {}

  /** A server's health as discovery last saw it; {@code unknown} before the first check. */
  public record Status(String state, String error, Instant checkedAt, Instant refreshedAt) {
    public static final String UNKNOWN = "unknown";
  }

  /** How many of each kind of thing discovery found on a server. */
  public record Counts(int tools, int resources, int resourceTemplates, int prompts) {}

  /** One server: its definition's fields, then its status and catalog counts. */
  public record McpServerView(@JsonUnwrapped McpServerDefinition definition, Status status, Counts counts) {}

  public record Refresh(String server) {}

  private static final TenantScopedCrud.Kind KIND =
      new TenantScopedCrud.Kind(
          "an", "MCP server", "mcp-server:", ErrorCode.MCP_SERVER_EXISTS, ErrorCode.MCP_SERVER_NOT_FOUND, ErrorCode.INVALID_MCP_SERVER,
          "mcp_servers");

  private final TenantScopedCrud<McpServerBody, McpServerDefinition> crud;
  private final McpCatalogDao catalog;
  private final McpServerChanges changes;

  public McpServersResource(AdminContext ctx, McpServerChanges changes) {
    McpServerDao servers = ctx.jdbi.onDemand(McpServerDao.class);
    this.crud = new TenantScopedCrud<>(
        ctx, KIND,
        new TenantScopedCrud.Store<>(
            servers::find, servers::page,
            s -> prefixChecked(() -> servers.insert(s)),
            s -> prefixChecked(() -> servers.upsert(s)),
            servers::delete, McpServerDefinition::name,
            McpServerDefinition::tenantId, McpServerDefinition::withEgressGuarded),
        McpServerBody.class, McpServersResource::server, this::changed, McpServersResource::permitted);
    this.catalog = ctx.jdbi.onDemand(McpCatalogDao.class);
    this.changes = changes;
  }

  @Override
  protected TenantScopedCrud<McpServerBody, McpServerDefinition> crud() {
    return crud;
  }

  @GET
  @Path("/{name}")
  public Response get(@Context SecurityContext auth, @PathParam("name") String name) {
    return crud.read(admin(auth), name, this::view).response(200);
  }

  /** Asks the runtime to reconnect to the server and rediscover what it offers; answers at once. */
  @POST
  @Path("/{name}/refresh")
  public Response refresh(@Context SecurityContext auth, @PathParam("name") String name) {
    AdminCaller admin = admin(auth);
    crud.changed(admin, crud.writable(admin, name), "admin.refresh");
    return Response.accepted(new Refresh(name)).build();
  }

  /** A write refused because another server the same agents see has the prefix is 409 {@code mcp_prefix_taken}. */
  private static boolean prefixChecked(java.util.function.BooleanSupplier write) {
    try {
      return write.getAsBoolean();
    } catch (McpPrefixTaken e) {
      throw new dev.gatehouse.frontend.core.errors.ApiException(ErrorCode.MCP_PREFIX_TAKEN, e.getMessage());
    }
  }

  /** The change has committed: a failing listener must not turn it into an error answer. */
  private void changed(String name) {
    try {
      changes.changed(name);
    } catch (RuntimeException e) {
      LOG.warn("MCP server change listener failed for {}", name, e);
    }
  }

  /** The server with its health as discovery last saw it and how many of each thing it offers. */
  private McpServerView view(McpServerDefinition server) {
    String name = server.name();
    Status status = catalog.status(name)
        .map(s -> new Status(s.state(), s.error(), s.checkedAt(), s.refreshedAt()))
        .orElse(new Status(Status.UNKNOWN, null, null, null));
    int tools = 0;
    int resources = 0;
    int templates = 0;
    int prompts = 0;
    for (McpCatalogEntry e : catalog.ofServer(name)) {
      switch (e.kind()) {
        case McpCatalogEntry.TOOL -> tools++;
        case McpCatalogEntry.RESOURCE -> resources++;
        case McpCatalogEntry.RESOURCE_TEMPLATE -> templates++;
        case McpCatalogEntry.PROMPT -> prompts++;
        default -> { }
      }
    }
    return new McpServerView(server, status, new Counts(tools, resources, templates, prompts));
  }

  /**
   * A stdio server is a command Gatehouse runs on its own hosts, as its own user: only a platform
   * admin may name one (403 for a tenant admin, whatever the server's owner), as a tenant admin
   * could otherwise run anything there and read every tenant's secrets.
   */
  private static void permitted(AdminCaller admin, McpServerBody body) {
    EgressGuard.check(admin, "url", body.url());
    EgressGuard.check(admin, "auth.tokenUrl", body.auth() == null ? null : body.auth().tokenUrl());
    if (!admin.isPlatform() && McpServerDefinition.STDIO.equalsIgnoreCase(String.valueOf(body.transport()).trim())) {
      throw new dev.gatehouse.frontend.core.errors.ApiException(
          ErrorCode.FORBIDDEN,
          "only a platform admin may register a stdio MCP server: it is a command run on Gatehouse's own hosts");
    }
  }

  private static McpServerDefinition server(McpServerBody b, String name, String tenantId) {
    return McpServerEntries.check(
            "mcpServer",
            new RegistryFile.McpServer(
                name, b.transport(), b.url(), b.command(), b.args(), b.env(), b.workingDir(), b.prefix(),
                b.headers(), b.auth(), b.timeout(), b.connectTimeout(), b.retry(), b.execution(), b.toolExecution()))
        .withTenant(tenantId);
  }
}
