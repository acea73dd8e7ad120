package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import dev.gatehouse.frontend.core.auth.Caller.AdminCaller;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.Ids;
import dev.gatehouse.registry.tenants.Tenant;
import dev.gatehouse.registry.tenants.TenantDao;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
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
 * {@code /admin/v1/tenants}: platform admins manage tenants; a tenant admin sees its own. One
 * tenant's answers carry its ETag, and PUT and DELETE honour {@code If-Match} ({@link Conditional}).
 */
@Path("/admin/v1/tenants")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class TenantsResource {
  public record TenantBody(String name) {}

  private final AdminContext ctx;
  private final TenantDao tenants;

  public TenantsResource(AdminContext ctx) {
    this.ctx = ctx;
    this.tenants = ctx.jdbi.onDemand(TenantDao.class);
  }

  @POST
  public Response create(@Context SecurityContext auth, InputStream body) {
    AdminCaller admin = admin(auth);
    AdminContext.requirePlatform(admin);
    String name = AdminContext.name(ctx.bodies.read(body, TenantBody.class).name(), "name");
    String id = Ids.newId("ten");
    var created = ctx.conditional.write(row(id), null, () -> {
      AdminContext.writeUnique(() -> tenants.insert(id, name), ErrorCode.TENANT_EXISTS, taken(name));
      return tenants.find(id).orElseThrow();
    });
    ctx.audit(admin, id, "admin.create", "tenant:" + id);
    return created.response(201);
  }

  @GET
  public Page<Tenant> list(
      @Context SecurityContext auth, @QueryParam("limit") String limit, @QueryParam("cursor") String cursor) {
    AdminCaller admin = admin(auth);
    if (!admin.isPlatform()) {
      return new Page<>(tenants.find(admin.tenantId()).map(List::of).orElse(List.of()), null);
    }
    return Page.fetch("tenants", limit, cursor, tenants::page, Tenant::name, t -> t);
  }

  @GET
  @Path("/{id}")
  public Response get(@Context SecurityContext auth, @PathParam("id") String id) {
    AdminCaller admin = admin(auth);
    return ctx.conditional.read(row(id), () -> ctx.tenant(admin, id)).response(200);
  }

  @PUT
  @Path("/{id}")
  public Response rename(
      @Context SecurityContext auth, @PathParam("id") String id, @HeaderParam(Conditional.IF_MATCH) String ifMatch, InputStream body) {
    Conditional.IfMatch condition = Conditional.IfMatch.parse(ifMatch);
    AdminCaller admin = admin(auth);
    ctx.tenant(admin, id);
    AdminContext.requirePlatform(admin);
    String name = AdminContext.name(ctx.bodies.read(body, TenantBody.class).name(), "name");
    var renamed = ctx.conditional.write(row(id), condition, () -> {
      AdminContext.writeUnique(() -> tenants.rename(id, name), ErrorCode.TENANT_EXISTS, taken(name));
      return tenants.find(id).orElseThrow();
    });
    ctx.audit(admin, id, "admin.update", "tenant:" + id);
    return renamed.response(200);
  }

  @DELETE
  @Path("/{id}")
  public Response delete(
      @Context SecurityContext auth, @PathParam("id") String id, @HeaderParam(Conditional.IF_MATCH) String ifMatch) {
    Conditional.IfMatch condition = Conditional.IfMatch.parse(ifMatch);
    AdminCaller admin = admin(auth);
    ctx.tenant(admin, id);
    AdminContext.requirePlatform(admin);
    if (!ctx.conditional.write(row(id), condition, () -> tenants.deleteIfEmpty(id)).value()) {
      throw new ApiException(ErrorCode.TENANT_NOT_EMPTY, "delete the tenant's agents, tools, MCP servers, virtual servers, providers, models, policies, secrets and identity providers and revoke its admin keys first, and let its running tasks end (deleting an agent cancels its tasks)");
    }
    ctx.audit(admin, id, "admin.delete", "tenant:" + id);
    return Response.noContent().build();
  }

  private static Conditional.Row row(String id) {
    return Conditional.Row.byId("tenants", id, "tenant");
  }

  private static String taken(String name) {
    return "a tenant named '" + name + "' exists";
  }
}
