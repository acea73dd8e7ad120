package dev.gatehouse.activities.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.activities.credentials.UpstreamCredentials;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.registry.mcp.McpCatalogDao;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.mcp.McpServerDao;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.mcp.McpServerStatus;
import dev.gatehouse.registry.testing.TestDatabase;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import io.prometheus.client.CollectorRegistry;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The registry of upstream servers against a real database and a real MCP server on loopback:
 * discovery into the catalog, catalog-changed listeners, the shared client and its reset,
 * progress routed by token, a server that cannot be reached, a server removed.
 */
class McpUpstreamsTest {
  private static final Duration LONG = Duration.ofHours(1); // no periodic checks during a test

  private static McpServerDefinition server(String name, String url) {
    return new McpServerDefinition(
        name, null, McpServerDefinition.STREAMABLE_HTTP, url, null, null, null, null, null, null,
        Duration.ofSeconds(10), Duration.ofSeconds(2), null, null, null, null);
  }

  private static McpUpstreams upstreams(TestDatabase db, CollectorRegistry prometheus) {
    return new McpUpstreams(
        db.jdbi(), new McpConnector(new UpstreamCredentials(null, Clock.systemUTC())), new GatehouseMetrics(prometheus), LONG, LONG);
  }

  private static String text(McpSchema.CallToolResult result) {
    return ((McpSchema.TextContent) result.content().get(0)).text();
  }

  /**
   * A probe's agent sessions that had used an upstream stayed on the heap after they ended, about
   * 21 KB each without end: the connector's map kept each client, weakly, under a transport that
   * referred back to it.
   */
  @Test
  void aClosedClientNoOneHoldsIsLetGo() throws Exception {
    McpConnector connector = new McpConnector(new UpstreamCredentials(null, Clock.systemUTC()));
    java.lang.ref.WeakReference<McpAsyncClient> gone;
    try (SdkUpstream upstream = new SdkUpstream()) {
      gone = usedAndClosed(connector, server("notes", upstream.url()));
    }
    // The server is gone too: the JDK's HTTP client keeps an idle pooled connection's last
    // exchange (and so one session) until the connection closes, which is bounded by the pool.
    for (int i = 0; i < 100 && gone.get() != null; i++) {
      System.gc();
      Thread.sleep(20);
    }
    assertThat(gone.get()).as("the client, after it was closed and dropped").isNull();
    java.lang.ref.Reference.reachabilityFence(connector);
  }

  private static java.lang.ref.WeakReference<McpAsyncClient> usedAndClosed(McpConnector connector, McpServerDefinition def) {
    McpAsyncClient client = connector.client(def, UpstreamHandlers.NONE);
    client.initialize().block(Duration.ofSeconds(10));
    client.callTool(new McpSchema.CallToolRequest("write_note", Map.of("name", "a", "text", "hi"))).block(Duration.ofSeconds(10));
    assertThat(connector.streamable(client)).isNotNull();
    client.closeGracefully().block(Duration.ofSeconds(10));
    return new java.lang.ref.WeakReference<>(client);
  }

