package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.gatehouse.frontend.core.auth.Caller.AdminCaller;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.mcp.McpCatalogDao;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.mcp.McpServerDao;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.mcp.McpServerStatus;
import dev.gatehouse.registry.yaml.McpServerEntries;
import dev.gatehouse.registry.yaml.RegistryFile;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /admin/v1/mcp-servers}: upstream MCP servers, with the fields of the registry YAML. A
 * server with a {@code tenant} belongs to that tenant; without one it is global (platform admins
 * only). After every committed change, and on {@code POST /{name}/refresh}, {@link
 * McpServerChanges} is told the server's name.
 */
@Path("/admin/v1/mcp-servers")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class McpServersResource {
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
      String tenant) {}

  /** A server's health as discovery last saw it; {@code unknown} before the first check. */
  public record Status(String state, String error, Instant checkedAt, Instant refreshedAt) {
    public static final String UNKNOWN = "unknown";
  }

  /** How many of each kind of thing discovery found on a server. */
  public record Counts(int tools, int resources, int resourceTemplates, int prompts) {}

  /** One server: its definition's fields, then its status and catalog counts. */
  public record McpServerView(@JsonUnwrapped McpServerDefinition definition, Status status, Counts counts) {}

  public record Refresh(String server) {}

  private final AdminContext ctx;
  private final McpServerDao servers;
  private final McpCatalogDao catalog;
  private final McpServerChanges changes;

  public McpServersResource(AdminContext ctx, McpServerChanges changes) {
    this.ctx = ctx;
    this.servers = ctx.jdbi.onDemand(McpServerDao.class);
    this.catalog = ctx.jdbi.onDemand(McpCatalogDao.class);
    this.changes = changes;
  }

  @POST
  public Response create(@Context SecurityContext auth, InputStream body) {
    AdminCaller admin = admin(auth);
    McpServerDefinition server = definition(admin, ctx.bodies.read(body, McpServerBody.class), null);
    if (!servers.insert(server)) {
      throw new ApiException(ErrorCode.MCP_SERVER_EXISTS, "an MCP server named '" + server.name() + "' exists");
    }
    ctx.audit(admin, server.tenantId(), "admin.create", "mcp-server:" + server.name());
    changed(server.name());
    return Response.status(201).entity(servers.find(server.name()).orElseThrow()).build();
  }

  @GET
  public Page<McpServerDefinition> list(
      @Context SecurityContext auth,
      @QueryParam("tenant") String tenant,
      @QueryParam("limit") Integer limit,
      @QueryParam("cursor") String cursor) {
    AdminCaller admin = admin(auth);
    int n = AdminContext.limit(limit);
    List<McpServerDefinition> rows =
        servers.page(AdminContext.listScope(admin, tenant), AdminContext.decodeCursor(cursor), n + 1);
    return Page.of(rows, n, McpServerDefinition::name, s -> s);
  }

  @GET
  @Path("/{name}")
  public McpServerView get(@Context SecurityContext auth, @PathParam("name") String name) {
    McpServerDefinition server = visible(admin(auth), name);
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

  @PUT
  @Path("/{name}")
  public McpServerDefinition replace(@Context SecurityContext auth, @PathParam("name") String name, InputStream body) {
    AdminCaller admin = admin(auth);
    McpServerDefinition existing = writable(admin, name);
    McpServerDefinition server = definition(admin, ctx.bodies.read(body, McpServerBody.class), name);
    if (server.tenantId() == null ? existing.tenantId() != null : !server.tenantId().equals(existing.tenantId())) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "an MCP server cannot change its owner; delete and create it instead");
    }
    servers.upsert(server);
    ctx.audit(admin, server.tenantId(), "admin.update", "mcp-server:" + name);
    changed(name);
    return servers.find(name).orElseThrow();
  }

  @DELETE
  @Path("/{name}")
  public Response delete(@Context SecurityContext auth, @PathParam("name") String name) {
    AdminCaller admin = admin(auth);
    McpServerDefinition existing = writable(admin, name);
    servers.delete(name);
    ctx.audit(admin, existing.tenantId(), "admin.delete", "mcp-server:" + name);
    changed(name);
    return Response.noContent().build();
  }

  /** Asks the runtime to reconnect to the server and rediscover what it offers; answers at once. */
  @POST
  @Path("/{name}/refresh")
  public Response refresh(@Context SecurityContext auth, @PathParam("name") String name) {
    AdminCaller admin = admin(auth);
    McpServerDefinition existing = writable(admin, name);
    ctx.audit(admin, existing.tenantId(), "admin.refresh", "mcp-server:" + name);
    changed(name);
    return Response.accepted(new Refresh(name)).build();
  }

  /** The change has committed: a failing listener must not turn it into an error answer. */
  private void changed(String name) {
    try {
      changes.changed(name);
    } catch (RuntimeException e) {
      LOG.warn("MCP server change listener failed for {}", name, e);
    }
  }

  private McpServerDefinition definition(AdminCaller admin, McpServerBody b, String pathName) {
    if (pathName != null && b.name() != null && !b.name().equals(pathName)) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "the body's name differs from the path's; an MCP server cannot be renamed");
    }
    String tenant = null;
    if (b.tenant() != null) {
      tenant = ctx.tenant(admin, b.tenant()).id();
    } else {
      AdminContext.requirePlatform(admin);
    }
    String name = pathName != null ? pathName : b.name();
    try {
      return McpServerEntries.check(
              "mcpServer",
              new RegistryFile.McpServer(
                  name, b.transport(), b.url(), b.command(), b.args(), b.env(), b.workingDir(), b.prefix(),
                  b.headers(), b.auth(), b.timeout(), b.connectTimeout(), b.retry(), b.execution(), b.toolExecution()))
          .withTenant(tenant);
    } catch (RegistryException e) {
      throw new ApiException(ErrorCode.INVALID_MCP_SERVER, e.getMessage());
    }
  }

  private McpServerDefinition visible(AdminCaller admin, String name) {
    return servers
        .find(name)
        .filter(s -> s.tenantId() == null || AdminContext.visible(admin, s.tenantId()))
        .orElseThrow(() -> new ApiException(ErrorCode.MCP_SERVER_NOT_FOUND, "no MCP server '" + name + "'"));
  }

  private McpServerDefinition writable(AdminCaller admin, String name) {
    McpServerDefinition s = visible(admin, name);
    if (s.tenantId() == null) {
      AdminContext.requirePlatform(admin);
    }
    return s;
  }
}
