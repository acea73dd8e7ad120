package dev.gatehouse.frontend.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs the official MCP conformance suite's server scenarios (through {@link NodeTools}) against
 * a Streamable HTTP endpoint, or one of its client scenarios against a client command, and reads
 * what it wrote: one {@code checks.json} per scenario.
 */
public final class ConformanceSuite {

  /** One check of a scenario: SUCCESS, FAILURE, WARNING or INFO. */
  public record Check(String id, String status, String errorMessage, String json) {}

  /**
   * One scenario's checks. It passed when no check failed or warned and at least one succeeded
   * (and, for a client scenario, whose {@code process} is the suite's run, the suite exited 0:
   * it fails a scenario whose client timed out or exited non-zero).
   */
  public record Scenario(String name, List<Check> checks, NodeTools.Result process) {
    public boolean passed() {
      return checks.stream().anyMatch(c -> c.status().equals("SUCCESS"))
          && checks.stream().noneMatch(c -> c.status().equals("FAILURE") || c.status().equals("WARNING"))
          && (process == null || process.ok());
    }

    public java.util.Optional<Check> check(String id) {
      return checks.stream().filter(c -> c.id().equals(id)).findFirst();
    }

    /** The failing and warning checks, and the suite's output when it did not exit 0. */
    public String describe() {
      StringBuilder sb = new StringBuilder(name).append(":\n");
      for (Check c : checks) {
        if (!c.status().equals("SUCCESS") && !c.status().equals("INFO")) {
          sb.append("  ").append(c.status()).append(' ').append(c.id()).append(": ")
              .append(c.errorMessage() == null ? c.json() : c.errorMessage()).append('\n');
        }
      }
      if (process != null && !process.ok()) {
        sb.append("  suite exit ").append(process.exitCode()).append(process.timedOut() ? " (timed out)" : "")
            .append(":\n").append(process.output());
      }
      return sb.toString();
    }

    public long count(String status) {
      return checks.stream().filter(c -> c.status().equals(status)).count();
    }
  }

  /** A whole run: the suite's exit code and output, how many scenarios it announced, the results. */
  public record Report(NodeTools.Result process, int announced, Map<String, Scenario> scenarios) {
    public List<Scenario> failed() {
      return scenarios.values().stream().filter(s -> !s.passed()).toList();
    }

    public long checks(String status) {
      return scenarios.values().stream().mapToLong(s -> s.count(status)).sum();
    }

    /** Every failing scenario with its failing or warning checks, for an assertion message. */
    public String describeFailures() {
      StringBuilder sb = new StringBuilder();
      for (Scenario s : failed()) {
        sb.append(s.name()).append(":\n");
        if (s.checks().isEmpty()) {
          sb.append("  (no checks)\n");
        }
        for (Check c : s.checks()) {
          if (!c.status().equals("SUCCESS") && !c.status().equals("INFO")) {
            sb.append("  ").append(c.status()).append(' ').append(c.id()).append(": ")
                .append(c.errorMessage() == null ? c.json() : c.errorMessage()).append('\n');
          }
        }
      }
      return sb.toString();
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ANNOUNCED = Pattern.compile("Running (\\w+) suite \\((\\d+) scenarios\\)");
  private static final Pattern RESULT_DIR = Pattern.compile("^server-(.+)-\\d{4}-\\d{2}-\\d{2}T[\\d-]+Z$");

  private ConformanceSuite() {}

  /**
   * Runs the active server suite against {@code url}, writing results under {@code outDir}
   * ({@code extraArgs} go to {@code conformance server}, e.g. {@code --scenario ping}).
   */
  public static Report runServer(String url, Path outDir, Duration timeout, String... extraArgs) {
    List<String> command =
        new ArrayList<>(List.of("conformance", "server", "--url", url, "-o", outDir.toString()));
    command.addAll(List.of(extraArgs));
    NodeTools.Result result = NodeTools.run(command, Map.of(), timeout);
    Matcher m = ANNOUNCED.matcher(result.output());
    int announced = m.find() ? Integer.parseInt(m.group(2)) : -1;
    return new Report(result, announced, read(outDir));
  }

  /**
   * Runs one client scenario: the suite starts its server and runs {@code clientCommand} with the
   * server's URL appended (split on spaces, run by a shell, in {@link NodeTools#dir()}; {@code env}
   * is added to its environment). The scenario's checks are read from the {@code checks.json} it
   * wrote under {@code outDir} (which should be empty).
   */
  public static Scenario runClient(
      String scenario, String clientCommand, Map<String, String> env, Path outDir, Duration clientTimeout) {
    List<String> command =
        List.of(
            "conformance", "client", "--scenario", scenario, "--command", clientCommand,
            "--timeout", Long.toString(clientTimeout.toMillis()), "-o", outDir.toString());
    NodeTools.Result result = NodeTools.run(command, env, clientTimeout.plusSeconds(60));
    List<Check> checks = new ArrayList<>();
    try (Stream<Path> files = Files.walk(outDir)) {
      for (Path file : files.filter(f -> f.getFileName().toString().equals("checks.json")).toList()) {
        checks.addAll(checks(file));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Scenario(scenario, checks, result);
  }

  private static List<Check> checks(Path file) throws IOException {
    List<Check> checks = new ArrayList<>();
    for (JsonNode c : JSON.readTree(file.toFile())) {
      checks.add(
          new Check(
              c.path("id").asText(),
              c.path("status").asText(),
              c.hasNonNull("errorMessage") ? c.get("errorMessage").asText() : null,
              c.toString()));
    }
    return checks;
  }

  /** Reads every {@code server-<scenario>-<timestamp>/checks.json} under {@code outDir}. */
  public static Map<String, Scenario> read(Path outDir) {
    Map<String, Scenario> scenarios = new TreeMap<>();
    if (!Files.isDirectory(outDir)) {
      return scenarios;
    }
    try (Stream<Path> dirs = Files.list(outDir)) {
      for (Path dir : dirs.sorted().toList()) {
        Matcher m = RESULT_DIR.matcher(dir.getFileName().toString());
        Path file = dir.resolve("checks.json");
        if (!m.matches() || !Files.isRegularFile(file)) {
          continue;
        }
        scenarios.put(m.group(1), new Scenario(m.group(1), checks(file), null));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return scenarios;
  }
}
