package dev.gatehouse.frontend.app.admin;

import dev.gatehouse.frontend.core.auth.Caller.AdminCaller;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.RegistryException;
import java.io.InputStream;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Create, list, get, replace and delete for one kind of registry record that a tenant may own
 * (tools, virtual servers, MCP servers). Records are keyed by a name unique across tenants; one
 * with a tenant belongs to it, one without is global. The JAX-RS resource of each kind holds its
 * paths and supplies what differs; the rules are here once:
 *
 * <ul>
 *   <li>a tenant admin sees its tenant's records and the global ones; any other answers 404
 *       {@code <kind>_not_found}, exactly like a missing one;
 *   <li>a body without {@code tenant} is global, which only platform admins may create, replace or
 *       delete (403); with one, the admin must see that tenant (404 {@code tenant_not_found});
 *   <li>a body is checked by the kind's registry entry check, the one the registry file uses, and
 *       its refusal is 422 {@code invalid_<kind>}; a taken name is 409 {@code <kind>_exists};
 *   <li>a tenant holds at most {@code limits.maxEntriesPerTenant} records of a kind (409 {@code
 *       quota_exceeded} past it);
 *   <li>a replace keeps the path's name (the body's, if any, must match) and the owner (400);
 *   <li>a kind whose records name a URL Gatehouse calls stores who wrote it ({@code
 *       egressGuarded}, {@link Store#guarded}): a tenant admin's write is guarded (its calls may
 *       not reach an internal address, whatever the host resolves to then), a platform admin's
 *       is not, so a platform admin's rewrite clears what a tenant admin's set;
 *   <li>every committed change leaves one audit row with target {@code <prefix><name>}, then is
 *       told to the kind's listener;
 *   <li>a read, create or replace answers the record's ETag, and a replace or delete with {@code
 *       If-Match} changes it only if it is still that version, atomically ({@link Conditional};
 *       412 {@code precondition_failed} otherwise).
 * </ul>
 *
 * @param <B> the request body
 * @param <R> the registry record
 */
final class TenantScopedCrud<B extends TenantScopedCrud.Body, R> {

  /** The fields every body of a tenant-scoped kind has besides its own. */
  interface Body {
    String name();

    String tenant();
  }

  /**
   * How a kind is named in messages ({@code article} and {@code noun}: "an MCP server"), in audit
   * targets ({@code auditPrefix}: "mcp-server:") and in its error codes; {@code table} is where its
   * records are, each under its tenant ({@link AdminContext#roomFor}).
   */
  record Kind(
      String article, String noun, String auditPrefix, ErrorCode exists, ErrorCode notFound, ErrorCode invalid, String table) {
    String withArticle() {
      return article + " " + noun;
    }

    /** "policies", "MCP servers". */
    String plural() {
      return noun.endsWith("y") ? noun.substring(0, noun.length() - 1) + "ies" : noun + "s";
    }
  }

  /**
   * The kind's DAO operations, and how a record tells the name and tenant it is stored under.
   * {@code insert} is false when the name is taken. {@code guarded} marks a record as written by a
   * tenant admin (true) or a platform admin (false), for a kind whose records name a URL
   * Gatehouse calls; other kinds leave records as they are.
   */
  record Store<R>(
      Function<String, Optional<R>> find,
      PageQuery<R> page,
      Predicate<R> insert,
      Consumer<R> upsert,
      Consumer<String> delete,
      Function<R, String> name,
      Function<R, String> tenantId,
      java.util.function.BiFunction<R, Boolean, R> guarded) {

    /** A kind whose records name no URL Gatehouse calls. */
    Store(
        Function<String, Optional<R>> find,
        PageQuery<R> page,
        Predicate<R> insert,
        Consumer<R> upsert,
        Consumer<String> delete,
        Function<R, String> name,
        Function<R, String> tenantId) {
      this(find, page, insert, upsert, delete, name, tenantId, (record, guarded) -> record);
    }
  }

  /** A page ordered by name of a tenant's and the global records, or of all when tenantId is null. */
  @FunctionalInterface
  interface PageQuery<R> {
    List<R> page(String tenantId, String after, int limit);
  }

  /**
   * The kind's registry entry check: the body as a record with this name and owner (tenant id or
   * null); throws {@link RegistryException} naming the field it refuses.
   */
  @FunctionalInterface
  interface Check<B, R> {
    R record(B body, String name, String tenantId);
  }

  private final AdminContext ctx;
  private final Kind kind;
  private final Store<R> store;
  private final Class<B> bodyType;
  private final Check<B, R> check;
  private final Consumer<String> committed;
  private final java.util.function.BiConsumer<AdminCaller, B> permitted;

  TenantScopedCrud(AdminContext ctx, Kind kind, Store<R> store, Class<B> bodyType, Check<B, R> check) {
    this(ctx, kind, store, bodyType, check, name -> {});
  }

  /** {@code committed} is told a record's name after each committed change to it. */
  TenantScopedCrud(
      AdminContext ctx, Kind kind, Store<R> store, Class<B> bodyType, Check<B, R> check, Consumer<String> committed) {
    this(ctx, kind, store, bodyType, check, committed, (admin, body) -> {});
  }

  /**
   * {@code permitted} refuses a body this admin may not write (it throws), before anything else
   * of the body is checked: what only a platform admin may set.
   */
  TenantScopedCrud(
      AdminContext ctx,
      Kind kind,
      Store<R> store,
      Class<B> bodyType,
      Check<B, R> check,
      Consumer<String> committed,
      java.util.function.BiConsumer<AdminCaller, B> permitted) {
    this.permitted = permitted;
    this.ctx = ctx;
    this.kind = kind;
    this.store = store;
    this.bodyType = bodyType;
    this.check = check;
    this.committed = committed;
  }

