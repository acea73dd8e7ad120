package dev.gatehouse.frontend.app.admin;

import java.util.List;
import java.util.function.Function;

/** One page of an admin listing; {@code nextCursor} fetches the next, or is null on the last. */
public record Page<T>(List<T> items, String nextCursor) {

  /**
   * A page from {@code rows} fetched with limit {@code limit + 1}: the extra row only tells that
   * more follow, and the cursor is the {@code key} of the page's last row.
   */
  static <R, T> Page<T> of(List<R> rows, int limit, Function<R, String> key, Function<R, T> view) {
    boolean more = rows.size() > limit;
    List<R> page = more ? rows.subList(0, limit) : rows;
    return new Page<>(page.stream().map(view).toList(), more ? AdminContext.encodeCursor(key.apply(page.get(limit - 1))) : null);
  }
}
