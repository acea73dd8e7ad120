package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.policies.data.PolicyCompiler;
import dev.gatehouse.registry.policies.PolicyDao;
import dev.gatehouse.registry.policies.PolicyDefinition;
import dev.gatehouse.registry.yaml.PolicyEntries;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.util.function.Consumer;

/**
 * {@code /admin/v1/policies}: rate limits, budgets, PII and guardrail policies, with the fields of
 * the registry YAML's policy entries. A policy with a {@code tenant} governs that tenant's calls;
 * without one it is global (every tenant's calls; platform admins only). Answers carry the
 * policy's {@code version}, which every change raises by one and every decision names. The rules
 * are {@link TenantScopedCrud}'s; a body is checked as the registry file's entries are, then
 * compiled, so a stored policy always applies.
 */
@Path("/admin/v1/policies")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class PoliciesResource extends TenantScopedResource<PoliciesResource.PolicyBody, PolicyDefinition> {
  public record PolicyBody(
      String name,
      String tenant,
      String kind,
      PolicyDefinition.AppliesTo appliesTo,
      PolicyDefinition.RateLimit rateLimit,
      PolicyDefinition.Budget budget,
      PolicyDefinition.Pii pii,
      PolicyDefinition.Guardrail guardrail)
      implements TenantScopedCrud.Body {}

  private static final TenantScopedCrud.Kind KIND =
      new TenantScopedCrud.Kind("a", "policy", "policy:", ErrorCode.POLICY_EXISTS, ErrorCode.POLICY_NOT_FOUND, ErrorCode.INVALID_POLICY, "policies");

  private final TenantScopedCrud<PolicyBody, PolicyDefinition> crud;

  /** {@code committed} is told a policy's name after each committed change (the catalog forgets what it read). */
  public PoliciesResource(AdminContext ctx, Consumer<String> committed) {
    PolicyDao policies = ctx.jdbi.onDemand(PolicyDao.class);
    this.crud = new TenantScopedCrud<>(
        ctx, KIND,
        new TenantScopedCrud.Store<>(
            policies::find, policies::page, policies::insert, policies::upsert, policies::delete, PolicyDefinition::name,
            PolicyDefinition::tenantId),
        PolicyBody.class, PoliciesResource::policy, committed);
  }

  @Override
  protected TenantScopedCrud<PolicyBody, PolicyDefinition> crud() {
    return crud;
  }

  @GET
  @Path("/{name}")
  public Response get(@Context SecurityContext auth, @PathParam("name") String name) {
    return crud.read(admin(auth), name, r -> r).response(200);
  }

  /** The body as a checked, compilable policy of {@code tenantId}; throws naming the field it refuses. */
  static PolicyDefinition policy(PolicyBody b, String name, String tenantId) {
    PolicyDefinition checked = PolicyEntries.check(
        "policy",
        new PolicyDefinition(name, null, b.kind(), b.appliesTo(), b.rateLimit(), b.budget(), b.pii(), b.guardrail(), null));
    return PolicyCompiler.checked(checked).withTenant(tenantId);
  }
}
