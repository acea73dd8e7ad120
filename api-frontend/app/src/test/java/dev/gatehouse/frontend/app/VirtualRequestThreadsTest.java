package dev.gatehouse.frontend.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gatehouse.frontend.app.GatehouseConfiguration.RequestThreads;
import dev.gatehouse.frontend.testing.TestGatehouse;
import io.dropwizard.core.server.DefaultServerFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code requestThreads} (and Dropwizard's {@code server.enableVirtualThreads}): virtual request
 * threads on Java 24 or later unless asked otherwise, platform ones before; a Java without
 * virtual threads, or two settings that disagree, refused with the reason.
 */
class VirtualRequestThreadsTest {
  private String pollerMode;

  @BeforeEach
  void keepPollerMode() {
    pollerMode = System.clearProperty(RequestThreadsSetup.POLLER_MODE);
  }

  @AfterEach
  void restorePollerMode() {
    if (pollerMode == null) {
      System.clearProperty(RequestThreadsSetup.POLLER_MODE);
    } else {
      System.setProperty(RequestThreadsSetup.POLLER_MODE, pollerMode);
    }
  }

  @Test
  void autoTakesVirtualThreadsFromJava24On() {
    for (int java : new int[] {17, 21, 23}) {
      DefaultServerFactory server = new DefaultServerFactory();
      assertThat(RequestThreadsSetup.apply(server, RequestThreads.AUTO, java)).as("Java %d", java).isFalse();
      assertThat(server.isEnableVirtualThreads()).isFalse();
    }
    assertThat(System.getProperty(RequestThreadsSetup.POLLER_MODE)).isNull(); // platform threads: left alone
    for (int java : new int[] {24, 25}) {
      DefaultServerFactory server = new DefaultServerFactory();
      assertThat(RequestThreadsSetup.apply(server, RequestThreads.AUTO, java)).as("Java %d", java).isTrue();
      assertThat(server.isEnableVirtualThreads()).isTrue();
    }
    assertThat(System.getProperty(RequestThreadsSetup.POLLER_MODE)).isEqualTo("1");
  }

  @Test
  void platformAndVirtualAreTakenAsSaidWhereJavaHasThem() {
    DefaultServerFactory server = new DefaultServerFactory();
    assertThat(RequestThreadsSetup.apply(server, RequestThreads.PLATFORM, 25)).isFalse();
    assertThat(server.isEnableVirtualThreads()).isFalse();
    assertThat(RequestThreadsSetup.apply(server, RequestThreads.VIRTUAL, 21)).isTrue();
    assertThat(server.isEnableVirtualThreads()).isTrue();
    DefaultServerFactory dropwizards = new DefaultServerFactory();
    dropwizards.setEnableVirtualThreads(true); // Dropwizard's own key still asks for them under auto
    assertThat(RequestThreadsSetup.apply(dropwizards, RequestThreads.AUTO, 21)).isTrue();
  }

  @Test
  void anOperatorsPollerModeIsKept() {
    System.setProperty(RequestThreadsSetup.POLLER_MODE, "2");
    assertThat(RequestThreadsSetup.apply(new DefaultServerFactory(), RequestThreads.VIRTUAL, 25)).isTrue();
    assertThat(System.getProperty(RequestThreadsSetup.POLLER_MODE)).isEqualTo("2");
  }

  @Test
  void aJavaWithoutVirtualThreadsOrSettingsThatDisagreeAreRefusedWithTheReason() {
    assertThatThrownBy(() -> RequestThreadsSetup.apply(new DefaultServerFactory(), RequestThreads.VIRTUAL, 17))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("requestThreads: virtual needs Java 21 or later; this is Java 17");
    DefaultServerFactory dropwizards = new DefaultServerFactory();
    dropwizards.setEnableVirtualThreads(true);
    assertThatThrownBy(() -> RequestThreadsSetup.apply(dropwizards, RequestThreads.AUTO, 17))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("server.enableVirtualThreads needs Java 21 or later; this is Java 17");
    assertThatThrownBy(() -> RequestThreadsSetup.apply(dropwizards, RequestThreads.PLATFORM, 25))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("requestThreads: platform and server.enableVirtualThreads: true disagree; set one of them");
    assertThat(System.getProperty(RequestThreadsSetup.POLLER_MODE)).isNull();
  }

  @Test
  void byDefaultTheRunningJavaDecides() throws Exception {
    try (TestGatehouse g = TestGatehouse.start(c -> c.setRequestThreads(RequestThreads.AUTO))) {
      QueuedThreadPool pool = (QueuedThreadPool) g.server().getThreadPool();
      assertThat(pool.getVirtualThreadsExecutor() != null).isEqualTo(Runtime.version().feature() >= 24);
      assertThat(g.get("/v1/tasks", TestGatehouse.KEY_A).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void theTestServersRunOnPlatformThreadsUnlessTheRunAsksForVirtualOnes() throws Exception {
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
    try (TestGatehouse g = TestGatehouse.start(c -> c.setRequestThreads(RequestThreads.VIRTUAL))) {
      QueuedThreadPool pool = (QueuedThreadPool) g.server().getThreadPool();
      assertThat(pool.getVirtualThreadsExecutor()).isNotNull();
      assertThat(g.get("/v1/tasks", TestGatehouse.KEY_A).statusCode()).isEqualTo(200);
      assertThat(g.get("/v1/tasks", "gk_not_a_key_0123456789abcdef").statusCode()).isEqualTo(401);
    }
  }
}
