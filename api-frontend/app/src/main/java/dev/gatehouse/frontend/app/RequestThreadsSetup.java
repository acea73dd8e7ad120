package dev.gatehouse.frontend.app;

import io.dropwizard.core.server.AbstractServerFactory;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads HTTP requests run on: {@code requestThreads} in the configuration, or Dropwizard's
 * {@code server.enableVirtualThreads: true}, which asks for virtual ones.
 */
final class RequestThreadsSetup {
  private static final Logger LOG = LoggerFactory.getLogger(RequestThreadsSetup.class);

  /** The JDK's choice of I/O pollers for virtual threads (read once, at their first blocking I/O). */
  static final String POLLER_MODE = "jdk.pollerMode";

  private RequestThreadsSetup() {}

  /**
   * Chooses the threads HTTP requests run on and sets the server up for them. Virtual threads
   * take an eighth to a third of the gateway's CPU off a call where many wait on their upstreams
   * at once, and add a few hundredths of a millisecond where one does (docs/configuration.md has
   * the figures), so {@code auto} takes them where they no longer hold their carrier inside
   * {@code synchronized} (Java 24, JEP 491). With virtual threads, the JDK's I/O pollers run on
   * their own platform threads ({@code jdk.pollerMode=1}) unless the operator set {@code
   * jdk.pollerMode}: a request's wake-up then takes one hand-off less. A setting the running Java
   * cannot honour, or two that disagree, stop the start with the reason rather than fail deep in
   * Jetty. Returns whether requests run on virtual threads.
   */
  static boolean apply(AbstractServerFactory server, GatehouseConfiguration.RequestThreads setting, int java) {
    boolean virtual =
        switch (setting) {
          case AUTO -> server.isEnableVirtualThreads() || java >= 24;
          case VIRTUAL -> true;
          case PLATFORM -> {
            if (server.isEnableVirtualThreads()) {
              throw new IllegalStateException(
                  "requestThreads: platform and server.enableVirtualThreads: true disagree; set one of them");
            }
            yield false;
          }
        };
    if (virtual && java < 21) {
      throw new IllegalStateException(
          (server.isEnableVirtualThreads() ? "server.enableVirtualThreads" : "requestThreads: virtual")
              + " needs Java 21 or later; this is Java " + java);
    }
    server.setEnableVirtualThreads(virtual);
    if (virtual && System.getProperty(POLLER_MODE) == null) {
      System.setProperty(POLLER_MODE, "1");
    }
    LOG.info(
        "HTTP requests run on {} threads (Java {}, requestThreads: {}{})",
        virtual ? "virtual" : "platform",
        java,
        setting.name().toLowerCase(Locale.ROOT),
        virtual ? ", " + POLLER_MODE + "=" + System.getProperty(POLLER_MODE) : "");
    return virtual;
  }
}
