package dev.gatehouse.activities.usage;

import dev.gatehouse.registry.usage.UsageRecord;

/**
 * Writes usage rows without holding up the call that made them: queued, written in batches.
 * (Contract; the implementation is to come.)
 */
public class UsageLog implements AutoCloseable {

  /** Queues one row; never blocks the caller and never throws. */
  public void record(UsageRecord row) {}

  @Override
  public void close() {}
}