  @Test
  void discoversARegisteredServerAndSharesItsClient() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        SdkUpstream upstream = new SdkUpstream()) {
      McpServerDao servers = db.jdbi().onDemand(McpServerDao.class);
      McpCatalogDao catalog = db.jdbi().onDemand(McpCatalogDao.class);
      McpServerDefinition def = server("notes", upstream.url());
      servers.insert(def);
      CollectorRegistry prometheus = new CollectorRegistry();
      try (McpUpstreams upstreams = upstreams(db, prometheus)) {
        List<String> changed = new CopyOnWriteArrayList<>();
        upstreams.onCatalogChanged(changed::add);

        assertThat(upstreams.refreshNow("notes")).isTrue();
        assertThat(catalog.ofServer("notes"))
            .extracting(McpCatalogEntry::kind, McpCatalogEntry::name)
            .containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple(McpCatalogEntry.TOOL, "read_note"),
                org.assertj.core.groups.Tuple.tuple(McpCatalogEntry.TOOL, "slow"),
                org.assertj.core.groups.Tuple.tuple(McpCatalogEntry.TOOL, "work"),
                org.assertj.core.groups.Tuple.tuple(McpCatalogEntry.TOOL, "write_note"));
        assertThat(catalog.status("notes")).map(McpServerStatus::state).contains(McpServerStatus.UP);
        assertThat(prometheus.getSampleValue("gatehouse_mcp_server_tools", new String[] {"server"}, new String[] {"notes"}))
            .isEqualTo(4.0);
        assertThat(changed).containsExactly("notes");
        assertThat(upstreams.refreshNow("notes")).isTrue();
        assertThat(changed).as("an unchanged catalog is not announced again").containsExactly("notes");

        McpAsyncClient client = upstreams.client(def);
        assertThat(upstreams.client(def)).as("one shared client").isSameAs(client);
        client.callTool(new McpSchema.CallToolRequest("write_note", Map.of("name", "a", "text", "hi"))).block(Duration.ofSeconds(10));

        // Progress of a call through the shared client reaches the sink registered for its token.
        List<String> reports = new CopyOnWriteArrayList<>();
        CountDownLatch reported = new CountDownLatch(1);
        upstreams.onProgress(
            "tok-1",
            (progress, total, message) -> {
              reports.add(progress + "/" + total + " " + message);
              reported.countDown();
            });
        McpSchema.CallToolResult worked =
            client.callTool(new McpSchema.CallToolRequest("work", Map.of(), Map.of("progressToken", "tok-1")))
                .block(Duration.ofSeconds(10));
        assertThat(text(worked)).isEqualTo("worked");
        assertThat(reported.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(reports).containsExactly("0.5/1.0 half way");
        upstreams.onProgress("tok-1", null);

        // After a reset the next use connects anew; a late reset for the old client (a call of
        // its that failed after) keeps the new one.
        upstreams.reset("notes", client);
        McpAsyncClient again = upstreams.client(def);
        assertThat(again).isNotSameAs(client);
        upstreams.reset("notes", client);
        assertThat(upstreams.client(def)).as("a stale reset keeps the current client").isSameAs(again);
        McpSchema.CallToolResult read =
            again.callTool(new McpSchema.CallToolRequest("read_note", Map.of("name", "a"))).block(Duration.ofSeconds(10));
        assertThat(text(read)).isEqualTo("hi");

        // A server removed from the registry is forgotten, and listeners hear of it.
        servers.delete("notes");
        assertThat(upstreams.refreshNow("notes")).isFalse();
        assertThat(changed).containsExactly("notes", "notes");
      }
    }
  }

  /**
   * A change of how a server is reached (its headers here; a secret they name, its URL or timeout
   * alike) replaces the shared client, and so does removing the server; a call in flight on the
   * old client still answers, and ran once. Cut off, a durable call failed as upstream_error after
   * the server had run it, and the engine ran it again (a probe's rotated secret ran a 35 s call
   * twice).
   */
  @Test
  void aCallInFlightWhenTheRecordChangesOrGoesStillAnswersOnce() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        SdkUpstream upstream = new SdkUpstream()) {
      McpServerDao servers = db.jdbi().onDemand(McpServerDao.class);
      McpServerDefinition def = server("notes", upstream.url());
      servers.insert(def);
      McpConnector connector = new McpConnector(new UpstreamCredentials(null, Clock.systemUTC()));
      try (McpUpstreams upstreams = new McpUpstreams(db.jdbi(), connector, new GatehouseMetrics(new CollectorRegistry()), LONG, LONG)) {
        McpAsyncClient old = upstreams.client(def);
        var inFlight = old.callTool(new McpSchema.CallToolRequest("slow", Map.of("ms", 1500))).toFuture();
        // and as a durable call sends it, past the SDK's client
        var durable =
            java.util.concurrent.CompletableFuture.supplyAsync(
                () -> connector.streamable(old).call(
                    McpSchema.METHOD_TOOLS_CALL,
                    McpJson.OBJECT_MAPPER.createObjectNode().put("name", "slow").set("arguments", McpJson.OBJECT_MAPPER.createObjectNode().put("ms", 1500)),
                    Duration.ofSeconds(10), reactor.core.publisher.Mono.never(), 1 << 20));
        awaitSlowCalls(upstream, 2);
        McpServerDefinition changed =
            new McpServerDefinition(
                "notes", null, McpServerDefinition.STREAMABLE_HTTP, upstream.url(), null, null, null, null, Map.of("X-Env", "v2"), null,
                Duration.ofSeconds(10), Duration.ofSeconds(2), null, null, null, null);
        McpAsyncClient fresh = upstreams.client(changed);
        assertThat(fresh).as("the changed record gets a client of its own").isNotSameAs(old);
        assertThat(text(inFlight.get(10, TimeUnit.SECONDS))).isEqualTo("slept");
        assertThat(durable.get(10, TimeUnit.SECONDS).path("result").path("content").get(0).path("text").asText()).isEqualTo("slept");
        assertThat(upstream.slowCalls()).isEqualTo(2);

        var whileRemoved = fresh.callTool(new McpSchema.CallToolRequest("slow", Map.of("ms", 1500))).toFuture();
        awaitSlowCalls(upstream, 3);
        servers.delete("notes");
        assertThat(upstreams.refreshNow("notes")).isFalse();
        assertThat(text(whileRemoved.get(10, TimeUnit.SECONDS))).isEqualTo("slept");
        assertThat(upstream.slowCalls()).isEqualTo(3);
      }
    }
  }

  private static void awaitSlowCalls(SdkUpstream upstream, int n) throws InterruptedException {
    for (int i = 0; i < 200 && upstream.slowCalls() < n; i++) {
      Thread.sleep(10);
    }
    assertThat(upstream.slowCalls()).as("the call reached the server").isEqualTo(n);
  }

  /**
   * A server that takes connections and never answers, registered before a good one: the good one
   * is discovered at once, not after the slow one's connect timeout (the checks ran one server
   * after another on one thread, so any tenant's slow server held up every other tenant's).
   */
  @Test
  void aSlowServerHoldsUpOnlyItself() throws Exception {
    List<java.net.Socket> held = new CopyOnWriteArrayList<>();
    try (TestDatabase db = TestDatabase.create();
        SdkUpstream good = new SdkUpstream();
        ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Thread accepting =
          new Thread(
              () -> {
                while (!silent.isClosed()) {
                  try {
                    held.add(silent.accept()); // read nothing, answer nothing
                  } catch (java.io.IOException e) {
                    return;
                  }
                }
              });
      accepting.setDaemon(true);
      accepting.start();
      McpServerDao servers = db.jdbi().onDemand(McpServerDao.class);
      McpCatalogDao catalog = db.jdbi().onDemand(McpCatalogDao.class);
      // Checked first (the checks go by name), and given a minute to answer.
      servers.insert(
          new McpServerDefinition(
              "a-silent", null, McpServerDefinition.STREAMABLE_HTTP, "http://127.0.0.1:" + silent.getLocalPort() + "/mcp",
              null, null, null, null, null, null, Duration.ofSeconds(60), Duration.ofSeconds(60), null, null, null, null));
      servers.insert(server("b-good", good.url()));
      try (McpUpstreams upstreams = upstreams(db, new CollectorRegistry())) {
        upstreams.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (catalog.status("b-good").map(McpServerStatus::state).filter(McpServerStatus.UP::equals).isEmpty()
            && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertThat(catalog.status("b-good")).map(McpServerStatus::state).contains(McpServerStatus.UP);
        assertThat(catalog.status("a-silent").map(McpServerStatus::state)).as("still waiting on the silent one")
            .isNotEqualTo(java.util.Optional.of(McpServerStatus.UP));
        assertThat(held).as("the silent server was being checked meanwhile").isNotEmpty();
      }
    } finally {
      for (java.net.Socket s : held) {
        s.close();
      }
    }
  }

  /**
   * One tenant's servers that never answer hold at most its share of the check threads: a probe's
   * 34 silent servers held all 32, and a healthy server of another scope waited two minutes to be
   * discovered. Here 3 threads, 2 per tenant: the tenant's 3 silent servers hold 2, and a global
   * server registered after them is discovered on the third.
   */
  @Test
  void oneTenantsSilentServersHoldOnlyItsShareOfTheChecks() throws Exception {
    List<java.net.Socket> held = new CopyOnWriteArrayList<>();
    try (TestDatabase db = TestDatabase.create();
        SdkUpstream good = new SdkUpstream();
        ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Thread accepting =
          new Thread(
              () -> {
                while (!silent.isClosed()) {
                  try {
                    held.add(silent.accept()); // read nothing, answer nothing
                  } catch (java.io.IOException e) {
                    return;
                  }
                }
              });
      accepting.setDaemon(true);
      accepting.start();
      db.jdbi().useExtension(dev.gatehouse.registry.tenants.TenantDao.class, t -> t.insert("ten_slow", "slow"));
      McpServerDao servers = db.jdbi().onDemand(McpServerDao.class);
      McpCatalogDao catalog = db.jdbi().onDemand(McpCatalogDao.class);
      for (int i = 1; i <= 3; i++) {
        servers.insert(
            new McpServerDefinition(
                "a-silent-" + i, "ten_slow", McpServerDefinition.STREAMABLE_HTTP, "http://127.0.0.1:" + silent.getLocalPort() + "/mcp",
                null, null, null, null, null, null, Duration.ofSeconds(60), Duration.ofSeconds(60), null, null, null, null));
      }
      servers.insert(server("b-good", good.url()));
      try (McpUpstreams upstreams =
          new McpUpstreams(
              db.jdbi(), new McpConnector(new UpstreamCredentials(null, Clock.systemUTC())), new GatehouseMetrics(new CollectorRegistry()),
              LONG, LONG, 3, 2)) {
        upstreams.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (catalog.status("b-good").map(McpServerStatus::state).filter(McpServerStatus.UP::equals).isEmpty()
            && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertThat(catalog.status("b-good")).map(McpServerStatus::state).contains(McpServerStatus.UP);
        assertThat(held).as("the tenant's silent servers were being checked meanwhile").isNotEmpty();
      }
    } finally {
      for (java.net.Socket s : held) {
        s.close();
      }
    }
  }

  @Test
  void aServerThatCannotBeReachedIsMarkedDown() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    try (TestDatabase db = TestDatabase.create()) {
      McpServerDefinition def = server("gone", "http://127.0.0.1:" + closedPort + "/mcp");
      db.jdbi().onDemand(McpServerDao.class).insert(def);
      CollectorRegistry prometheus = new CollectorRegistry();
      try (McpUpstreams upstreams = upstreams(db, prometheus)) {
        assertThat(upstreams.refreshNow("gone")).isFalse();
        McpServerStatus status = db.jdbi().onDemand(McpCatalogDao.class).status("gone").orElseThrow();
        assertThat(status.state()).isEqualTo(McpServerStatus.DOWN);
        assertThat(status.error()).isNotBlank();
        assertThat(prometheus.getSampleValue("gatehouse_mcp_server_up", new String[] {"server"}, new String[] {"gone"}))
            .isEqualTo(0.0);
        assertThatThrownBy(() -> upstreams.client(def))
            .isInstanceOf(McpUnavailableException.class)
            .hasMessageStartingWith("MCP server gone is not reachable: ");
      }
    }
  }
}
