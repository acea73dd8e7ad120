package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.mcp.VirtualServer;
import dev.gatehouse.registry.mcp.VirtualServerDao;
import dev.gatehouse.registry.yaml.RegistryFile;
import dev.gatehouse.registry.yaml.VirtualServerEntries;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.util.List;

/**
 * {@code /admin/v1/virtual-servers}: named selections of tools served as their own MCP endpoint,
 * with the fields of the registry YAML. A virtual server with a {@code tenant} belongs to that
 * tenant; without one it is global (platform admins only). The rules are {@link TenantScopedCrud}'s.
 */
@Path("/admin/v1/virtual-servers")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class VirtualServersResource extends TenantScopedResource<VirtualServersResource.VirtualServerBody, VirtualServer> {
  public record VirtualServerBody(String name, String description, List<String> tools, String tenant)
      implements TenantScopedCrud.Body {}

  private static final TenantScopedCrud.Kind KIND =
      new TenantScopedCrud.Kind(
          "a", "virtual server", "virtual-server:",
          ErrorCode.VIRTUAL_SERVER_EXISTS, ErrorCode.VIRTUAL_SERVER_NOT_FOUND, ErrorCode.INVALID_VIRTUAL_SERVER,
          "virtual_servers");

  private final TenantScopedCrud<VirtualServerBody, VirtualServer> crud;

  public VirtualServersResource(AdminContext ctx) {
    VirtualServerDao servers = ctx.jdbi.onDemand(VirtualServerDao.class);
    this.crud = new TenantScopedCrud<>(
        ctx, KIND,
        new TenantScopedCrud.Store<>(
            servers::find, servers::page, servers::insert, servers::upsert, servers::delete, VirtualServer::name,
            VirtualServer::tenantId),
        VirtualServerBody.class, VirtualServersResource::server);
  }

  @Override
  protected TenantScopedCrud<VirtualServerBody, VirtualServer> crud() {
    return crud;
  }

  @GET
  @Path("/{name}")
  public Response get(@Context SecurityContext auth, @PathParam("name") String name) {
    return crud.read(admin(auth), name, r -> r).response(200);
  }

  private static VirtualServer server(VirtualServerBody b, String name, String tenantId) {
    return VirtualServerEntries.check("virtualServer", new RegistryFile.VirtualServer(name, b.description(), b.tools()))
        .withTenant(tenantId);
  }
}
