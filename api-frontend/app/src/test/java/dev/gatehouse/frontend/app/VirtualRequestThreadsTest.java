package dev.gatehouse.frontend.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gatehouse.frontend.testing.TestGatehouse;
import io.dropwizard.core.server.DefaultServerFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.Test;

/** Dropwizard's {@code server.enableVirtualThreads}: off unless asked, refused where Java has none. */
class VirtualRequestThreadsTest {
  @Test
  void aJavaWithoutVirtualThreadsIsRefusedWithTheReason() {
    DefaultServerFactory server = new DefaultServerFactory();
    server.setEnableVirtualThreads(true);
    assertThatThrownBy(() -> GatehouseApplication.requestThreads(server, 17))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("server.enableVirtualThreads needs Java 21 or later; this is Java 17");
    GatehouseApplication.requestThreads(server, 21); // accepted
    server.setEnableVirtualThreads(false);
    GatehouseApplication.requestThreads(server, 17); // platform threads: any Java
  }

  @Test
  void requestsRunOnPlatformThreadsUnlessTheServerAsksForVirtualOnes() throws Exception {
    boolean asked = Boolean.getBoolean(TestGatehouse.VIRTUAL_THREADS);
    try (TestGatehouse g = TestGatehouse.start()) {
      QueuedThreadPool pool = (QueuedThreadPool) g.server().getThreadPool();
      assertThat(pool.getVirtualThreadsExecutor() != null).isEqualTo(asked);
      assertThat(g.get("/v1/tasks", TestGatehouse.KEY_A).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void askedForThemTheServerServesRequestsOnVirtualThreads() throws Exception {
    assumeTrue(Runtime.version().feature() >= 21, "virtual threads need Java 21 or later");
    try (TestGatehouse g =
        TestGatehouse.start(c -> ((DefaultServerFactory) c.getServerFactory()).setEnableVirtualThreads(true))) {
      QueuedThreadPool pool = (QueuedThreadPool) g.server().getThreadPool();
      assertThat(pool.getVirtualThreadsExecutor()).isNotNull();
      assertThat(g.get("/v1/tasks", TestGatehouse.KEY_A).statusCode()).isEqualTo(200);
      assertThat(g.get("/v1/tasks", "gk_not_a_key_0123456789abcdef").statusCode()).isEqualTo(401);
    }
  }
}
