package dev.gatehouse.frontend.app.admin;

import java.util.List;
import java.util.function.Function;

/** One page of an admin listing; {@code nextCursor} fetches the next, or is null on the last. */
public record Page<T>(List<T> items, String nextCursor) {

  /**
   * A page of the listing {@code listing} from {@code rows} fetched with limit {@code limit + 1}:
   * the extra row only tells that more follow, and the cursor is the {@code key} of the page's last
   * row, tagged with the listing it belongs to.
   */
  static <R, T> Page<T> of(String listing, List<R> rows, int limit, Function<R, String> key, Function<R, T> view) {
    boolean more = rows.size() > limit;
    List<R> page = more ? rows.subList(0, limit) : rows;
    return new Page<>(
        page.stream().map(view).toList(), more ? AdminContext.encodeCursor(listing, key.apply(page.get(limit - 1))) : null);
  }

  /**
   * The page the listing {@code listing}'s {@code limit} and {@code cursor} query parameters ask
   * for (400 when either is not one this API accepts, or the cursor is another listing's), with rows from {@code query} ordered by {@code key}.
   */
  static <R, T> Page<T> fetch(
      String listing, String limit, String cursor, Query<R> query, Function<R, String> key, Function<R, T> view) {
    int n = AdminContext.limit(limit);
    return of(listing, query.rows(AdminContext.decodeCursor(listing, cursor), n + 1), n, key, view);
  }

  /** At most {@code limit} rows whose key is after {@code after} (from the start when null). */
  @FunctionalInterface
  interface Query<R> {
    List<R> rows(String after, int limit);
  }
}
