package dev.gatehouse.frontend.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.frontend.app.GatehouseApplication;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code gatehouse dev} the way the README starts it (a separate JVM, no config file): embedded
 * PostgreSQL and Temporal, the demo registry with working tools, the key from the environment or
 * generated and printed; a restart keeps the registry and the task index.
 */
class DevModeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KEY = "gk_dev_test_key_0123456789";
  private static final String ADMIN_KEY = "gka_dev_test_admin_0123456789";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static final String DEMO_PIPELINE =
      """
      {"workflow":"pipeline","input":{"city":"Oslo"},"pipeline":{"steps":[
        {"id":"weather","tool":"demo.weather","args":{"city":"${input.city}"}},
        {"id":"fahrenheit","tool":"demo.convert","args":{"celsius":"${steps.weather.output.tempC}"},"dependsOn":["weather"]},
        {"id":"note","tool":"demo.notes","args":{"text":"${input.city}: ${steps.fahrenheit.output.fahrenheit}F"},"dependsOn":["fahrenheit"]}]}}
      """;

  record Dev(Process process, Path log, int api, int admin, int temporal) {
    String out() throws IOException {
      return Files.readString(log);
    }
  }

  /** The agent task of the README. */
  static final String DEMO_AGENT =
      """
      {"workflow": "agent",
       "input": {"model": "demo-echo", "tools": ["demo.*"],
                 "goal": "call demo_weather {\\"city\\": \\"Oslo\\"}"}}""";

  @Test
  void devModeRunsTheDemoPipelineAndKeepsItsDataAcrossRestarts() throws Exception {
    Path data = Files.createTempDirectory("gatehouse-dev-data");
    Dev first = start(data, "gk_dev_test_key_0123456789", "gka_dev_test_admin_0123456789");
    String id;
    String agentId;
    try {
      assertThat(first.out()).contains("Agent key    gk_dev_test_key_0123456789").contains("(from GATEHOUSE_DEV_KEY)");
      // The admin key printed is one /admin accepts.
      assertThat(first.out()).contains("Admin key    gka_dev_test_admin_0123456789");
      assertThat(get(first, "gka_dev_test_admin_0123456789", "/admin/v1/tenants").statusCode()).isEqualTo(200);
      HttpResponse<String> submit = post(first, "gk_dev_test_key_0123456789", DEMO_PIPELINE);
      assertThat(submit.statusCode()).as(submit.body()).isEqualTo(202);
      id = JSON.readTree(submit.body()).get("id").asText();
      JsonNode task = JSON.readTree(get(first, "gk_dev_test_key_0123456789", "/v1/tasks/" + id + "?wait=20s").body());
      assertThat(task.get("status").asText()).as(task.toString()).isEqualTo("COMPLETED");
      assertThat(task.get("result").get("note").get("text").asText()).startsWith("Oslo: ");
      assertThat(task.get("result").get("note").get("idempotencyKey").asText()).startsWith(id + "/");

      // The README's agent task: the demo model calls the demo tool it is told to, then reads its result.
      HttpResponse<String> agent = post(first, "gk_dev_test_key_0123456789", DEMO_AGENT);
      assertThat(agent.statusCode()).as(agent.body()).isEqualTo(202);
      agentId = JSON.readTree(agent.body()).get("id").asText();
      JsonNode loop = JSON.readTree(get(first, "gk_dev_test_key_0123456789", "/v1/tasks/" + agentId + "?wait=20s").body());
      assertThat(loop.get("status").asText()).as(loop.toString()).isEqualTo("COMPLETED");
      assertThat(loop.get("result").get("stopReason").asText()).isEqualTo("completed");
      assertThat(loop.get("result").get("steps").asInt()).isEqualTo(2);
      assertThat(loop.get("result").get("content").asText()).startsWith("Tool results: {").contains("Oslo");

      assertThat(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + first.admin() + "/healthcheck")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      // The embedded Temporal engine answers on loopback and on no other address.
      assertThat(canConnect(InetAddress.getLoopbackAddress(), first.temporal())).isTrue();
      for (InetAddress other : nonLoopbackAddresses()) {
        assertThat(canConnect(other, first.temporal())).as("Temporal reachable on " + other).isFalse();
      }
    } finally {
      stop(first);
    }

    Dev second = start(data, null, null);
    try {
      Matcher m = Pattern.compile("Agent key    (gk_\\S+)\\s+\\(generated").matcher(second.out());
      assertThat(m.find()).as(second.out()).isTrue();
      String generated = m.group(1);
      JsonNode list = JSON.readTree(get(second, generated, "/v1/tasks?limit=200").body());
      // Keys belong to the demo agent, so the new key sees the task of the first run.
      assertThat(list.get("tasks").toString()).contains(id);
      // The restarted engine lost the first run's workflows; their traces come from the archive,
      // written when the first run stopped (the tasks ended moments before it did).
      for (String task : List.of(id, agentId)) {
        JsonNode trace = JSON.readTree(get(second, generated, "/v1/tasks/" + task + "/trace").body());
        assertThat(trace.path("source").asText()).as(trace.toString()).isEqualTo("archive");
        assertThat(trace.get("steps").size()).isGreaterThanOrEqualTo(3);
      }
      HttpResponse<String> again = post(second, generated, DEMO_PIPELINE);
      assertThat(again.statusCode()).isEqualTo(202);
    } finally {
      stop(second);
    }
  }

  @Test
  void anAdminKeyThatIsNotOneStopsDevModeBeforeItStarts() throws Exception {
    Path data = Files.createTempDirectory("gatehouse-dev-data");
    Path log = Files.createTempFile("gatehouse-dev", ".log");
    Process p = launch(data, null, "gk_not_an_admin_key_0123456789", log);
    assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as("dev mode exited").isTrue();
    String out = Files.readString(log);
    assertThat(p.exitValue()).as(out).isNotZero();
    assertThat(out).contains("GATEHOUSE_DEV_ADMIN_KEY must start with 'gka_'").doesNotContain("Admin key").doesNotContain("Exception");
    // Nothing started: no embedded PostgreSQL was created in the data directory.
    assertThat(data.resolve("postgres")).doesNotExist();
  }

  /**
   * PostgreSQL starts while Dropwizard reads the configuration: a configuration that does not read
   * stops dev mode, and the PostgreSQL started meanwhile stops with it.
   */
  @Test
  void aConfigurationThatDoesNotReadStopsDevModeAndLeavesNoPostgresRunning() throws Exception {
    Path data = Files.createTempDirectory("gatehouse-dev-data");
    Path log = Files.createTempFile("gatehouse-dev", ".log");
    Path config = Files.createTempFile("gatehouse-dev", ".yml");
    Files.writeString(config, "server:\n  noSuchSetting: 1\n");
    Process p = launch(data, KEY, ADMIN_KEY, log, freePort(), freePort(), freePort(), config.toString());
    assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("dev mode exited").isTrue();
    String out = Files.readString(log);
    assertThat(p.exitValue()).as(out).isNotZero();
    assertThat(out).contains("Unrecognized field at: server.noSuchSetting").doesNotContain("Gatehouse is running");
    assertThat(out).as("what is wrong with the file, without a stack trace").doesNotContain("\tat ");
    // It got as far as starting one (the data directory was initialized), and stopped it.
    assertThat(data.resolve("postgres").resolve("PG_VERSION")).exists();
    assertThat(postgresFor(data)).as("postgres left running after a start that failed").isEmpty();
    assertThat(data.resolve("postgres").resolve("postmaster.pid")).doesNotExist();
  }

  /**
   * {@code kill -9} of dev mode: the next start must work the first time, on the same ports, and
   * the embedded PostgreSQL must not outlive the Gatehouse that started it (issue 10, item 14).
   */
  @Test
  void aRestartAfterKillDashNineStartsFirstTimeAndNoPostgresOutlivesGatehouse() throws Exception {
    Path data = Files.createTempDirectory("gatehouse-dev-data");
    Dev first = start(data, KEY, ADMIN_KEY);
    List<ProcessHandle> orphan = postgresFor(data);
    assertThat(orphan).as("the first run's postmaster").hasSize(1);
    // SIGKILL (no shutdown hook runs) to dev mode and to the watchdog it started, so the first
    // postmaster is left running, as it always was before dev mode had a watchdog.
    List<ProcessHandle> watchdogs = first.process().children().toList();
    assertThat(watchdogs).isNotEmpty();
    watchdogs.forEach(ProcessHandle::destroyForcibly);
    first.process().destroyForcibly();
    assertThat(first.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(orphan.get(0).isAlive()).as("left-behind postmaster").isTrue();

    // Restarted at once on the very same ports: up on the first try, and it works.
    Dev second = start(data, KEY, ADMIN_KEY, first.api(), first.admin(), first.temporal());
    try {
      assertThat(orphan.get(0).isAlive()).as("left-behind postmaster").isFalse();
      assertThat(second.out()).contains("Stopping the embedded PostgreSQL (pid " + orphan.get(0).pid() + ")");
      assertThat(postgresFor(data)).as("only the second run's postmaster").hasSize(1);
      HttpResponse<String> submit = post(second, KEY, DEMO_PIPELINE);
      assertThat(submit.statusCode()).as(submit.body()).isEqualTo(202);
      String id = JSON.readTree(submit.body()).get("id").asText();
      JsonNode task = JSON.readTree(get(second, KEY, "/v1/tasks/" + id + "?wait=20s").body());
      assertThat(task.get("status").asText()).as(task.toString()).isEqualTo("COMPLETED");

      // A second dev mode on a data directory in use is refused, and leaves the running one be.
      Path log = Files.createTempFile("gatehouse-dev", ".log");
      Process intruder = launch(data, KEY, ADMIN_KEY, log);
      assertThat(intruder.waitFor(60, TimeUnit.SECONDS)).as("the second dev mode exited").isTrue();
      assertThat(Files.readString(log)).contains("is in use by another running 'gatehouse dev'").doesNotContain("Exception");
      assertThat(postgresFor(data)).hasSize(1);
      assertThat(get(second, KEY, "/v1/tasks/" + id).statusCode()).isEqualTo(200);
    } catch (Throwable t) {
      stop(second);
      throw t;
    }

    // Killed again, its watchdog left alone, and not restarted: its PostgreSQL goes away on its own.
    second.process().destroyForcibly();
    assertThat(second.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!postgresFor(data).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertThat(postgresFor(data)).as("postgres left running after its Gatehouse was killed").isEmpty();

    // And a normal stop leaves none either.
    Dev third = start(data, KEY, ADMIN_KEY);
    stop(third);
    assertThat(third.process().isAlive()).isFalse();
    assertThat(postgresFor(data)).as("postgres left running after a normal stop").isEmpty();
    assertThat(data.resolve("postgres").resolve("postmaster.pid")).doesNotExist();
  }

  /** The postmasters serving {@code data} (its children rewrite their command lines; it does not). */
  private static List<ProcessHandle> postgresFor(Path data) {
    String dir = data.resolve("postgres").toAbsolutePath().toString();
    return ProcessHandle.allProcesses()
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.info().command().map(c -> Path.of(c).getFileName().toString().equals("postgres")).orElse(false))
        .filter(p -> p.info().arguments().map(a -> List.of(a).contains(dir)).orElse(false))
        .toList();
  }

  private static Process launch(Path data, String key, String adminKey, Path log) throws IOException {
    return launch(data, key, adminKey, log, freePort(), freePort(), freePort());
  }

  private static Process launch(Path data, String key, String adminKey, Path log, int api, int admin, int temporal, String... args)
      throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        new java.util.ArrayList<>(
            List.of(java, "-Xmx384m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                GatehouseApplication.class.getName(), "dev", "--data", data.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.remove("GATEHOUSE_DEV_KEY");
    env.remove("GATEHOUSE_DEV_ADMIN_KEY");
    if (key != null) {
      env.put("GATEHOUSE_DEV_KEY", key);
    }
    if (adminKey != null) {
      env.put("GATEHOUSE_DEV_ADMIN_KEY", adminKey);
    }
    env.put("GATEHOUSE_PORT", Integer.toString(api));
    env.put("GATEHOUSE_ADMIN_PORT", Integer.toString(admin));
    env.put("GATEHOUSE_TEMPORAL_PORT", Integer.toString(temporal));
    return pb.start();
  }

  private static Dev start(Path data, String key, String adminKey) throws Exception {
    return start(data, key, adminKey, freePort(), freePort(), freePort());
  }

  private static Dev start(Path data, String key, String adminKey, int api, int admin, int temporal) throws Exception {
    Path log = Files.createTempFile("gatehouse-dev", ".log");
    Dev dev = new Dev(launch(data, key, adminKey, log, api, admin, temporal), log, api, admin, temporal);
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (!dev.out().contains("Gatehouse is running in dev mode")) {
      if (!dev.process().isAlive() || System.nanoTime() > deadline) {
        dev.process().destroyForcibly();
        throw new AssertionError("dev mode did not start:\n" + dev.out());
      }
      Thread.sleep(200);
    }
    return dev;
  }

  private static void stop(Dev dev) throws InterruptedException {
    dev.process().destroy(); // SIGTERM: a clean shutdown that also stops the embedded PostgreSQL
    if (!dev.process().waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
      dev.process().destroyForcibly();
    }
  }

  private static HttpResponse<String> post(Dev dev, String key, String body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + dev.api() + "/v1/tasks"))
            .header("Authorization", "Bearer " + key)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(Dev dev, String key, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + dev.api() + path)).header("Authorization", "Bearer " + key).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * A loopback port free now, for the dev process to bind a moment later. Picked below Linux's
   * ephemeral range (32768 and up), where the kernel would give the same number to any outgoing
   * connection's local end in the meantime (this JVM makes many): the dev process then failed to
   * bind it (seen once in CI).
   */
  private static int freePort() throws IOException {
    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = random.nextInt(20_000, 32_000);
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return s.getLocalPort();
      } catch (IOException taken) {
        // another one
      }
    }
    throw new IOException("no free loopback port between 20000 and 32000");
  }

  private static boolean canConnect(InetAddress address, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address, port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static List<InetAddress> nonLoopbackAddresses() throws IOException {
    List<InetAddress> out = new ArrayList<>();
    for (NetworkInterface nic : java.util.Collections.list(NetworkInterface.getNetworkInterfaces())) {
      for (InetAddress a : java.util.Collections.list(nic.getInetAddresses())) {
        if (!a.isLoopbackAddress() && a instanceof Inet4Address) {
          out.add(a);
        }
      }
    }
    return out;
  }
}
