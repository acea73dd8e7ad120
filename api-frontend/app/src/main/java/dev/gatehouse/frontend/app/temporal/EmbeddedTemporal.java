package dev.gatehouse.frontend.app.temporal;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.temporal.testserver.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Temporal's Java test server run inside this process. Gatehouse's own client and worker reach it
 * through an in-process gRPC channel ({@link #channel()}: no sockets, no serialisation to the
 * wire, far fewer thread handoffs); it is also served over gRPC on a loopback address only (the
 * SDK's own port-bound variant listens on every interface) for the Temporal CLI and UI. Real
 * time, no time skipping; everything is kept in memory. For {@code dev} and tests, never for
 * production.
 *
 * <p>The test server is built for short tests; two of its habits would make a long-running dev
 * process slower and bigger with every workflow. {@link TestServerTrims} works around both (see
 * there): its timer's debugging list of lock events is bounded, and closed workflows beyond a
 * {@link Retention} are dropped from memory, as a real Temporal cluster does after its namespace
 * retention.
 */
public final class EmbeddedTemporal implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedTemporal.class);

  /**
   * How many closed workflows the engine keeps, and for how long at most; beyond that, how many
   * more it keeps while {@link Holds} names them ({@code heldMax}). A dropped workflow is gone from
   * the engine, as after a dev restart: its trace is read from Gatehouse's archive, or answers
   * {@code history_unavailable} if it was never archived; its row in Gatehouse's task index
   * (status, error) stays.
   */
  public record Retention(int closedWorkflows, Duration closedFor, Duration sweepEvery, int heldMax) {
    public static final Retention DEFAULT = new Retention(2_000, Duration.ofHours(1), Duration.ofSeconds(10), 10_000);
  }

  /**
   * Which closed workflows must stay although beyond the {@link Retention}: those whose history
   * is not archived yet (a dropped one would have lost its trace). At most {@link
   * Retention#heldMax()} are kept so (the newest); beyond that they are dropped as before, with a
   * warning.
   */
  @FunctionalInterface
  public interface Holds {
    /** Those of {@code workflowIds} to keep; may throw (then as many as the bound allows are kept). */
    java.util.Collection<String> heldAmong(java.util.List<String> workflowIds);
  }

  private final TestServer.InProcessTestServer engine;
  private final Server grpc;
  private final TestServerTrims trims;
  private final ScheduledExecutorService sweeper;

  private EmbeddedTemporal(
      TestServer.InProcessTestServer engine, Server grpc, TestServerTrims trims, ScheduledExecutorService sweeper) {
    this.engine = engine;
    this.grpc = grpc;
    this.trims = trims;
    this.sweeper = sweeper;
  }

  /** Starts the engine on {@code host:port} (port 0 picks a free one); host must be loopback. */
  public static EmbeddedTemporal start(String host, int port) {
    return start(host, port, Retention.DEFAULT);
  }

  /** Like {@link #start(String, int)}, keeping closed workflows as {@code retention} says. */
  public static EmbeddedTemporal start(String host, int port, Retention retention) {
    InetSocketAddress address = new InetSocketAddress(host, port);
    if (!address.getAddress().isLoopbackAddress()) {
      throw new IllegalArgumentException(
          "the embedded Temporal engine binds loopback only, not " + host);
    }
    TestServer.InProcessTestServer engine = TestServer.createServer(true);
    try {
      Server grpc =
          NettyServerBuilder.forAddress(address)
              .addService(engine.getWorkflowService())
              .build()
              .start();
      TestServerTrims trims = TestServerTrims.install(engine, retention);
      ScheduledExecutorService sweeper = null;
      if (trims != null) {
        sweeper =
            Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "embedded-temporal-retention");
                  t.setDaemon(true);
                  return t;
                });
        long every = Math.max(1, retention.sweepEvery().toMillis());
        sweeper.scheduleWithFixedDelay(trims::sweepQuietly, every, every, TimeUnit.MILLISECONDS);
      }
      return new EmbeddedTemporal(engine, grpc, trims, sweeper);
    } catch (IOException e) {
      engine.close();
      throw new UncheckedIOException("could not bind the embedded Temporal engine to " + address, e);
    }
  }

  /** The loopback TCP port the engine serves (for the Temporal CLI and UI). */
  public int port() {
    return grpc.getPort();
  }

  /** The in-process channel to the engine, for this process's own client and worker. Closed with the engine. */
  public ManagedChannel channel() {
    return engine.getChannel();
  }

  /** From now on, keeps the closed workflows {@code holds} names beyond the retention (see {@link Holds}). */
  public void hold(Holds holds) {
    if (trims != null) {
      trims.hold(holds);
    }
  }

  /** Runs one retention sweep now; returns how many closed workflows it dropped (0 when the trims are off). */
  public int sweep() {
    return trims == null ? 0 : trims.sweep();
  }

  /** How many workflows (running and closed) the engine holds now; -1 when the trims are off. */
  public int workflowsHeld() {
    return trims == null ? -1 : trims.workflowsHeld();
  }

  /** How many timers the engine has queued now; -1 when the trims are off. */
  public int timersHeld() {
    return trims == null ? -1 : trims.timersHeld();
  }

  /** How many entries the timer's lock-event list holds now; -1 when the trims are off. */
  public int lockEventsHeld() {
    return trims == null ? -1 : trims.lockEventsHeld();
  }

  @Override
  public void close() {
    if (sweeper != null) {
      sweeper.shutdownNow();
    }
    grpc.shutdownNow();
    engine.close();
    LOG.debug("embedded Temporal engine closed");
  }
}
