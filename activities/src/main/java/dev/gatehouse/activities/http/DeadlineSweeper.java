package dev.gatehouse.activities.http;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The open exchanges and the thread that aborts those whose deadline (or grace) passed, looking
 * every {@link #TICK_MILLIS}: deadlines are late by at most a tick. Opening and closing an
 * exchange is a set insertion and removal; nobody is woken per exchange, as a timer queue would
 * (its head changes with almost every exchange). The thread parks when no exchange has been
 * open for a while.
 */
final class DeadlineSweeper implements Runnable {
  private static final long TICK_MILLIS = 20;
  private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(2);
  private final Set<BlockingHttp.Exchange> open = ConcurrentHashMap.newKeySet();
  private final Thread thread;
  private volatile boolean parked;

  DeadlineSweeper() {
    thread = new Thread(this, "gatehouse-http-deadlines");
    thread.setDaemon(true);
    thread.start();
  }

  void open(BlockingHttp.Exchange exchange) {
    open.add(exchange);
    if (parked) {
      parked = false;
      LockSupport.unpark(thread);
    }
  }

  void close(BlockingHttp.Exchange exchange) {
    open.remove(exchange);
  }

  @Override
  public void run() {
    long idleSince = System.nanoTime();
    while (true) {
      long now = System.nanoTime();
      if (open.isEmpty()) {
        if (now - idleSince > IDLE_NANOS) {
          parked = true;
          if (open.isEmpty()) {
            LockSupport.park(this);
          }
          parked = false;
          idleSince = System.nanoTime();
          continue;
        }
      } else {
        idleSince = now;
        for (BlockingHttp.Exchange e : open) {
          try {
            e.sweep(now);
          } catch (Throwable ignored) {
            // aborting one exchange failed: the others are still swept (this thread is all
            // that ends an exchange whose server went quiet, so it outlives any one failure)
          }
        }
      }
      LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS));
    }
  }
}
