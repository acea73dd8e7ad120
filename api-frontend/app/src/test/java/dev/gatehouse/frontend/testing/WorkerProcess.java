package dev.gatehouse.frontend.testing;

import dev.gatehouse.frontend.app.GatehouseApplication;
import dev.gatehouse.registry.testing.TestDatabase;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@code gatehouse worker} in a separate JVM, for tests that kill it. */
public final class WorkerProcess implements AutoCloseable {
  private final Process process;
  public final Path log;

  private WorkerProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  public static WorkerProcess start(TestDatabase db, String temporalTarget, String name) throws IOException {
    Path dir = Files.createDirectories(Path.of("target", "worker-processes"));
    Path config = dir.resolve(name + ".yml");
    Files.writeString(
        config,
        """
        server:
          adminConnectors: [{type: http, bindHost: 127.0.0.1, port: 0}]
          requestLog: {appenders: []}
        database:
          driverClass: org.postgresql.Driver
          url: %s
          user: %s
          password: "%s"
        migrateOnStart: false
        temporal:
          target: %s
        worker:
          # Temporal's test server never times out a sticky task queue whose worker died (a real
          # cluster hands the task to another worker after this timeout), so these workers use none.
          stickyQueueScheduleToStartTimeout: 0s
        logging:
          level: INFO
        """
            .formatted(db.url(), TestDatabase.USER, TestDatabase.PASSWORD, temporalTarget));
    Path log = dir.resolve(name + ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                List.of(
                    java,
                    "-Xmx256m",
                    "-XX:TieredStopAtLevel=1",
                    "-cp",
                    System.getProperty("java.class.path"),
                    GatehouseApplication.class.getName(),
                    "worker",
                    config.toString()))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    return new WorkerProcess(p, log);
  }

  public long pid() {
    return process.pid();
  }

  /** SIGKILL: no shutdown hooks, no graceful worker stop. */
  public void kill() throws Exception {
    new ProcessBuilder("kill", "-KILL", Long.toString(process.pid())).inheritIO().start().waitFor();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }

  public String logText() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  static {
    // Make sure the log directory exists even when run from another working directory.
    new File("target").mkdirs();
  }
}
