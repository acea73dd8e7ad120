package dev.gatehouse.frontend.admin;

import java.util.List;

/** One page of an admin listing; {@code nextCursor} fetches the next, or is null on the last. */
public record Page<T>(List<T> items, String nextCursor) {}
