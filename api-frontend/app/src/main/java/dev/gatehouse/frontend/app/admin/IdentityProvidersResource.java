package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import dev.gatehouse.frontend.core.auth.Caller.AdminCaller;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.Ids;
import dev.gatehouse.registry.idp.IdentityProvider;
import dev.gatehouse.registry.idp.IdentityProviderDao;
import dev.gatehouse.registry.idp.IdentityProviders;
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
 * {@code /admin/v1/identity-providers}: the OIDC issuers whose tokens a tenant's agents may present.
 * A provider a tenant admin writes is egress-guarded: its JWKS is not fetched from an internal
 * address, whatever the host resolves to then ({@code OidcAuthenticator}); a platform admin's
 * write clears that. One provider's answers carry its ETag, and PUT and DELETE honour {@code
 * If-Match} ({@link Conditional}).
 */
@Path("/admin/v1/identity-providers")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class IdentityProvidersResource {
  public record ProviderBody(
      String tenant, String name, String issuer, String audience, String jwksUrl, List<String> algorithms,
      String agentClaim, Integer clockSkewSeconds) {}

  private final AdminContext ctx;
  private final IdentityProviderDao providers;

  public IdentityProvidersResource(AdminContext ctx) {
    this.ctx = ctx;
    this.providers = ctx.jdbi.onDemand(IdentityProviderDao.class);
  }

  @POST
  public Response create(@Context SecurityContext auth, InputStream body) {
    AdminCaller admin = admin(auth);
    ProviderBody b = ctx.bodies.read(body, ProviderBody.class);
    String tenantId = ctx.tenant(admin, b.tenant()).id();
    EgressGuard.check(admin, "jwksUrl", b.jwksUrl());
    IdentityProvider p = provider(Ids.newId("idp"), tenantId, b).withEgressGuarded(!admin.isPlatform());
    ctx.roomFor("identity_providers", tenantId, "identity providers");
    var created = ctx.conditional.write(row(p.id()), null, () -> {
      save(p);
      return p;
    });
    ctx.audit(admin, p.tenantId(), "admin.create", "identity-provider:" + p.id());
    return created.response(201);
  }

  @GET
  public Page<IdentityProvider> list(
      @Context SecurityContext auth,
      @QueryParam("tenant") String tenant,
      @QueryParam("limit") String limit,
      @QueryParam("cursor") String cursor) {
    String scope = AdminContext.listScope(admin(auth), tenant);
    return Page.fetch("identity-providers", limit, cursor, (after, n) -> providers.page(scope, after, n), IdentityProvider::id, p -> p);
  }

  @GET
  @Path("/{id}")
  public Response get(@Context SecurityContext auth, @PathParam("id") String id) {
    AdminCaller admin = admin(auth);
    return ctx.conditional.read(row(id), () -> visible(admin, id)).response(200);
  }

  @PUT
  @Path("/{id}")
  public Response replace(
      @Context SecurityContext auth, @PathParam("id") String id, @HeaderParam(Conditional.IF_MATCH) String ifMatch, InputStream body) {
    Conditional.IfMatch condition = Conditional.IfMatch.parse(ifMatch);
    AdminCaller admin = admin(auth);
    IdentityProvider existing = visible(admin, id);
    ProviderBody b = ctx.bodies.read(body, ProviderBody.class);
    EgressGuard.check(admin, "jwksUrl", b.jwksUrl());
    if (b.tenant() != null && !b.tenant().equals(existing.tenantId())) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "an identity provider cannot move to another tenant");
    }
    IdentityProvider p = provider(id, existing.tenantId(), b).withEgressGuarded(!admin.isPlatform());
    var replaced = ctx.conditional.write(row(id), condition, () -> {
      save(p);
      return p;
    });
    ctx.authenticator.invalidateKeysOf(id); // even unchanged: its keys are fetched again
    ctx.audit(admin, p.tenantId(), "admin.update", "identity-provider:" + id);
    return replaced.response(200);
  }

  @DELETE
  @Path("/{id}")
  public Response delete(
      @Context SecurityContext auth, @PathParam("id") String id, @HeaderParam(Conditional.IF_MATCH) String ifMatch) {
    Conditional.IfMatch condition = Conditional.IfMatch.parse(ifMatch);
    AdminCaller admin = admin(auth);
    IdentityProvider existing = visible(admin, id);
    ctx.conditional.write(row(id), condition, () -> providers.delete(id));
    ctx.authenticator.invalidate();
    ctx.audit(admin, existing.tenantId(), "admin.delete", "identity-provider:" + id);
    return Response.noContent().build();
  }

  private static Conditional.Row row(String id) {
    return Conditional.Row.byId("identity_providers", id, "identity provider");
  }

  private void save(IdentityProvider p) {
    AdminContext.writeUnique(
        () -> providers.upsert(p), ErrorCode.IDENTITY_PROVIDER_EXISTS, "an identity provider with this name or issuer exists");
  }

  private IdentityProvider visible(AdminCaller admin, String id) {
    return providers
        .find(id)
        .filter(p -> AdminContext.visible(admin, p.tenantId()))
        .orElseThrow(() -> new ApiException(ErrorCode.IDENTITY_PROVIDER_NOT_FOUND, "no identity provider '" + id + "'"));
  }

  private static IdentityProvider provider(String id, String tenant, ProviderBody b) {
    AdminContext.name(b.name(), "name");
    try {
      return IdentityProviders.check(
          id, tenant, b.name(), b.issuer(), b.audience(), b.jwksUrl(), b.algorithms(), b.agentClaim(), b.clockSkewSeconds());
    } catch (IllegalArgumentException e) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, e.getMessage());
    }
  }
}
