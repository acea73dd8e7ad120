package dev.gatehouse.frontend.tasks;

import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.frontend.core.http.TimeInputs;
import dev.gatehouse.registry.tasks.TaskRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;

/** The opaque cursor of the task list: the (createdAt, id) of the last task of a page. */
record TaskCursor(OffsetDateTime createdAt, String id) {
  private static final java.util.regex.Pattern TASK_ID = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,128}");

  static String encode(TaskRecord last) {
    Instant t = last.createdAt();
    String raw = t.getEpochSecond() + "." + t.getNano() + "." + last.id();
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  static TaskCursor decode(String cursor) {
    if (cursor == null || cursor.isBlank()) {
      return null;
    }
    try {
      String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      String[] parts = raw.split("\\.", 3);
      Instant t = TimeInputs.check(Instant.ofEpochSecond(Long.parseLong(parts[0]), Long.parseLong(parts[1])), "cursor");
      if (!TASK_ID.matcher(parts[2]).matches()) {
        throw new IllegalArgumentException("not a task id");
      }
      return new TaskCursor(OffsetDateTime.ofInstant(t, ZoneOffset.UTC), parts[2]);
    } catch (RuntimeException e) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "cursor is not one this API gave out");
    }
  }
}
