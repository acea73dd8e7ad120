package dev.gatehouse.frontend.app.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/** Adds Gatehouse's turbo filters to the process's logging, each kind once. */
public final class TurboFilters {
  private TurboFilters() {}

  /** Adds {@code make}'s filter to the process's logging, unless one of {@code type} is there. */
  public static void installOnce(Class<? extends TurboFilter> type, Supplier<? extends TurboFilter> make) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      installOnce(context, type, make);
    }
  }

  /** Adds {@code make}'s filter to {@code context}, unless one of {@code type} is there. */
  public static void installOnce(LoggerContext context, Class<? extends TurboFilter> type, Supplier<? extends TurboFilter> make) {
    if (context.getTurboFilterList().stream().noneMatch(type::isInstance)) {
      TurboFilter filter = make.get();
      filter.setContext(context);
      filter.start();
      context.addTurboFilter(filter);
    }
  }
}
