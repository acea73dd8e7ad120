package dev.gatehouse.frontend.app.admin;

import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.frontend.core.auth.Authenticator;
import dev.gatehouse.frontend.core.auth.Caller.AdminCaller;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.frontend.core.http.JsonBodies;
import dev.gatehouse.frontend.core.http.RequestIdFilter;
import dev.gatehouse.registry.audit.AuditEvent;
import dev.gatehouse.registry.tenants.Tenant;
import dev.gatehouse.registry.tenants.TenantDao;
import jakarta.ws.rs.core.SecurityContext;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.slf4j.MDC;

/**
 * What every admin resource needs: the caller, tenant scoping (a tenant admin sees its tenant only,
 * and anything outside it answers 404 exactly like a missing thing), name checks, opaque cursors,
 * taken names, and one audit row per change.
 */
public final class AdminContext {
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /** The default of {@code limits.maxEntriesPerTenant}. */
  public static final int DEFAULT_MAX_ENTRIES = 1_000;
  /** The default of {@code limits.maxIdentityProvidersPerTenant}. */
  public static final int DEFAULT_MAX_IDENTITY_PROVIDERS = 20;
  /** The tables {@link #roomFor} counts in, each by its {@code tenant_id}; never a name from a request. */
  private static final java.util.Set<String> TENANT_TABLES =
      java.util.Set.of(
          "tools", "mcp_servers", "virtual_servers", "providers", "models", "policies", "identity_providers", "agents",
          "secrets", "admin_keys");

  final Jdbi jdbi;
  final JsonBodies bodies;
  final AuditLog audit;
  final Authenticator authenticator;
  final int maxEntries;
  final int maxIdentityProviders;
  /** ETags and If-Match of single records. */
  final Conditional conditional;

  public AdminContext(Jdbi jdbi, JsonBodies bodies, AuditLog audit, Authenticator authenticator) {
    this(jdbi, bodies, audit, authenticator, DEFAULT_MAX_ENTRIES, DEFAULT_MAX_IDENTITY_PROVIDERS);
  }

  /**
   * {@code maxEntries}: the most records a tenant may hold in each admin collection (agents, keys
   * of an agent, admin keys, secrets, tools, MCP and virtual servers, providers, models, policies);
   * {@code maxIdentityProviders}: the most identity providers (each keeps its signing keys in
   * every replica's memory).
   */
  public AdminContext(
      Jdbi jdbi, JsonBodies bodies, AuditLog audit, Authenticator authenticator, int maxEntries, int maxIdentityProviders) {
    this.jdbi = jdbi;
    this.bodies = bodies;
    this.audit = audit;
    this.authenticator = authenticator;
    this.maxEntries = maxEntries;
    this.maxIdentityProviders = maxIdentityProviders;
    this.conditional = new Conditional(jdbi);
  }

  /**
   * Refuses a new record of {@code table} for {@code tenantId} when the tenant holds its limit of
   * them already: 409 {@code quota_exceeded}, naming the limit. Global records (no tenant) are a
   * platform admin's and not counted. Concurrent creates may pass it together by as many as run
   * at once: a bound, not an exact count.
   */
  void roomFor(String table, String tenantId, String what) {
    if (tenantId == null) {
      return;
    }
    if (!TENANT_TABLES.contains(table)) {
      throw new IllegalArgumentException("not a tenant's table: " + table);
    }
    int max = table.equals("identity_providers") ? maxIdentityProviders : maxEntries;
    refuseAt(max, "SELECT count(*) FROM " + table + " WHERE tenant_id = :owner", tenantId, "this tenant", what);
  }

  /** As {@link #roomFor}, for the keys of one agent. */
  void roomForKeys(String agentId) {
    refuseAt(maxEntries, "SELECT count(*) FROM api_keys WHERE agent_id = :owner", agentId, "this agent", "keys");
  }

  /**
   * 409 {@code quota_exceeded} when {@code count} of {@code owner} is {@code max} or more, saying
   * how many {@code whose} holds (more than {@code max} after concurrent creates) and the most.
   */
  private void refuseAt(int max, String count, String owner, String whose, String what) {
    long held = jdbi.withHandle(h -> h.createQuery(count).bind("owner", owner).mapTo(Long.class).one());
    if (held >= max) {
      throw new ApiException(ErrorCode.QUOTA_EXCEEDED, whose + " holds " + held + " " + what + ", and may hold at most " + max);
    }
  }

  static AdminCaller admin(SecurityContext auth) {
    return (AdminCaller) auth.getUserPrincipal();
  }

  static void requirePlatform(AdminCaller admin) {
    if (!admin.isPlatform()) {
      throw new ApiException(ErrorCode.FORBIDDEN, "only a platform admin key may do this");
    }
  }

