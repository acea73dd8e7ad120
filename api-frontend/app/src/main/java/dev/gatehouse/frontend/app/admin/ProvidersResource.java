package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.models.ModelDao;
import dev.gatehouse.registry.models.ProviderDao;
import dev.gatehouse.registry.models.ProviderDefinition;
import dev.gatehouse.registry.yaml.ProviderEntries;
import dev.gatehouse.registry.yaml.RegistryFile;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.util.List;
import java.util.Map;

/**
 * {@code /admin/v1/providers}: model providers, with the fields of the registry YAML. A provider
 * with a {@code tenant} belongs to that tenant; without one it is global (platform admins only).
 * The rules are {@link TenantScopedCrud}'s; a provider a model still targets is not deleted (409).
 */
@Path("/admin/v1/providers")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class ProvidersResource extends TenantScopedResource<ProvidersResource.ProviderBody, ProviderDefinition> {
  public record ProviderBody(
      String name, String type, String baseUrl, String apiKey, String timeout, Map<String, String> headers, String tenant)
      implements TenantScopedCrud.Body {}

  private static final TenantScopedCrud.Kind KIND = new TenantScopedCrud.Kind(
      "a", "provider", "provider:", ErrorCode.PROVIDER_EXISTS, ErrorCode.PROVIDER_NOT_FOUND, ErrorCode.INVALID_PROVIDER, "providers");

  private final TenantScopedCrud<ProviderBody, ProviderDefinition> crud;
  private final ModelDao models;
  private final org.jdbi.v3.core.Jdbi jdbi;

  public ProvidersResource(AdminContext ctx) {
    this.jdbi = ctx.jdbi;
    ProviderDao providers = ctx.jdbi.onDemand(ProviderDao.class);
    this.models = ctx.jdbi.onDemand(ModelDao.class);
    this.crud = new TenantScopedCrud<>(
        ctx, KIND,
        new TenantScopedCrud.Store<>(
            providers::find, providers::page, providers::insert, providers::upsert, providers::delete,
            ProviderDefinition::name, ProviderDefinition::tenantId, ProviderDefinition::withEgressGuarded),
        ProviderBody.class, ProvidersResource::provider, name -> {}, (admin, b) -> EgressGuard.check(admin, "baseUrl", b.baseUrl()));
  }

  @Override
  protected TenantScopedCrud<ProviderBody, ProviderDefinition> crud() {
    return crud;
  }

  @GET
  @Path("/{name}")
  public Response get(@Context SecurityContext auth, @PathParam("name") String name) {
    return crud.read(admin(auth), name, r -> r).response(200);
  }

  /** Deletes the provider unless a model targets it. */
  @Override
  @DELETE
  @Path("/{name}")
  public Response delete(
      @Context SecurityContext auth, @PathParam("name") String name, @HeaderParam(Conditional.IF_MATCH) String ifMatch) {
    Conditional.IfMatch condition = Conditional.IfMatch.parse(ifMatch); // a malformed one is 400 before anything else
    // under the models' write lock, so no model is written to target it between the check and the delete
    return ModelsResource.oneWriteAtATime(jdbi, () -> {
      crud.writable(admin(auth), name);
      crud.precondition(name, condition); // a stale read is 412 before the conflict check's 409
      List<String> using = models.usingProvider(name);
      if (!using.isEmpty()) {
        throw new ApiException(
            ErrorCode.CONFLICT, "provider '" + name + "' is a target of model(s) " + String.join(", ", using) + "; change them first");
      }
      return super.delete(auth, name, ifMatch);
    });
  }

  private static ProviderDefinition provider(ProviderBody b, String name, String tenantId) {
    return ProviderEntries.check(
            "provider", new RegistryFile.Provider(name, b.type(), b.baseUrl(), b.apiKey(), b.timeout(), b.headers()))
        .withTenant(tenantId);
  }
}
