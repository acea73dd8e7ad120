package dev.gatehouse.frontend.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.registry.testing.TestDatabase;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A start that cannot go on says why in one line on stderr that names the setting, and exits 1. A
 * probe's starts printed 50 to 140 lines of stack traces for each: an engine that cannot be reached
 * (three traces, the last from stopping what had not started), a database that cannot be used, a
 * registry file that is not there, request threads this Java cannot give, TLS files that are not
 * there, a port already taken. Real PostgreSQL; nothing listens at the engine's address.
 */
class StartFailuresTest {
  private static TestDatabase db;

  @BeforeAll
  static void open() {
    db = TestDatabase.create();
  }

  @AfterAll
  static void close() {
    db.close();
  }

  /** A configuration for {@code server}, on ports of its own, with {@code extra} settings after it. */
  private static Path config(String url, int port, String extra) throws Exception {
    return Files.writeString(
        Files.createTempFile("gatehouse-start", ".yml"),
        """
        database:
          driverClass: org.postgresql.Driver
          url: %s
          user: %s
          password: "%s"
        server:
          applicationConnectors: [{type: http, port: %d, bindHost: 127.0.0.1}]
          adminConnectors: [{type: http, port: 0, bindHost: 127.0.0.1}]
        logging:
          level: WARN
        secrets:
          masterKeys: {k1: "MASTERK3Yb64AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}
        temporal:
          target: "127.0.0.1:1"
        """
            .formatted(url, TestDatabase.USER, TestDatabase.PASSWORD, port)
            + extra);
  }

  private static String refused(Path config) throws Exception {
    String[] run = CliRuns.fails("server", config.toString());
    assertThat(run[1]).as(run[1]).doesNotContain("\tat ").doesNotContain("Exception:");
    assertThat(run[1].strip().lines()).as(run[1]).hasSize(1);
    assertThat(run[0]).as("nothing logged with a stack trace").doesNotContain("! at ");
    // What the start had begun is stopped: a test's JVM runs on, and those threads went on querying
    // this class's database after it was dropped (another test then saw their errors).
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    while (running("mcp-upstreams", "budget-sweeper") && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(running("mcp-upstreams", "budget-sweeper")).as("the MCP servers' checks and the budget sweeper stopped").isFalse();
    return run[1].strip();
  }

  private static boolean running(String... names) {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.isAlive() && java.util.Arrays.stream(names).anyMatch(n -> t.getName().equals(n)));
  }

  @Test
  void anEngineThatCannotBeReachedIsNamed() throws Exception {
    assertThat(refused(config(db.url(), 0, "")))
        .startsWith("server: the worker cannot start: the Temporal engine at 127.0.0.1:1, namespace default (temporal.target,"
            + " temporal.namespace): UNAVAILABLE");
  }

  @Test
  void aDatabaseThatCannotBeUsedIsNamedWithoutItsPassword() throws Exception {
    String missing = db.url().replaceAll("/[^/?]+(\\?|$)", "/gatehouse_no_such_database$1");
    assertThat(refused(config(missing, 0, "")))
        .startsWith("server: cannot use the database at ")
        .contains("(database.url, user, password)")
        .contains("gatehouse_no_such_database");
  }

  @Test
  void aRegistryFileThatIsNotThereIsNamed() throws Exception {
    Path gone = Files.createTempDirectory("gatehouse-registry").resolve("gone.yml");
    assertThat(refused(config(db.url(), 0, "registryFile: " + gone + "\n"))).isEqualTo("server: registryFile " + gone + ": no such file");
  }

  @Test
  void requestThreadSettingsThatDisagreeAreNamed() throws Exception {
    Path both = config(db.url(), 0, "requestThreads: platform\n");
    Files.writeString(both, Files.readString(both).replace("server:\n", "server:\n  enableVirtualThreads: true\n"));
    assertThat(refused(both)).isEqualTo("server: requestThreads: platform and server.enableVirtualThreads: true disagree; set one of them");
  }

  @Test
  void tlsFilesThatAreNotThereAreNamed() throws Exception {
    Path dir = Files.createTempDirectory("gatehouse-tls");
    String tls = "  tls: {enabled: true, certChain: " + dir.resolve("cert.pem") + ", privateKey: " + dir.resolve("key.pem") + "}\n";
    Path withTls = config(db.url(), 0, "");
    Files.writeString(withTls, Files.readString(withTls).replace("  target: \"127.0.0.1:1\"\n", "  target: \"127.0.0.1:1\"\n" + tls));
    assertThat(refused(withTls)).startsWith("server: temporal.tls: cannot read " + dir.resolve("cert.pem"));
  }

  @Test
  void aPortAlreadyTakenIsNamed() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      // No worker: the engine, which cannot be reached here, is not what stops this start.
      assertThat(refused(config(db.url(), taken.getLocalPort(), "worker:\n  enabled: false\n")))
          .startsWith("server: cannot listen on a port of server.applicationConnectors or server.adminConnectors: ")
          .contains("Address already in use");
    }
  }
}
