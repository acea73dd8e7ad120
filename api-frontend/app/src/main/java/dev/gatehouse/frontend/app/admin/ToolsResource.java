package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.core.auth.Caller.AdminCaller;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.registry.yaml.RegistryFile;
import dev.gatehouse.registry.yaml.ToolEntries;
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
import java.util.List;

/**
 * {@code /admin/v1/tools}: HTTP tools, with the fields of the registry YAML. A tool with a
 * {@code tenant} belongs to that tenant; without one it is global (platform admins only).
 */
@Path("/admin/v1/tools")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class ToolsResource {
  public record ToolBody(
      String name, String description, RegistryFile.Http http, JsonNode inputSchema, String timeout,
      RegistryFile.Retry retry, RegistryFile.Auth auth, String tenant) {}

  private final AdminContext ctx;
  private final ToolDao tools;

  public ToolsResource(AdminContext ctx) {
    this.ctx = ctx;
    this.tools = ctx.jdbi.onDemand(ToolDao.class);
  }

  @POST
  public Response create(@Context SecurityContext auth, InputStream body) {
    AdminCaller admin = admin(auth);
    ToolDefinition tool = definition(admin, ctx.bodies.read(body, ToolBody.class), null);
    if (!tools.insert(tool)) {
      throw new ApiException(ErrorCode.TOOL_EXISTS, "a tool named '" + tool.name() + "' exists");
    }
    ctx.audit(admin, tool.tenantId(), "admin.create", "tool:" + tool.name());
    return Response.status(201).entity(tools.find(tool.name()).orElseThrow()).build();
  }

  @GET
  public Page<ToolDefinition> list(
      @Context SecurityContext auth,
      @QueryParam("tenant") String tenant,
      @QueryParam("limit") Integer limit,
      @QueryParam("cursor") String cursor) {
    AdminCaller admin = admin(auth);
    int n = AdminContext.limit(limit);
    List<ToolDefinition> rows = tools.page(AdminContext.listScope(admin, tenant), AdminContext.decodeCursor(cursor), n + 1);
    return Page.of(rows, n, ToolDefinition::name, t -> t);
  }

  @GET
  @Path("/{name}")
  public ToolDefinition get(@Context SecurityContext auth, @PathParam("name") String name) {
    return visible(admin(auth), name);
  }

  @PUT
  @Path("/{name}")
  public ToolDefinition replace(@Context SecurityContext auth, @PathParam("name") String name, InputStream body) {
    AdminCaller admin = admin(auth);
    ToolDefinition existing = writable(admin, name);
    ToolDefinition tool = definition(admin, ctx.bodies.read(body, ToolBody.class), name);
    if (tool.tenantId() == null ? existing.tenantId() != null : !tool.tenantId().equals(existing.tenantId())) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "a tool cannot change its owner; delete and create it instead");
    }
    tools.upsert(tool);
    ctx.audit(admin, tool.tenantId(), "admin.update", "tool:" + name);
    return tools.find(name).orElseThrow();
  }

  @DELETE
  @Path("/{name}")
  public Response delete(@Context SecurityContext auth, @PathParam("name") String name) {
    AdminCaller admin = admin(auth);
    ToolDefinition existing = writable(admin, name);
    tools.delete(name);
    ctx.audit(admin, existing.tenantId(), "admin.delete", "tool:" + name);
    return Response.noContent().build();
  }

  private ToolDefinition definition(AdminCaller admin, ToolBody b, String pathName) {
    if (pathName != null && b.name() != null && !b.name().equals(pathName)) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "the body's name differs from the path's; a tool cannot be renamed");
    }
    String tenant = null;
    if (b.tenant() != null) {
      tenant = ctx.tenant(admin, b.tenant()).id();
    } else {
      AdminContext.requirePlatform(admin);
    }
    String name = pathName != null ? pathName : b.name();
    try {
      return ToolEntries.check(
              "tool", new RegistryFile.Tool(name, b.description(), b.http(), b.inputSchema(), b.timeout(), b.retry(), b.auth()))
          .withTenant(tenant);
    } catch (RegistryException e) {
      throw new ApiException(ErrorCode.INVALID_TOOL, e.getMessage());
    }
  }

  private ToolDefinition visible(AdminCaller admin, String name) {
    return tools
        .find(name)
        .filter(t -> t.tenantId() == null || AdminContext.visible(admin, t.tenantId()))
        .orElseThrow(() -> new ApiException(ErrorCode.TOOL_NOT_FOUND, "no tool '" + name + "'"));
  }

  private ToolDefinition writable(AdminCaller admin, String name) {
    ToolDefinition t = visible(admin, name);
    if (t.tenantId() == null) {
      AdminContext.requirePlatform(admin);
    }
    return t;
  }
}
