package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.models.ModelDao;
import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.registry.models.ProviderDao;
import dev.gatehouse.registry.yaml.ModelEntries;
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
import java.util.Objects;

/**
 * {@code /admin/v1/models}: models (aliases), with the fields of the registry YAML. A model with a
 * {@code tenant} belongs to that tenant and may use its providers and models and the global ones;
 * without one it is global (platform admins only) and uses global ones only. The rules are
 * {@link TenantScopedCrud}'s; a body whose providers or fallbacks its owner cannot see, or whose
 * fallbacks would loop, is 422 {@code invalid_model}; a model another falls back to is not
 * deleted (409).
 */
@Path("/admin/v1/models")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class ModelsResource extends TenantScopedResource<ModelsResource.ModelBody, ModelDefinition> {
  public record ModelBody(
      String name,
      List<RegistryFile.Target> targets,
      List<String> fallbacks,
      RegistryFile.Retry retry,
      RegistryFile.Prices prices,
      Integer contextWindow,
      Integer maxOutput,
      String tenant)
      implements TenantScopedCrud.Body {}

  private static final TenantScopedCrud.Kind KIND =
      new TenantScopedCrud.Kind("a", "model", "model:", ErrorCode.MODEL_EXISTS, ErrorCode.MODEL_NOT_FOUND, ErrorCode.INVALID_MODEL, "models");

  /**
   * The PostgreSQL advisory lock every write of a model holds (on every replica): a model's
   * fallbacks are checked against the stored graph before it is written, and two writes checked
   * at the same moment could each pass and together store a loop (a -> b, b -> a). A provider's
   * delete holds it too: it checks that no model targets the provider, and a model written at the
   * same moment could otherwise pass its own check (the provider still there) and be left
   * targeting a provider that is gone.
   */
  static final long FALLBACK_GRAPH_LOCK = 0x6761_7465_6d64_6c01L;

  private static final java.util.concurrent.locks.ReentrantLock WRITES_HERE = new java.util.concurrent.locks.ReentrantLock();

  private final TenantScopedCrud<ModelBody, ModelDefinition> crud;
  private final org.jdbi.v3.core.Jdbi jdbi;
  private final ModelDao models;
  private final ProviderDao providers;

  public ModelsResource(AdminContext ctx) {
    this.jdbi = ctx.jdbi;
    this.models = ctx.jdbi.onDemand(ModelDao.class);
    this.providers = ctx.jdbi.onDemand(ProviderDao.class);
    this.crud = new TenantScopedCrud<>(
        ctx, KIND,
        new TenantScopedCrud.Store<>(
            models::find, models::page, models::insert, models::upsert, models::delete,
            ModelDefinition::name, ModelDefinition::tenantId),
        ModelBody.class, this::model);
  }

  @Override
  protected TenantScopedCrud<ModelBody, ModelDefinition> crud() {
    return crud;
  }

  @GET
  @Path("/{name}")
  public Response get(@Context SecurityContext auth, @PathParam("name") String name) {
    return crud.read(admin(auth), name, r -> r).response(200);
  }

  @Override
  public Response create(SecurityContext auth, java.io.InputStream body) {
    return oneWriteAtATime(jdbi, () -> super.create(auth, body));
  }

  @Override
  public Response replace(SecurityContext auth, String name, String ifMatch, java.io.InputStream body) {
    return oneWriteAtATime(jdbi, () -> super.replace(auth, name, ifMatch, body));
  }

  /** Deletes the model unless another falls back to it. */
  @Override
  @DELETE
  @Path("/{name}")
  public Response delete(
      @Context SecurityContext auth, @PathParam("name") String name, @HeaderParam(Conditional.IF_MATCH) String ifMatch) {
    Conditional.IfMatch condition = Conditional.IfMatch.parse(ifMatch); // a malformed one is 400 before anything else
    return oneWriteAtATime(jdbi, () -> {
      crud.writable(admin(auth), name);
      crud.precondition(name, condition); // a stale read is 412 before the conflict check's 409
      List<String> using = models.fallingBackTo(name);
      if (!using.isEmpty()) {
        throw new ApiException(
            ErrorCode.CONFLICT, "model '" + name + "' is a fallback of model(s) " + String.join(", ", using) + "; change them first");
      }
      return super.delete(auth, name, ifMatch);
    });
  }

  /**
   * {@code write}, its checks included, while no other replica or thread writes a model or deletes a provider. The
   * threads of one replica queue in the JVM, so at most one of them holds a connection while it
   * waits for the other replicas.
   */
  static <T> T oneWriteAtATime(org.jdbi.v3.core.Jdbi jdbi, java.util.function.Supplier<T> write) {
    WRITES_HERE.lock();
    try {
      return jdbi.withHandle(h -> {
        h.execute("SELECT pg_advisory_lock(?)", FALLBACK_GRAPH_LOCK);
        try {
          return write.get();
        } finally {
          h.execute("SELECT pg_advisory_unlock(?)", FALLBACK_GRAPH_LOCK);
        }
      });
    } finally {
      WRITES_HERE.unlock();
    }
  }

  /** The body checked as the registry file checks a model, its references against what is stored. */
  private ModelDefinition model(ModelBody b, String name, String tenantId) {
    ModelDefinition m = ModelEntries.check(
            "model",
            new RegistryFile.Model(name, b.targets(), b.fallbacks(), b.retry(), b.prices(), b.contextWindow(), b.maxOutput()))
        .withTenant(tenantId);
    ModelEntries.references(
        "model", m, tenantId == null ? null : b.tenant(),
        p -> providers.find(p).filter(x -> visible(x.tenantId(), tenantId)).isPresent(),
        a -> !a.equals(name) && models.find(a).filter(x -> visible(x.tenantId(), tenantId)).isPresent());
    // The stored graph with this model as the body has it; each alias is read at most once.
    List<String> cycle = ModelEntries.cycle(
        name, a -> a.equals(name) ? m.fallbacks() : models.find(a).map(ModelDefinition::fallbacks).orElse(List.of()));
    if (!cycle.isEmpty()) {
      throw ModelEntries.loop("model (" + name + ")", cycle);
    }
    return m;
  }

  /** True when a record of {@code owner} (null: global) is visible to one of {@code viewer}. */
  private static boolean visible(String owner, String viewer) {
    return owner == null || Objects.equals(owner, viewer);
  }
}
