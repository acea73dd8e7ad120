package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import dev.gatehouse.frontend.core.auth.Caller.AdminCaller;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.frontend.core.http.TimeInputs;
import dev.gatehouse.registry.Ids;
import dev.gatehouse.registry.agents.AccessList;
import dev.gatehouse.registry.agents.AccessLists;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.agents.ApprovalRules;
import dev.gatehouse.registry.agents.Permissions;
import dev.gatehouse.registry.keys.ApiKeyDao;
import dev.gatehouse.registry.keys.ApiKeys;
import dev.gatehouse.registry.keys.KeyRecord;
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
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

/**
 * {@code /admin/v1/agents}: agents, their allow/deny lists, and their keys. One agent's answers
 * carry its ETag, and PUT and DELETE honour {@code If-Match} ({@link Conditional}).
 */
@Path("/admin/v1/agents")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class AgentsResource {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AgentsResource.class);
  public record AgentBody(
      String tenant, String name, String subject, AccessList tools, AccessList models, AccessList workflows, ApprovalRules approvals) {}

  public record AgentView(
      String id, String tenant, String name, String subject, AccessList tools, AccessList models,
      AccessList workflows, ApprovalRules approvals, Instant createdAt, Instant updatedAt) {
    static AgentView of(Agent a) {
      Permissions p = a.permissions();
      return new AgentView(
          a.id(), a.tenantId(), a.name(), a.subject(), p.tools(), p.models(), p.workflows(), p.approvals(), a.createdAt(), a.updatedAt());
    }
  }

  public record KeyBody(String expiresAt) {}

  /** A new key: {@code key} is shown this once and never again. */
  public record CreatedKey(String id, String key, String prefix, String agent, Instant expiresAt) {}

  /** The most running tasks one agent's deletion cancels (admission bounds an agent's open tasks far below). */
  static final int MAX_CANCELLED_ON_DELETE = 10_000;

  private final AdminContext ctx;
  private final dev.gatehouse.frontend.core.durable.DurableCalls durable;
  private final AgentDao agents;
  private final ApiKeyDao keys;

  public AgentsResource(AdminContext ctx, dev.gatehouse.frontend.core.durable.DurableCalls durable) {
    this.durable = durable;
    this.ctx = ctx;
    this.agents = ctx.jdbi.onDemand(AgentDao.class);
    this.keys = ctx.jdbi.onDemand(ApiKeyDao.class);
  }

  @POST
  public Response create(@Context SecurityContext auth, InputStream body) {
    AdminCaller admin = admin(auth);
    AgentBody b = ctx.bodies.read(body, AgentBody.class);
    String tenant = ctx.tenant(admin, b.tenant()).id();
    Agent agent =
        new Agent(Ids.newId("agt"), tenant, AdminContext.name(b.name(), "name"), subject(b.subject()), permissions(b), null, null);
    ctx.roomFor("agents", tenant, "agents");
    var created = ctx.conditional.write(row(agent.id()), null, () -> {
      AdminContext.writeUnique(() -> agents.insert(agent), ErrorCode.AGENT_EXISTS, taken(b));
      return AgentView.of(agents.find(agent.id()).orElseThrow());
    });
    ctx.audit(admin, tenant, "admin.create", "agent:" + agent.id());
    return created.response(201);
  }

  @GET
  public Page<AgentView> list(
      @Context SecurityContext auth,
      @QueryParam("tenant") String tenant,
      @QueryParam("limit") String limit,
      @QueryParam("cursor") String cursor) {
    String scope = AdminContext.listScope(admin(auth), tenant);
    return Page.fetch("agents", limit, cursor, (after, n) -> agents.page(scope, after, n), Agent::id, AgentView::of);
  }

  @GET
  @Path("/{id}")
  public Response get(@Context SecurityContext auth, @PathParam("id") String id) {
    AdminCaller admin = admin(auth);
    return ctx.conditional.read(row(id), () -> AgentView.of(agent(admin, id))).response(200);
  }

  @PUT
  @Path("/{id}")
  public Response update(
      @Context SecurityContext auth, @PathParam("id") String id, @HeaderParam(Conditional.IF_MATCH) String ifMatch, InputStream body) {
    Conditional.IfMatch condition = Conditional.IfMatch.parse(ifMatch);
    AdminCaller admin = admin(auth);
    Agent existing = agent(admin, id);
    AgentBody b = ctx.bodies.read(body, AgentBody.class);
    if (b.tenant() != null && !b.tenant().equals(existing.tenantId())) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "an agent cannot move to another tenant");
    }
    String name = AdminContext.name(b.name(), "name");
    String subject = subject(b.subject());
    Permissions permissions = permissions(b);
    var updated = ctx.conditional.write(row(id), condition, () -> {
      AdminContext.writeUnique(() -> agents.update(id, name, subject, permissions), ErrorCode.AGENT_EXISTS, taken(b));
      return AgentView.of(agents.find(id).orElseThrow());
    });
    ctx.authenticator.invalidate();
    ctx.audit(admin, existing.tenantId(), "admin.update", "agent:" + id);
    return updated.response(200);
  }

  @DELETE
  @Path("/{id}")
  public Response delete(
      @Context SecurityContext auth, @PathParam("id") String id, @HeaderParam(Conditional.IF_MATCH) String ifMatch) {
    Conditional.IfMatch condition = Conditional.IfMatch.parse(ifMatch);
    AdminCaller admin = admin(auth);
    Agent existing = agent(admin, id);
    ctx.conditional.write(row(id), condition, () -> agents.delete(id));
    ctx.authenticator.invalidate();
    ctx.audit(admin, existing.tenantId(), "admin.delete", "agent:" + id);
    // Its running tasks are cancelled: with the agent gone, no key could cancel them, and they
    // would hold the tenant's open-task slots until their deadlines (a day by default).
    var index = ctx.jdbi.onDemand(dev.gatehouse.registry.tasks.TaskIndexDao.class);
    for (dev.gatehouse.registry.tasks.TaskRecord task : index.runningOf(id, MAX_CANCELLED_ON_DELETE)) {
      try {
        AdminTasksResource.cancel(ctx, durable, admin, task, "the agent was deleted");
      } catch (RuntimeException e) {
        // The agent is gone either way; a cancel the engine did not take is ended by the task
        // sweeper once its request is old enough, as any cancel is.
        LOG.warn("could not cancel task {} of deleted agent {}: {}", task.id(), id, e.toString());
      }
    }
    return Response.noContent().build();
  }

  @POST
  @Path("/{id}/keys")
  public Response createKey(@Context SecurityContext auth, @PathParam("id") String id, InputStream body) {
    AdminCaller admin = admin(auth);
    Agent agent = agent(admin, id);
    Instant expires = expiry(optionalBody(body).expiresAt());
    ctx.roomForKeys(agent.id());
    ApiKeys.Issued issued = ApiKeys.issue(ApiKeys.AGENT_KIND);
    var created = ctx.conditional.write(Conditional.Row.key(issued.id()), null, () -> {
      // The agent deleted since it was read: not found, as it would have been a moment later.
      AdminContext.writeReferring(
          () -> keys.insertAgentKey(
              issued.id(), agent.id(), issued.prefix(), issued.hash(),
              expires == null ? null : OffsetDateTime.ofInstant(expires, ZoneOffset.UTC)),
          ErrorCode.AGENT_NOT_FOUND,
          "no agent '" + agent.id() + "'");
      return new CreatedKey(issued.id(), issued.key(), issued.prefix(), agent.id(), expires);
    });
    ctx.audit(admin, agent.tenantId(), "admin.create", "key:" + issued.id());
    return created.response(201); // the ETag of GET /admin/v1/keys/{id}
  }

  @GET
  @Path("/{id}/keys")
  public Page<KeysResource.KeyView> listKeys(
      @Context SecurityContext auth,
      @PathParam("id") String id,
      @QueryParam("limit") String limit,
      @QueryParam("cursor") String cursor) {
    Agent agent = agent(admin(auth), id);
    return Page.fetch(
        "agent-keys:" + agent.id(), limit, cursor, (after, n) -> keys.pageAgentKeys(agent.id(), after, n), KeyRecord::id, KeysResource.KeyView::agentKey);
  }

  private KeyBody optionalBody(InputStream body) {
    var json = ctx.bodies.readOptional(body);
    return json == null ? new KeyBody(null) : ctx.bodies.convert(json, KeyBody.class);
  }

  private static Conditional.Row row(String id) {
    return Conditional.Row.byId("agents", id, "agent");
  }

  private Agent agent(AdminCaller admin, String id) {
    return agents
        .find(id)
        .filter(a -> AdminContext.visible(admin, a.tenantId()))
        .orElseThrow(() -> new ApiException(ErrorCode.AGENT_NOT_FOUND, "no agent '" + id + "'"));
  }

  private static String taken(AgentBody b) {
    return "the tenant has an agent named '" + b.name() + "' or with that subject";
  }

  private static String subject(String subject) {
    if (subject != null && (subject.isBlank() || subject.length() > 256)) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "'subject' must be 1-256 characters");
    }
    return subject;
  }

  private static Permissions permissions(AgentBody b) {
    try {
      return new Permissions(
          AccessLists.check(b.tools(), "tools"), AccessLists.check(b.models(), "models"), AccessLists.check(b.workflows(), "workflows"),
          ApprovalRules.check(b.approvals()));
    } catch (IllegalArgumentException e) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, e.getMessage());
    }
  }

  static Instant expiry(String text) {
    if (text == null) {
      return null;
    }
    Instant t = TimeInputs.parse(text, "expiresAt");
    if (!t.isAfter(Instant.now())) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "'expiresAt' must be in the future");
    }
    return t;
  }
}
