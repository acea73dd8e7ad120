package dev.gatehouse.frontend.app.admin;

import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

/**
 * Optimistic concurrency for the admin API's single records (RFC 9110 conditional requests): a
 * {@code GET}, {@code POST} or {@code PUT} of one record answers its {@code ETag}, and a {@code
 * PUT} or {@code DELETE} with {@code If-Match} changes the record only if it is still the version
 * the client read (412 {@code precondition_failed} otherwise, and nothing changes). Without
 * {@code If-Match} a write is as it always was: the last one wins.
 *
 * <p>The ETag is the record's {@code row_version} (migration V20), quoted: {@code "7"}: a number
 * drawn from one sequence when the row is inserted and again, by a trigger, on every update of it,
 * so never one the record (or an earlier record of its name, deleted since) had before. Not {@code
 * updated_at} (tenants and keys have none, and two writes in one microsecond, or a clock set back,
 * would repeat one) and not a hash of the content (a secret's would tell something of its value).
 *
 * <p>The check and the write are one transaction: the row is read {@code FOR UPDATE}, compared, and
 * written on the same connection (the kinds' on-demand DAOs join the transaction: Jdbi binds its
 * handle to the thread), so of concurrent writes carrying one ETag exactly one wins; the others
 * wait for its commit, then see another version and answer 412.
 */
final class Conditional {
  /** The tables whose rows carry {@code row_version}; never a name from a request. */
  private static final Set<String> TABLES =
      Set.of(
          "tenants", "agents", "api_keys", "admin_keys", "identity_providers", "secrets", "tools", "mcp_servers",
          "virtual_servers", "providers", "models", "policies");

  /**
   * One record's row: its table, the condition that selects it (constant text, with {@code :key}
   * and {@code :tenant} bound from {@code key} and {@code tenant}) and how messages name it.
   */
  record Row(String table, String where, String key, String tenant, String what) {
    Row {
      if (!TABLES.contains(table)) {
        throw new IllegalArgumentException("not a versioned table: " + table);
      }
    }

    /** A record keyed by {@code id}: tenants, agents, identity providers. */
    static Row byId(String table, String id, String noun) {
      return new Row(table, "id = :key", id, null, noun + " '" + id + "'");
    }

    /** A record keyed by its unique name: tools, MCP and virtual servers, providers, models, policies. */
    static Row byName(String table, String name, String noun) {
      return new Row(table, "name = :key", name, null, noun + " '" + name + "'");
    }

    /** A secret, keyed by its scope (a tenant id, or null: global) and name. */
    static Row secret(String tenantId, String name) {
      return new Row(
          "secrets", "COALESCE(tenant_id, '') = COALESCE(:tenant, '') AND name = :key", name, tenantId, "secret '" + name + "'");
    }

    /** An agent key or an admin key (whose ids start {@code akey_}), by id. */
    static Row key(String id) {
      return byId(id.startsWith("akey_") ? "admin_keys" : "api_keys", id, "key");
    }
  }

  /** A value and its record's ETag (null when the record is gone, after a delete). */
  record Tagged<T>(T value, String etag) {
    /** An answer of {@code status} with the value and, when there is one, the ETag. */
    Response response(int status) {
      Response.ResponseBuilder b = Response.status(status).entity(value);
      return etag == null ? b.build() : b.header(ETAG, etag).build();
    }
  }

  static final String ETAG = jakarta.ws.rs.core.HttpHeaders.ETAG;
  static final String IF_MATCH = jakarta.ws.rs.core.HttpHeaders.IF_MATCH;

