package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import dev.gatehouse.frontend.core.auth.Caller.AdminCaller;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.mcp.VirtualServer;
import dev.gatehouse.registry.mcp.VirtualServerDao;
import dev.gatehouse.registry.yaml.RegistryFile;
import dev.gatehouse.registry.yaml.VirtualServerEntries;
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
 * {@code /admin/v1/virtual-servers}: named selections of tools served as their own MCP endpoint,
 * with the fields of the registry YAML. A virtual server with a {@code tenant} belongs to that
 * tenant; without one it is global (platform admins only).
 */
@Path("/admin/v1/virtual-servers")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class VirtualServersResource {
  public record VirtualServerBody(String name, String description, List<String> tools, String tenant) {}

  private final AdminContext ctx;
  private final VirtualServerDao servers;

  public VirtualServersResource(AdminContext ctx) {
    this.ctx = ctx;
    this.servers = ctx.jdbi.onDemand(VirtualServerDao.class);
  }

  @POST
  public Response create(@Context SecurityContext auth, InputStream body) {
    AdminCaller admin = admin(auth);
    VirtualServer server = definition(admin, ctx.bodies.read(body, VirtualServerBody.class), null);
    if (!servers.insert(server)) {
      throw new ApiException(ErrorCode.VIRTUAL_SERVER_EXISTS, "a virtual server named '" + server.name() + "' exists");
    }
    ctx.audit(admin, server.tenantId(), "admin.create", "virtual-server:" + server.name());
    return Response.status(201).entity(servers.find(server.name()).orElseThrow()).build();
  }

  @GET
  public Page<VirtualServer> list(
      @Context SecurityContext auth,
      @QueryParam("tenant") String tenant,
      @QueryParam("limit") Integer limit,
      @QueryParam("cursor") String cursor) {
    AdminCaller admin = admin(auth);
    int n = AdminContext.limit(limit);
    List<VirtualServer> rows =
        servers.page(AdminContext.listScope(admin, tenant), AdminContext.decodeCursor(cursor), n + 1);
    return Page.of(rows, n, VirtualServer::name, s -> s);
  }

  @GET
  @Path("/{name}")
  public VirtualServer get(@Context SecurityContext auth, @PathParam("name") String name) {
    return visible(admin(auth), name);
  }

  @PUT
  @Path("/{name}")
  public VirtualServer replace(@Context SecurityContext auth, @PathParam("name") String name, InputStream body) {
    AdminCaller admin = admin(auth);
    VirtualServer existing = writable(admin, name);
    VirtualServer server = definition(admin, ctx.bodies.read(body, VirtualServerBody.class), name);
    if (server.tenantId() == null ? existing.tenantId() != null : !server.tenantId().equals(existing.tenantId())) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "a virtual server cannot change its owner; delete and create it instead");
    }
    servers.upsert(server);
    ctx.audit(admin, server.tenantId(), "admin.update", "virtual-server:" + name);
    return servers.find(name).orElseThrow();
  }

  @DELETE
  @Path("/{name}")
  public Response delete(@Context SecurityContext auth, @PathParam("name") String name) {
    AdminCaller admin = admin(auth);
    VirtualServer existing = writable(admin, name);
    servers.delete(name);
    ctx.audit(admin, existing.tenantId(), "admin.delete", "virtual-server:" + name);
    return Response.noContent().build();
  }

  private VirtualServer definition(AdminCaller admin, VirtualServerBody b, String pathName) {
    if (pathName != null && b.name() != null && !b.name().equals(pathName)) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "the body's name differs from the path's; a virtual server cannot be renamed");
    }
    String tenant = null;
    if (b.tenant() != null) {
      tenant = ctx.tenant(admin, b.tenant()).id();
    } else {
      AdminContext.requirePlatform(admin);
    }
    String name = pathName != null ? pathName : b.name();
    try {
      return VirtualServerEntries.check("virtualServer", new RegistryFile.VirtualServer(name, b.description(), b.tools()))
          .withTenant(tenant);
    } catch (RegistryException e) {
      throw new ApiException(ErrorCode.INVALID_VIRTUAL_SERVER, e.getMessage());
    }
  }

  private VirtualServer visible(AdminCaller admin, String name) {
    return servers
        .find(name)
        .filter(s -> s.tenantId() == null || AdminContext.visible(admin, s.tenantId()))
        .orElseThrow(() -> new ApiException(ErrorCode.VIRTUAL_SERVER_NOT_FOUND, "no virtual server '" + name + "'"));
  }

  private VirtualServer writable(AdminCaller admin, String name) {
    VirtualServer s = visible(admin, name);
    if (s.tenantId() == null) {
      AdminContext.requirePlatform(admin);
    }
    return s;
  }
}
