package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import dev.gatehouse.frontend.core.auth.Caller.AdminCaller;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.policies.data.PolicyCompiler;
import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.yaml.RegistryApplier;
import dev.gatehouse.registry.yaml.RegistryChecker;
import dev.gatehouse.registry.yaml.RegistryExporter;
import dev.gatehouse.registry.yaml.RegistryParser;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * {@code /admin/v1/registry}: the whole declarative registry. PUT applies a registry file (YAML or
 * JSON) idempotently; GET exports it as YAML. Platform admins only.
 */
@Path("/admin/v1/registry")
public class RegistryResource {
  private final AdminContext ctx;
  private final Runnable applied;

  /** {@code applied} runs after each applied file (caches of what the file may have changed forget it). */
  public RegistryResource(AdminContext ctx, Runnable applied) {
    this.ctx = ctx;
    this.applied = applied;
  }

  @PUT
  @Consumes(MediaType.WILDCARD)
  @Produces(MediaType.APPLICATION_JSON)
  public RegistryApplier.ApplyResult apply(@Context SecurityContext auth, InputStream body) {
    AdminCaller admin = admin(auth);
    AdminContext.requirePlatform(admin);
    byte[] bytes;
    try {
      bytes = body.readNBytes(ctx.bodies.maxBytes() + 1);
    } catch (IOException e) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "the body could not be read");
    }
    if (bytes.length > ctx.bodies.maxBytes()) {
      throw new ApiException(ErrorCode.REQUEST_TOO_LARGE, "the body is larger than " + ctx.bodies.maxBytes() + " bytes");
    }
    RegistryApplier.ApplyResult result;
    try {
      result = RegistryApplier.apply(
          ctx.jdbi, PolicyCompiler.checked(RegistryChecker.check(RegistryParser.parse(new ByteArrayInputStream(bytes)))));
    } catch (RegistryException e) {
      throw new ApiException(ErrorCode.INVALID_REGISTRY, e.getMessage());
    }
    ctx.authenticator.invalidate();
    applied.run();
    ctx.audit(admin, null, "admin.registry.apply", "registry");
    return result;
  }

  @GET
  @Produces("application/yaml")
  public Response export(@Context SecurityContext auth) {
    AdminContext.requirePlatform(admin(auth));
    return Response.ok(RegistryExporter.toYaml(RegistryExporter.export(ctx.jdbi)), "application/yaml").build();
  }
}
