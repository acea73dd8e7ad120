package dev.gatehouse.frontend.app;

import io.dropwizard.lifecycle.setup.LifecycleEnvironment;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.component.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many connections the application port holds at once ({@code limits.maxConnections}), and
 * from one address ({@code limits.maxConnectionsPerAddress}). Without a limit, clients that open
 * connections and send nothing (no key needed) took every file the process may open: Jetty
 * failed to accept (a warning with a stack trace every second), and every agent's calls waited.
 * At the limit the port stops accepting until a connection closes, and connections that are idle
 * are closed after {@code limits.idleTimeoutAtConnectionLimit} instead of the connector's idle
 * timeout; a connection from an address already at its own limit is closed at once. The admin
 * port is not limited: health checks and metrics stay reachable.
 */
final class ConnectionLimits {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimits.class);

  /** What {@code maxConnections: 0} (the default) stands for when the process's open-file limit cannot be read. */
  static final int FALLBACK = 10_000;

  private ConnectionLimits() {}

  /**
   * The limit {@code configured} stands for: itself, or for 0, half the open files the process
   * may have (the other half for the database, upstreams, stdio servers and the JVM's own), at
   * least 64.
   */
  static int effective(int configured) {
    if (configured > 0) {
      return configured;
    }
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      long files = unix.getMaxFileDescriptorCount();
      if (files > 0) {
        return (int) Math.max(64, Math.min(Integer.MAX_VALUE, files / 2));
      }
    }
    return FALLBACK;
  }

  /** Installs the limits on the application connectors as the server starts. */
  static void install(
      LifecycleEnvironment lifecycle, int maxConnections, long idleAtLimitMillis, int perAddress, Runnable refusedPerAddress) {
    int max = effective(maxConnections);
    lifecycle.addEventListener(
        new LifeCycle.Listener() {
          @Override
          public void lifeCycleStarting(LifeCycle event) {
            if (!(event instanceof Server server)) {
              return;
            }
            List<Connector> application = new ArrayList<>();
            for (Connector c : server.getConnectors()) {
              if (!"admin".equals(c.getName())) {
                application.add(c);
              }
            }
            if (application.isEmpty()) {
              return;
            }
            Limit limit = new Limit(max, idleAtLimitMillis, application.toArray(Connector[]::new));
            server.addBean(limit);
            for (Connector c : application) {
              if (c instanceof AbstractConnector connector) {
                connector.addBean(limit.opened);
              }
            }
            if (perAddress > 0) {
              PerAddress listener = new PerAddress(perAddress, refusedPerAddress);
              for (Connector c : application) {
                if (c instanceof AbstractConnector connector) {
                  connector.addBean(listener);
                }
              }
            }
            LOG.info(
                "the application port holds at most {} connections{}", max, perAddress > 0 ? ", " + perAddress + " from one address" : "");
          }
        });
  }

  /**
   * Jetty's limit, which shortens the idle timeout of the connections open when it is reached;
   * connections that were still being accepted then (a burst arrives at once) kept the
   * connector's, and held the port for its whole idle timeout. Here every connection opened while
   * the limit holds gets the shorter one too.
   */
  static final class Limit extends NetworkConnectionLimit {
    private static final long SAY_EVERY_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(1);
    private volatile boolean limiting;
    private final AtomicLong said = new AtomicLong(System.nanoTime() - SAY_EVERY_NANOS);
    private final long idleAtLimitMillis;
    final Connection.Listener opened;

    Limit(int max, long idleAtLimitMillis, Connector... connectors) {
      super(max, connectors);
      this.idleAtLimitMillis = idleAtLimitMillis;
      setEndPointIdleTimeout(idleAtLimitMillis);
      this.opened =
          new Connection.Listener() {
            @Override
            public void onOpened(Connection connection) {
              if (limiting) {
                connection.getEndPoint().setIdleTimeout(idleAtLimitMillis);
              }
            }
          };
    }

    @Override
    protected void limit() {
      limiting = true;
      super.limit();
      long last = said.get();
      long now = System.nanoTime();
      if (now - last >= SAY_EVERY_NANOS && said.compareAndSet(last, now)) {
        LOG.warn(
            "the application port holds its limit of {} connections (limits.maxConnections): it accepts no more until one"
                + " closes, and closes connections idle for {} ms; said at most once a minute",
            getMaxNetworkConnectionCount(), idleAtLimitMillis);
      }
    }

    @Override
    protected void unlimit() {
      limiting = false;
      super.unlimit();
    }
  }

  /**
   * Closes a connection from an address that holds {@code max} already. Counted per address as
   * Jetty opens and closes connections; an address's count goes when its last connection does.
   */
  static final class PerAddress implements Connection.Listener {
    private final int max;
    private final Runnable refused;
    private final ConcurrentHashMap<InetAddress, AtomicInteger> open = new ConcurrentHashMap<>();
    /** Each open connection's address, as it was at its opening (a closed channel has none). */
    private final ConcurrentHashMap<Connection, InetAddress> addresses = new ConcurrentHashMap<>();

    PerAddress(int max, Runnable refused) {
      this.max = max;
      this.refused = refused;
    }

    @Override
    public void onOpened(Connection connection) {
      InetAddress address = address(connection);
      if (address == null) {
        return;
      }
      addresses.put(connection, address);
      int[] count = new int[1];
      open.compute(address, (a, c) -> {
        AtomicInteger n = c == null ? new AtomicInteger() : c;
        count[0] = n.incrementAndGet();
        return n;
      });
      if (count[0] > max) {
        refused.run();
        connection.getEndPoint().close();
      }
    }

    @Override
    public void onClosed(Connection connection) {
      InetAddress address = addresses.remove(connection);
      if (address != null) {
        open.computeIfPresent(address, (a, c) -> c.decrementAndGet() <= 0 ? null : c);
      }
    }

    private static InetAddress address(Connection connection) {
      return connection.getEndPoint().getRemoteSocketAddress() instanceof InetSocketAddress remote ? remote.getAddress() : null;
    }
  }
}