  /**
   * What an {@code If-Match} header asks: {@code any} for {@code *}, else the entity tags it lists
   * (weak ones kept, to never match). Null stands for no header.
   */
  record IfMatch(boolean any, List<String> tags) {
    /**
     * The header's condition, null when it is absent; 400 {@code invalid_request} when it is
     * neither {@code *} nor a comma-separated list of entity tags ({@code "x"} or {@code W/"x"}).
     */
    static IfMatch parse(String header) {
      if (header == null) {
        return null;
      }
      String h = header.strip();
      if (h.equals("*")) {
        return new IfMatch(true, List.of());
      }
      List<String> tags = new ArrayList<>();
      int i = 0;
      while (i < h.length()) {
        char c = h.charAt(i);
        if (c == ',' || c == ' ' || c == '\t') {
          i++; // list separators and the empty elements RFC 9110 5.6.1 lets a recipient skip
          continue;
        }
        int start = i;
        if (h.startsWith("W/", i)) {
          i += 2;
        }
        if (i >= h.length() || h.charAt(i) != '"') {
          throw malformed();
        }
        int close = h.indexOf('"', i + 1);
        if (close < 0) {
          throw malformed();
        }
        for (int j = i + 1; j < close; j++) {
          char e = h.charAt(j);
          // etagc: %x21 / %x23-7E / obs-text (RFC 9110 8.8.3)
          if (e < 0x21 || e == 0x7F || e > 0xFF) {
            throw malformed();
          }
        }
        tags.add(h.substring(start, close + 1));
        i = close + 1;
        while (i < h.length() && (h.charAt(i) == ' ' || h.charAt(i) == '\t')) {
          i++;
        }
        if (i < h.length() && h.charAt(i) != ',') {
          throw malformed(); // tags are separated by commas: "a" "b" is not a list
        }
      }
      if (tags.isEmpty()) {
        throw malformed();
      }
      return new IfMatch(false, List.copyOf(tags));
    }

    /**
     * Strong comparison (RFC 9110 8.8.3.2): a weak tag matches nothing. {@code etag} null (no
     * current version: the record does not exist) matches nothing either, {@code *} included.
     */
    boolean matches(String etag) {
      return etag != null && (any || tags.contains(etag));
    }

    private static ApiException malformed() {
      return new ApiException(
          ErrorCode.INVALID_REQUEST, "If-Match must be * or a list of entity tags as ETag gives them (\"...\"), comma-separated");
    }
  }

  /** The ETag of a record at {@code version}. */
  static String etag(long version) {
    return "\"" + version + "\"";
  }

  private final Jdbi jdbi;

  Conditional(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  /**
   * {@code read} with the ETag of the record as read: both in one repeatable-read transaction, so
   * the tag is the version of what the answer shows (a tag newer than the content would let a
   * client overwrite a change it never saw).
   */
  <T> Tagged<T> read(Row row, Supplier<T> read) {
    return jdbi.inTransaction(
        TransactionIsolationLevel.REPEATABLE_READ,
        h -> {
          T value = read.get();
          return new Tagged<>(value, version(h, row, false).map(Conditional::etag).orElse(null));
        });
  }

  /**
   * {@code write} under {@code condition} (null: none, the write is unconditional as before): in
   * one transaction the row is locked and compared, written, and its new version read. 412 {@code
   * precondition_failed} when the condition fails (the record changed or is gone since it was
   * read), and then nothing is written. Anything {@code write} throws rolls it back.
   */
  <T> Tagged<T> write(Row row, IfMatch condition, Supplier<T> write) {
    return jdbi.inTransaction(h -> {
      if (condition != null) {
        require(row, condition, version(h, row, true));
      }
      T value = write.get();
      return new Tagged<>(value, version(h, row, false).map(Conditional::etag).orElse(null));
    });
  }

  /** As {@link #write}, for a write that answers nothing. */
  void write(Row row, IfMatch condition, Runnable write) {
    write(row, condition, () -> {
      write.run();
      return null;
    });
  }

  /**
   * 412 now when {@code condition} (null: none) fails, before a write checks what else it must
   * (a provider a model targets is 409 otherwise, which would tell a client with a stale read
   * less than that it is stale). Not atomic: the write checks again, in its transaction.
   */
  void check(Row row, IfMatch condition) {
    if (condition != null) {
      require(row, condition, jdbi.withHandle(h -> version(h, row, false)));
    }
  }

  private static void require(Row row, IfMatch condition, Optional<Long> current) {
    if (current.isEmpty() || !condition.matches(etag(current.get()))) {
      throw new ApiException(
          ErrorCode.PRECONDITION_FAILED,
          (current.isEmpty() ? row.what() + " does not exist" : row.what() + " changed since it was read")
              + " (If-Match does not match its current ETag); nothing was changed: read it again and retry");
    }
  }

  private static Optional<Long> version(Handle h, Row row, boolean lock) {
    var query = h.createQuery("SELECT row_version FROM " + row.table() + " WHERE " + row.where() + (lock ? " FOR UPDATE" : ""))
        .bind("key", row.key());
    if (row.where().contains(":tenant")) {
      query.bind("tenant", row.tenant());
    }
    return query.mapTo(Long.class).findOne();
  }
}
