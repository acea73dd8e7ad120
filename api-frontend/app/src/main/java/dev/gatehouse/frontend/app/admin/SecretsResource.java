package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import dev.gatehouse.frontend.core.auth.Caller.AdminCaller;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.secrets.SecretDao;
import dev.gatehouse.registry.secrets.Secrets;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
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

/**
 * {@code /admin/v1/secrets}: write-only. A value goes in with PUT and is never returned by any
 * endpoint; reads show names, scope and dates. Without a tenant a secret is global (platform
 * admins only). One secret's answers carry its ETag, its row's version and nothing derived
 * from its value; PUT and DELETE honour {@code If-Match} ({@link Conditional}); a PUT with
 * {@code If-Match} of a secret that does not exist is 412 (it would create one).
 */
@Path("/admin/v1/secrets")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class SecretsResource {
  private static final int MAX_VALUE = 16_384;

  public record SecretBody(String value, String tenant) {}

  private final AdminContext ctx;
  private final Secrets secrets;
  private final SecretDao dao;

  public SecretsResource(AdminContext ctx, Secrets secrets) {
    this.ctx = ctx;
    this.secrets = secrets;
    this.dao = ctx.jdbi.onDemand(SecretDao.class);
  }

  @PUT
  @Path("/{name}")
  public Response put(
      @Context SecurityContext auth,
      @PathParam("name") String name,
      @QueryParam("tenant") String query,
      @HeaderParam(Conditional.IF_MATCH) String ifMatch,
      InputStream body) {
    Conditional.IfMatch condition = Conditional.IfMatch.parse(ifMatch);
    AdminCaller admin = admin(auth);
    AdminContext.name(name, "name");
    SecretBody b = ctx.bodies.read(body, SecretBody.class);
    // The tenant may be given in the body or, as on GET and DELETE, in the query; both, only if
    // they agree (a PUT that ignored ?tenant= wrote a tenant's secret as a global one).
    if (query != null && b.tenant() != null && !query.equals(b.tenant())) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "the body's 'tenant' and the query's ?tenant= name different tenants");
    }
    String tenant = scope(admin, query != null ? query : b.tenant());
    if (b.value() == null || b.value().isEmpty() || b.value().length() > MAX_VALUE) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "'value' is required (at most " + MAX_VALUE + " characters)");
    }
    if (secrets == null) {
      throw new ApiException(ErrorCode.SECRETS_NOT_CONFIGURED, "no master key is configured (secrets.masterKeys), so secrets cannot be stored");
    }
    if (dao.info(tenant, name).isEmpty()) {
      ctx.roomFor("secrets", tenant, "secrets");
    }
    var written = ctx.conditional.write(Conditional.Row.secret(tenant, name), condition, () -> {
      secrets.put(tenant, name, b.value());
      return dao.info(tenant, name).orElseThrow();
    });
    ctx.audit(admin, tenant, "admin.secret.put", "secret:" + name);
    return written.response(200);
  }

  @GET
  public Page<SecretDao.Info> list(
      @Context SecurityContext auth,
      @QueryParam("tenant") String tenant,
      @QueryParam("limit") String limit,
      @QueryParam("cursor") String cursor) {
    String scope = AdminContext.listScope(admin(auth), tenant);
    return Page.fetch("secrets", limit, cursor, (after, n) -> dao.page(scope, after, n), SecretDao.Info::id, s -> s);
  }

  @GET
  @Path("/{name}")
  public Response get(@Context SecurityContext auth, @PathParam("name") String name, @QueryParam("tenant") String tenant) {
    AdminCaller admin = admin(auth);
    String scope = scope(admin, tenant);
    return ctx.conditional.read(
            Conditional.Row.secret(scope, name),
            () -> dao.info(scope, name).orElseThrow(() -> new ApiException(ErrorCode.SECRET_NOT_FOUND, "no secret '" + name + "'")))
        .response(200);
  }

  @DELETE
  @Path("/{name}")
  public Response delete(
      @Context SecurityContext auth,
      @PathParam("name") String name,
      @QueryParam("tenant") String tenant,
      @HeaderParam(Conditional.IF_MATCH) String ifMatch) {
    Conditional.IfMatch condition = Conditional.IfMatch.parse(ifMatch);
    AdminCaller admin = admin(auth);
    String scope = scope(admin, tenant);
    if (condition != null && dao.info(scope, name).isEmpty()) {
      throw new ApiException(ErrorCode.SECRET_NOT_FOUND, "no secret '" + name + "'"); // 404 as without If-Match, not 412
    }
    if (ctx.conditional.write(Conditional.Row.secret(scope, name), condition, () -> dao.delete(scope, name)).value() == 0) {
      throw new ApiException(ErrorCode.SECRET_NOT_FOUND, "no secret '" + name + "'");
    }
    ctx.audit(admin, scope, "admin.secret.delete", "secret:" + name);
    return Response.noContent().build();
  }

  /** The scope an admin may write: a visible tenant, or global for platform admins. */
  private String scope(AdminCaller admin, String tenant) {
    if (tenant != null) {
      return ctx.tenant(admin, tenant).id();
    }
    if (!admin.isPlatform()) {
      return admin.tenantId();
    }
    return null;
  }
}
