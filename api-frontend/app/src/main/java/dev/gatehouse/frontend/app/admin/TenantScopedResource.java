package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.io.InputStream;

/**
 * The endpoints every tenant-scoped admin resource has, on {@link TenantScopedCrud}'s rules:
 * {@code POST} creates (201), {@code GET} lists a page, {@code PUT /{name}} replaces, {@code DELETE
 * /{name}} deletes (204). A resource class adds its {@code @Path}, its {@code GET /{name}} (whose
 * answer may show more than the record; {@link TenantScopedCrud#read} gives it with its ETag) and
 * anything of its own. {@code PUT} and {@code DELETE} honour {@code If-Match} ({@link Conditional}).
 */
public abstract class TenantScopedResource<B extends TenantScopedCrud.Body, R> {

  /** The rules of this kind of record. */
  protected abstract TenantScopedCrud<B, R> crud();

  @POST
  public Response create(@Context SecurityContext auth, InputStream body) {
    return crud().create(admin(auth), body).response(201);
  }

  @GET
  public Page<R> list(
      @Context SecurityContext auth,
      @QueryParam("tenant") String tenant,
      @QueryParam("limit") String limit,
      @QueryParam("cursor") String cursor) {
    return crud().list(admin(auth), tenant, limit, cursor);
  }

  @PUT
  @Path("/{name}")
  public Response replace(
      @Context SecurityContext auth, @PathParam("name") String name, @HeaderParam(Conditional.IF_MATCH) String ifMatch, InputStream body) {
    Conditional.IfMatch condition = Conditional.IfMatch.parse(ifMatch);
    return crud().replace(admin(auth), name, body, condition).response(200);
  }

  @DELETE
  @Path("/{name}")
  public Response delete(
      @Context SecurityContext auth, @PathParam("name") String name, @HeaderParam(Conditional.IF_MATCH) String ifMatch) {
    Conditional.IfMatch condition = Conditional.IfMatch.parse(ifMatch);
    crud().delete(admin(auth), name, condition);
    return Response.noContent().build();
  }
}