  /** Creates the record the body describes; answers it as stored, with its ETag. */
  Conditional.Tagged<R> create(AdminCaller admin, InputStream body) {
    R record = record(admin, ctx.bodies.read(body, bodyType), null, null);
    String name = store.name().apply(record);
    ctx.roomFor(kind.table(), tenantOf(record), kind.plural());
    Conditional.Tagged<R> created = ctx.conditional.write(row(name), null, () -> {
      if (!store.insert().test(record)) {
        throw new ApiException(kind.exists(), kind.withArticle() + " named '" + name + "' exists");
      }
      return store.find().apply(name).orElseThrow();
    });
    changed(admin, tenantOf(record), "admin.create", name);
    return created;
  }

  /** The page of the records this admin sees; {@code tenant} narrows a platform admin's. */
  Page<R> list(AdminCaller admin, String tenant, String limit, String cursor) {
    String scope = AdminContext.listScope(admin, tenant);
    return Page.fetch(kind.auditPrefix(), limit, cursor, (after, n) -> store.page().page(scope, after, n), store.name(), r -> r);
  }

  /** The record, if this admin sees it; 404 otherwise. */
  R visible(AdminCaller admin, String name) {
    return store.find().apply(name)
        .filter(r -> tenantOf(r) == null || AdminContext.visible(admin, tenantOf(r)))
        .orElseThrow(() -> new ApiException(kind.notFound(), "no " + kind.noun() + " '" + name + "'"));
  }

  /** The record as {@code view} shows it, with its ETag, if this admin sees it; 404 otherwise. */
  <V> Conditional.Tagged<V> read(AdminCaller admin, String name, Function<R, V> view) {
    return ctx.conditional.read(row(name), () -> view.apply(visible(admin, name)));
  }

  /** The record, if this admin may change it: 404 when it does not see it, 403 when it is global. */
  R writable(AdminCaller admin, String name) {
    R record = visible(admin, name);
    if (tenantOf(record) == null) {
      AdminContext.requirePlatform(admin);
    }
    return record;
  }

  /**
   * Replaces the record with the body's, which keeps its name and owner, if {@code condition}
   * (null: none) holds; answers it as stored, with its ETag.
   */
  Conditional.Tagged<R> replace(AdminCaller admin, String name, InputStream body, Conditional.IfMatch condition) {
    R existing = writable(admin, name);
    // The owner cannot change: a body that leaves it out keeps the stored one.
    R record = record(admin, ctx.bodies.read(body, bodyType), name, tenantOf(existing));
    if (!Objects.equals(tenantOf(record), tenantOf(existing))) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, kind.withArticle() + " cannot change its owner; delete and create it instead");
    }
    Conditional.Tagged<R> replaced = ctx.conditional.write(row(name), condition, () -> {
      store.upsert().accept(record);
      return store.find().apply(name).orElseThrow();
    });
    changed(admin, tenantOf(record), "admin.update", name);
    return replaced;
  }

  /** Deletes the record if {@code condition} (null: none) holds. */
  void delete(AdminCaller admin, String name, Conditional.IfMatch condition) {
    R existing = writable(admin, name);
    ctx.conditional.write(row(name), condition, () -> store.delete().accept(name));
    changed(admin, tenantOf(existing), "admin.delete", name);
  }

  /** 412 now when {@code condition} (null: none) fails; {@link #replace} and {@link #delete} check again, atomically. */
  void precondition(String name, Conditional.IfMatch condition) {
    ctx.conditional.check(row(name), condition);
  }

  private Conditional.Row row(String name) {
    return Conditional.Row.byName(kind.table(), name, kind.noun());
  }

  /**
   * Records an action on a record that changes nothing stored but is audited and told to the
   * listener like a change (an MCP server's refresh).
   */
  void changed(AdminCaller admin, R record, String action) {
    changed(admin, tenantOf(record), action, store.name().apply(record));
  }

  private void changed(AdminCaller admin, String tenantId, String action, String name) {
    ctx.audit(admin, tenantId, action, kind.auditPrefix() + name);
    committed.accept(name);
  }

  private String tenantOf(R record) {
    return store.tenantId().apply(record);
  }

  /**
   * The body as a record: under the path's name when there is one, owned by the body's tenant, or
   * by {@code owner} (a tenant id; null: global) when the body names none.
   */
  private R record(AdminCaller admin, B body, String pathName, String owner) {
    if (pathName != null && body.name() != null && !body.name().equals(pathName)) {
      throw new ApiException(
          ErrorCode.INVALID_REQUEST, "the body's name differs from the path's; " + kind.withArticle() + " cannot be renamed");
    }
    permitted.accept(admin, body);
    String tenantId = null;
    if (body.tenant() != null) {
      tenantId = ctx.tenant(admin, body.tenant()).id();
    } else if (owner != null) {
      tenantId = owner;
    } else if (!admin.isPlatform()) {
      throw new ApiException(
          ErrorCode.FORBIDDEN,
          "without 'tenant' " + kind.withArticle() + " is global, which only a platform admin key may write; give your tenant's id as 'tenant'");
    }
    try {
      R record = check.record(body, pathName != null ? pathName : body.name(), tenantId);
      return store.guarded().apply(record, !admin.isPlatform());
    } catch (RegistryException e) {
      throw new ApiException(kind.invalid(), e.getMessage());
    }
  }
}
