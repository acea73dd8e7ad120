package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.policies.data.PolicyCompiler;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.registry.yaml.RegistryFile;
import dev.gatehouse.registry.yaml.ToolEntries;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;

/**
 * {@code /admin/v1/tools}: HTTP tools, with the fields of the registry YAML. A tool with a
 * {@code tenant} belongs to that tenant; without one it is global (platform admins only). The
 * rules are {@link TenantScopedCrud}'s.
 */
@Path("/admin/v1/tools")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class ToolsResource extends TenantScopedResource<ToolsResource.ToolBody, ToolDefinition> {
  public record ToolBody(
      String name, String description, RegistryFile.Http http, JsonNode inputSchema, String timeout,
      RegistryFile.Retry retry, RegistryFile.Auth auth, String tenant, String approval, java.math.BigDecimal cost)
      implements TenantScopedCrud.Body {}

  private static final TenantScopedCrud.Kind KIND =
      new TenantScopedCrud.Kind("a", "tool", "tool:", ErrorCode.TOOL_EXISTS, ErrorCode.TOOL_NOT_FOUND, ErrorCode.INVALID_TOOL, "tools");

  private final TenantScopedCrud<ToolBody, ToolDefinition> crud;

  public ToolsResource(AdminContext ctx) {
    ToolDao tools = ctx.jdbi.onDemand(ToolDao.class);
    this.crud = new TenantScopedCrud<>(
        ctx, KIND,
        new TenantScopedCrud.Store<>(
            tools::find, tools::page, tools::insert, tools::upsert, tools::delete, ToolDefinition::name, ToolDefinition::tenantId, ToolDefinition::withEgressGuarded),
        ToolBody.class, ToolsResource::tool, name -> {}, (admin, b) -> {
          EgressGuard.check(admin, "http.url", b.http() == null ? null : b.http().url());
          EgressGuard.check(admin, "auth.tokenUrl", b.auth() == null ? null : b.auth().tokenUrl());
        });
  }

  @Override
  protected TenantScopedCrud<ToolBody, ToolDefinition> crud() {
    return crud;
  }

  @GET
  @Path("/{name}")
  public Response get(@Context SecurityContext auth, @PathParam("name") String name) {
    return crud.read(admin(auth), name, r -> r).response(200);
  }

  private static ToolDefinition tool(ToolBody b, String name, String tenantId) {
    ToolDefinition checked =
        ToolEntries.check(
            "tool", new RegistryFile.Tool(name, b.description(), b.http(), b.inputSchema(), b.timeout(), b.retry(), b.auth(), b.approval(), b.cost()));
    return PolicyCompiler.checkedSchema(checked).withTenant(tenantId);
  }
}
