package dev.gatehouse.frontend.app.temporal;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.temporal.testserver.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;

/**
 * Temporal's Java test server run inside this process and served over gRPC on a loopback address
 * only (the SDK's own port-bound variant listens on every interface). Real time, no time
 * skipping; everything is kept in memory. For {@code dev} and tests, never for production.
 */
public final class EmbeddedTemporal implements AutoCloseable {
  private final TestServer.InProcessTestServer engine;
  private final Server grpc;

  private EmbeddedTemporal(TestServer.InProcessTestServer engine, Server grpc) {
    this.engine = engine;
    this.grpc = grpc;
  }

  /** Starts the engine on {@code host:port} (port 0 picks a free one); host must be loopback. */
  public static EmbeddedTemporal start(String host, int port) {
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
      return new EmbeddedTemporal(engine, grpc);
    } catch (IOException e) {
      engine.close();
      throw new UncheckedIOException("could not bind the embedded Temporal engine to " + address, e);
    }
  }

  public int port() {
    return grpc.getPort();
  }

  @Override
  public void close() {
    grpc.shutdownNow();
    engine.close();
  }
}