  /** The tenant with this id, if the admin may see it; 404 otherwise. */
  Tenant tenant(AdminCaller admin, String tenantId) {
    if (tenantId == null || tenantId.isBlank()) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "'tenant' (a tenant id) is required");
    }
    if (!visible(admin, tenantId)) {
      throw new ApiException(ErrorCode.TENANT_NOT_FOUND, "no tenant '" + tenantId + "'");
    }
    return jdbi.onDemand(TenantDao.class)
        .find(tenantId)
        .orElseThrow(() -> new ApiException(ErrorCode.TENANT_NOT_FOUND, "no tenant '" + tenantId + "'"));
  }

  static boolean visible(AdminCaller admin, String tenantId) {
    return admin.isPlatform() || admin.tenantId().equals(tenantId);
  }

  /**
   * The tenant filter of a listing: the requested one for platform admins; a tenant admin's own,
   * and 404 {@code tenant_not_found} when it asks for another (answering with its own things
   * instead would let a script believe it read another tenant's, and empty).
   */
  static String listScope(AdminCaller admin, String requested) {
    boolean asked = requested != null && !requested.isBlank();
    if (admin.isPlatform()) {
      return asked ? requested : null;
    }
    if (asked && !admin.tenantId().equals(requested)) {
      throw new ApiException(ErrorCode.TENANT_NOT_FOUND, "no tenant '" + requested + "'");
    }
    return admin.tenantId();
  }

  static String name(String value, String field) {
    if (value == null || !NAME.matcher(value).matches()) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "'" + field + "' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    return value;
  }

  /**
   * A listing's page size from its {@code limit} parameter (50 when absent). Taken as text: a
   * parameter JAX-RS cannot convert would be a 404, as if the listing did not exist.
   */
  static int limit(String limit) {
    if (limit == null || limit.isEmpty()) {
      return 50;
    }
    int n;
    try {
      n = Integer.parseInt(limit);
    } catch (NumberFormatException e) {
      n = 0;
    }
    if (n < 1 || n > 200) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "limit must be a whole number between 1 and 200");
    }
    return n;
  }

  /**
   * The cursor after {@code last} in the listing {@code listing}: opaque to clients, it names its
   * listing, so a cursor sent to another listing is refused rather than read as a key there.
   */
  static String encodeCursor(String listing, String last) {
    return last == null
        ? null
        : Base64.getUrlEncoder().withoutPadding().encodeToString((listing + CURSOR_SEPARATOR + last).getBytes(StandardCharsets.UTF_8));
  }

  /** Between a cursor's listing and its key: no listing's name holds it, so the first one ends the name. */
  private static final char CURSOR_SEPARATOR = '\n';

  /**
   * The key a cursor of {@code listing} holds, or null for none; 400 for a cursor this API did not
   * give out for that listing.
   */
  static String decodeCursor(String listing, String cursor) {
    if (cursor == null || cursor.isBlank()) {
      return null;
    }
    try {
      String decoded = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      int cut = decoded.indexOf(CURSOR_SEPARATOR);
      if (cut < 0 || !decoded.substring(0, cut).equals(listing)) {
        throw new IllegalArgumentException("a cursor of another listing");
      }
      String key = decoded.substring(cut + 1);
      if (key.isEmpty() || key.indexOf(CURSOR_SEPARATOR) >= 0 || dev.gatehouse.registry.Texts.problem(key) != null) {
        throw new IllegalArgumentException("not text this API puts in a cursor");
      }
      return key;
    } catch (IllegalArgumentException e) {
      throw badCursor();
    }
  }

  /** The row id a cursor of {@code listing} (audit rows, usage rows) holds, or null for none. */
  static Long decodeIdCursor(String listing, String cursor) {
    String key = decodeCursor(listing, cursor);
    if (key == null) {
      return null;
    }
    long id;
    try {
      id = Long.parseLong(key);
    } catch (NumberFormatException e) {
      throw badCursor();
    }
    if (id < 0 || !key.equals(Long.toString(id))) {
      throw badCursor(); // row ids are positive and written plainly ("+5", "007" and "-5" are not given out)
    }
    return id;
  }

  /** 400 for a cursor this API did not give out for the listing it was sent to. */
  static ApiException badCursor() {
    return new ApiException(ErrorCode.INVALID_REQUEST, "cursor is not one this listing gave out; start again without it");
  }

  /**
   * Runs a write that a unique constraint guards; when the constraint refuses it (a name that is
   * taken) the answer is {@code taken} with {@code message}, and any other failure goes on up.
   */
  static void writeUnique(Runnable write, ErrorCode taken, String message) {
    refusedAs(write, "23505", taken, message);
  }

  /**
   * {@code write}, which inserts a row referring to something the caller found a moment before;
   * {@code gone} when that was deleted meanwhile (the database refused the reference), as when the
   * caller had not found it.
   */
  static void writeReferring(Runnable write, ErrorCode gone, String message) {
    refusedAs(write, "23503", gone, message);
  }

  /** {@code write}; {@code error} when the database refuses it with SQL state {@code state}. */
  private static void refusedAs(Runnable write, String state, ErrorCode error, String message) {
    try {
      write.run();
    } catch (UnableToExecuteStatementException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof java.sql.SQLException sql && state.equals(sql.getSQLState())) {
          throw new ApiException(error, message);
        }
      }
      throw e;
    }
  }

  /** An admin's action on a task (an approval decision), taken ({@code allow}/{@code ok}) or refused ({@code deny}/its code). */
  void auditTask(
      AdminCaller admin, String tenantId, String taskId, String action, String target, String decision, String outcome, String detail) {
    audit.record(
        new AuditEvent(
            Instant.now(), tenantId, null, admin.keyId(), MDC.get(RequestIdFilter.MDC_KEY), taskId, action, target,
            decision, outcome, null, "admin", detail));
  }

  void audit(AdminCaller admin, String tenantId, String action, String target) {
    audit.record(
        new AuditEvent(
            Instant.now(), tenantId, null, admin.keyId(), MDC.get(RequestIdFilter.MDC_KEY), null, action, target,
            "allow", "ok", null, "admin", null));
  }
}
