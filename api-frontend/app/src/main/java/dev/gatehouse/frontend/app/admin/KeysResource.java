package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import dev.gatehouse.frontend.core.auth.Caller.AdminCaller;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.keys.ApiKeyDao;
import dev.gatehouse.registry.keys.ApiKeys;
import dev.gatehouse.registry.keys.KeyRecord;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
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
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

/**
 * {@code /admin/v1/keys/{id}} (read or revoke any agent or admin key the caller may see) and
 * {@code /admin/v1/admin-keys} (create and list admin keys). No answer ever holds a key except the
 * one that creates it. One key's answer carries its ETag, and a revoke honours {@code If-Match}
 * ({@link Conditional}); keys are never replaced, so there is no PUT.
 */
@Path("/admin/v1")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class KeysResource {

  /** A key as lists show it: its prefix and dates, never the key. */
  public record KeyView(
      String id, String kind, String agent, String tenant, String name, String prefix, String status,
      Instant createdAt, Instant expiresAt, Instant revokedAt) {

    static KeyView agentKey(KeyRecord k) {
      return new KeyView(k.id(), "agent", k.owner(), null, null, k.prefix(), status(k), k.createdAt(), k.expiresAt(), k.revokedAt());
    }

    static KeyView adminKey(KeyRecord k) {
      return new KeyView(k.id(), "admin", null, k.owner(), k.name(), k.prefix(), status(k), k.createdAt(), k.expiresAt(), k.revokedAt());
    }

    private static String status(KeyRecord k) {
      return k.revokedAt() != null ? "revoked" : k.liveAt(Instant.now()) ? "active" : "expired";
    }
  }

  public record AdminKeyBody(String name, String tenant, String expiresAt) {}

  /** A new admin key: {@code key} is shown this once. */
  public record CreatedAdminKey(String id, String key, String prefix, String name, String tenant, Instant expiresAt) {}

  private final AdminContext ctx;
  private final ApiKeyDao keys;
  private final AgentDao agents;

  public KeysResource(AdminContext ctx) {
    this.ctx = ctx;
    this.keys = ctx.jdbi.onDemand(ApiKeyDao.class);
    this.agents = ctx.jdbi.onDemand(AgentDao.class);
  }

  @GET
  @Path("/keys/{id}")
  public Response get(@Context SecurityContext auth, @PathParam("id") String id) {
    AdminCaller admin = admin(auth);
    return ctx.conditional.read(Conditional.Row.key(id), () -> view(admin, id)).response(200);
  }

  @DELETE
  @Path("/keys/{id}")
  public Response revoke(
      @Context SecurityContext auth, @PathParam("id") String id, @HeaderParam(Conditional.IF_MATCH) String ifMatch) {
    Conditional.IfMatch condition = Conditional.IfMatch.parse(ifMatch);
    AdminCaller admin = admin(auth);
    KeyView key = view(admin, id);
    if (key.id().equals(admin.keyId())) {
      throw new ApiException(ErrorCode.OWN_KEY, "an admin key cannot revoke itself; use another admin key");
    }
    ctx.conditional.write(Conditional.Row.key(id), condition, () -> keys.revokeCount(id));
    ctx.authenticator.invalidate();
    ctx.audit(admin, tenantOf(key), "admin.revoke", "key:" + id);
    return Response.noContent().build();
  }

  @POST
  @Path("/admin-keys")
  public Response createAdminKey(@Context SecurityContext auth, InputStream body) {
    AdminCaller admin = admin(auth);
    AdminKeyBody b = ctx.bodies.read(body, AdminKeyBody.class);
    String name = AdminContext.name(b.name(), "name");
    String tenant = null;
    if (b.tenant() != null) {
      tenant = ctx.tenant(admin, b.tenant()).id();
    } else {
      AdminContext.requirePlatform(admin);
    }
    Instant expires = AgentsResource.expiry(b.expiresAt());
    ctx.roomFor("admin_keys", tenant, "admin keys");
    ApiKeys.Issued issued = ApiKeys.issue(ApiKeys.ADMIN_KIND);
    String owner = tenant;
    var created = ctx.conditional.write(Conditional.Row.key(issued.id()), null, () -> {
      keys.insertAdminKey(
          issued.id(), owner, name, issued.prefix(), issued.hash(),
          expires == null ? null : OffsetDateTime.ofInstant(expires, ZoneOffset.UTC));
      return new CreatedAdminKey(issued.id(), issued.key(), issued.prefix(), name, owner, expires);
    });
    ctx.audit(admin, tenant, "admin.create", "key:" + issued.id());
    return created.response(201);
  }

  @GET
  @Path("/admin-keys")
  public Page<KeyView> listAdminKeys(
      @Context SecurityContext auth,
      @QueryParam("tenant") String tenant,
      @QueryParam("limit") String limit,
      @QueryParam("cursor") String cursor) {
    String scope = AdminContext.listScope(admin(auth), tenant);
    return Page.fetch("admin-keys", limit, cursor, (after, n) -> keys.pageAdminKeys(scope, after, n), KeyRecord::id, KeyView::adminKey);
  }

  private KeyView view(AdminCaller admin, String id) {
    KeyRecord k =
        keys.findKey(id).orElseThrow(() -> new ApiException(ErrorCode.KEY_NOT_FOUND, "no key '" + id + "'"));
    boolean adminKey = id.startsWith("akey_");
    KeyView view = adminKey ? KeyView.adminKey(k) : KeyView.agentKey(k);
    String tenant = tenantOf(view);
    boolean visible = adminKey ? admin.isPlatform() || (tenant != null && tenant.equals(admin.tenantId()))
        : tenant != null && AdminContext.visible(admin, tenant);
    if (!visible) {
      throw new ApiException(ErrorCode.KEY_NOT_FOUND, "no key '" + id + "'");
    }
    return view;
  }

  private String tenantOf(KeyView key) {
    if (key.kind().equals("admin")) {
      return key.tenant();
    }
    return agents.find(key.agent()).map(a -> a.tenantId()).orElse(null);
  }
}
