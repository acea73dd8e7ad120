package dev.gatehouse.frontend.app;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Where start-up time goes: each phase marks its end (milliseconds since the JVM started), and the
 * breakdown is logged once the server is up, e.g. {@code started in 3912 ms: jvm+cli 820,
 * postgres 610, schema 340, ...}.
 */
public final class StartTimes {
  private static final List<String> names = new ArrayList<>();
  private static final List<Long> ends = new ArrayList<>();

  private StartTimes() {}

  /** The phase {@code name} ended now. */
  public static synchronized void mark(String name) {
    names.add(name);
    ends.add(ManagementFactory.getRuntimeMXBean().getUptime());
  }

  /** The phases so far with their durations, and the total since the JVM started; starts a new list. */
  public static synchronized String summary() {
    long total = ManagementFactory.getRuntimeMXBean().getUptime();
    StringBuilder s = new StringBuilder("started in ").append(total).append(" ms:");
    long previous = 0;
    for (int i = 0; i < names.size(); i++) {
      s.append(i == 0 ? " " : ", ").append(names.get(i)).append(' ').append(ends.get(i) - previous);
      previous = ends.get(i);
    }
    if (total > previous) {
      s.append(names.isEmpty() ? " " : ", ").append("rest ").append(total - previous);
    }
    names.clear();
    ends.clear();
    return s.append(" (ms)").toString();
  }
}
