package dev.gatehouse.frontend.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.McpWire;
import dev.gatehouse.frontend.testing.RawHttp;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Thousands of generated malformed and hostile requests against a real Gatehouse (PostgreSQL, the
 * Temporal test server, the worker, a tool upstream, a fake model provider of each type), on every
 * face: the task API, the admin API, MCP, the model faces, the framing under all of them, and the
 * operations port. Every answer must be a refusal or a success, never a 5xx (a 505 for an HTTP
 * version the server does not speak excepted), never a stack trace or a Java name, never a dropped
 * connection; an error must be JSON with a stable code, a 405 must say what is allowed; and after
 * each face the process must still be healthy and serve a valid task to its end.
 *
 * <p>Seeds are fixed, so a run is reproducible; the number of requests per face is jqwik's {@code
 * jqwik.tries.default} (src/test/resources/junit-platform.properties; raise it with {@code
 * -Djqwik.tries.default=20000}). Counts per face and status are printed and written to {@code
 * target/fuzz-report.txt}. See docs/hardening.md.
 */
class HostileRequestsFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int TIMEOUT_MILLIS = 30_000;
  private static final String VALID_TASK =
      "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"w\",\"tool\":\"t.weather\",\"args\":{\"city\":\"Oslo\"}}]}}";

  static TestGatehouse gh;
  static int apiPort;
  static int opsPort;
  static String session;
  /** The models the model faces' probes name most, on a fake provider of each type. */
  static final String MODEL = "fz-model";
  static final String CLAUDE = "fz-claude";
  static FakeProvider provider;
  static final Map<String, Map<Integer, AtomicLong>> COUNTS = new ConcurrentHashMap<>();
  /**
   * {@code -Dgatehouse.fuzz.survey=true}: record every kind of failure and report them all at the
   * end instead of stopping at the first of each face (for finding work, not for CI).
   */
  static final boolean SURVEY = Boolean.getBoolean("gatehouse.fuzz.survey");
  static final Map<String, String> SURVEYED = new ConcurrentHashMap<>();
  static final Map<String, AtomicLong> MILLIS = new ConcurrentHashMap<>();
  static final Map<String, String> SLOWEST = new ConcurrentHashMap<>();

  @BeforeContainer
  static void start() throws Exception {
    gh = TestGatehouse.start(c -> {
      // Bad credentials are part of the mix; the throttle would otherwise turn the rest into 429s.
      c.getAuth().setMaxFailures(1_000_000);
      c.setDemoTools(true);
    });
    apiPort = URI.create(gh.api()).getPort();
    opsPort = URI.create(gh.admin()).getPort();
    session = McpWire.initialize(gh.api() + "/mcp", TestGatehouse.KEY_A);
    provider = new FakeProvider();
    registered(gh.post("/admin/v1/providers", TestGatehouse.ADMIN_KEY,
        "{\"name\":\"fz-openai\",\"type\":\"openai\",\"baseUrl\":\"" + provider.openaiBase() + "\",\"timeout\":\"10s\"}"));
    registered(gh.post("/admin/v1/providers", TestGatehouse.ADMIN_KEY,
        "{\"name\":\"fz-anthropic\",\"type\":\"anthropic\",\"baseUrl\":\"" + provider.anthropicBase() + "\",\"timeout\":\"10s\"}"));
    registered(gh.post("/admin/v1/models", TestGatehouse.ADMIN_KEY,
        "{\"name\":\"" + MODEL + "\",\"targets\":[{\"provider\":\"fz-openai\",\"model\":\"fake-gpt\"}]}"));
    registered(gh.post("/admin/v1/models", TestGatehouse.ADMIN_KEY,
        "{\"name\":\"" + CLAUDE + "\",\"targets\":[{\"provider\":\"fz-anthropic\",\"model\":\"fake-claude\"}]}"));
  }

  private static void registered(java.net.http.HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
  }

  @AfterContainer
  static void stop() throws IOException {
    try {
      String report = report();
      System.out.println(report);
      Path out = Path.of("target", "fuzz-report.txt");
      Files.createDirectories(out.getParent());
      Files.writeString(out, report);
    } finally {
      if (gh != null) {
        gh.close();
      }
      if (provider != null) {
        provider.close();
      }
    }
  }

  @Property(seed = "20260101")
  void tasksFace(@ForAll("tasks") Probe probe) {
    send(probe);
  }

  @Property(seed = "20260102")
  void adminFace(@ForAll("admin") Probe probe) {
    send(probe);
  }

  @Property(seed = "20260103")
  void mcpFace(@ForAll("mcp") Probe probe) {
    send(probe);
  }

  @Property(seed = "20260107")
  void modelFaces(@ForAll("models") Probe probe) {
    send(probe);
  }

  @Property(seed = "20260104")
  void framing(@ForAll("framing") Probe probe) {
    send(probe);
  }

  @Property(seed = "20260105", tries = 500)
  void operationsPort(@ForAll("ops") Probe probe) {
    send(probe);
  }

  @Property(seed = "20260106", tries = 300)
  void demoUpstream(@ForAll("demo") Probe probe) {
    send(probe);
  }

  /** After each face: the process is healthy, and a valid task still runs to its end. */
  @AfterProperty
  void stillHealthy() throws IOException {
    var health = gh.adminGet("/healthcheck");
    assertThat(health.statusCode()).as("health check after the fuzz: " + health.body()).isEqualTo(200);
    JSON.readTree(health.body()).fields().forEachRemaining(check ->
        assertThat(check.getValue().path("healthy").asBoolean()).as("health check " + check.getKey()).isTrue());
    JsonNode task = gh.await(gh.submit(VALID_TASK));
    assertThat(task.path("status").asText()).as(task.toString()).isEqualTo("COMPLETED");
    var list = McpWire.post(gh.api() + "/mcp", TestGatehouse.KEY_A, session, "{\"jsonrpc\":\"2.0\",\"id\":\"h\",\"method\":\"tools/list\"}");
    assertThat(McpWire.message(list.body()).path("result").path("tools").size()).as(list.body()).isPositive();
  }

  @Provide
  Arbitrary<Probe> tasks() {
    return Probes.tasks();
  }

  @Provide
  Arbitrary<Probe> admin() {
    return Probes.admin();
  }

  @Provide
  Arbitrary<Probe> mcp() {
    return Probes.mcp(session);
  }

  @Provide
  Arbitrary<Probe> models() {
    // An OpenAI-type and an Anthropic-type provider: each face's bodies pass through and are translated.
    return net.jqwik.api.Arbitraries.oneOf(Probes.models(MODEL), Probes.models(CLAUDE));
  }

  @Provide
  Arbitrary<Probe> framing() {
    return Probes.framing();
  }

  @Provide
  Arbitrary<Probe> ops() {
    return Probes.ops();
  }

  @Provide
  Arbitrary<Probe> demo() {
    return Probes.demoNotes();
  }

  private static void send(Probe probe) {
    long started = System.nanoTime();
    RawHttp.Answer a = RawHttp.exchange(probe.opsPort() ? opsPort : apiPort, probe.bytes(), TIMEOUT_MILLIS);
    long millis = (System.nanoTime() - started) / 1_000_000;
    MILLIS.computeIfAbsent(probe.face(), f -> new AtomicLong()).addAndGet(millis);
    SLOWEST.merge(probe.face(), millis + " ms: " + probe.what(), (old, now) -> Long.parseLong(old.split(" ")[0]) >= millis ? old : now);
    COUNTS.computeIfAbsent(probe.face(), f -> new ConcurrentHashMap<>()).computeIfAbsent(a.status(), s -> new AtomicLong()).incrementAndGet();
    if (provider.requests().size() > 200) {
      provider.reset(); // the fake keeps every request: keep its memory bounded over thousands of probes
    }
    Statistics.label("status").collect(a.answered() ? a.status() : "no answer");
    try {
      judge(probe, a);
    } catch (AssertionError e) {
      if (!SURVEY) {
        throw e;
      }
      String kind = probe.face() + " " + a.status() + " " + e.getMessage().lines().findFirst().orElse("").replaceAll("req_[0-9a-f]+", "req_");
      SURVEYED.computeIfAbsent(kind.substring(0, Math.min(kind.length(), 200)), k -> e.getMessage());
    }
  }

  /** What every answer to a hostile request must be. */
  static void judge(Probe probe, RawHttp.Answer a) {
    String body = a.bodyText();
    String context = "answer " + a.status() + " " + body.substring(0, Math.min(600, body.length())) + "\nto " + probe;
    assertThat(a.answered()).as("an answer to " + probe + ": " + a.failure()).isTrue();
    boolean versionRefusal = a.status() == 505;
    assertThat(a.status() < 500 || versionRefusal).as("no 5xx: " + context).isTrue();
    boolean head = probe.what().startsWith("HEAD ");
    if (a.status() >= 400 || !probe.opsPort()) {
      assertThat(Hostile.leaks(body)).as("no Java names or stack frames: " + context).isFalse();
    }
    if (a.status() >= 400 && !head) {
      assertThat(a.header("Content-Type")).as("a JSON error: " + context).startsWith("application/json");
      JsonNode error;
      try {
        error = JSON.readTree(body).path("error");
      } catch (IOException e) {
        throw new AssertionError("an error that is not JSON: " + context, e);
      }
      String code = error.path("data").path("code").asText(error.path("code").asText(""));
      assertThat(code).as("a stable code: " + context).matches("[a-z][a-z0-9_]*");
      if (versionRefusal) {
        assertThat(code).as(context).isEqualTo("http_version_not_supported");
      }
    }
    if (a.status() == 405) {
      assertThat(a.header("Allow")).as("Allow on a 405: " + context).isNotBlank();
    }
  }

  private static String report() {
    StringBuilder b = new StringBuilder("Hostile requests per face and status\n");
    long total = 0;
    for (var face : new TreeMap<>(COUNTS).entrySet()) {
      long n = face.getValue().values().stream().mapToLong(AtomicLong::get).sum();
      total += n;
      b.append(String.format("  %-8s %6d  ", face.getKey(), n));
      new TreeMap<>(face.getValue()).forEach((status, count) -> b.append(status == 0 ? "none" : status).append('=').append(count.get()).append(' '));
      b.append(String.format("(%d ms in all; slowest %s)%n", MILLIS.getOrDefault(face.getKey(), new AtomicLong()).get(), SLOWEST.get(face.getKey())));
    }
    b.append(String.format("  %-8s %6d%n", "total", total));
    if (SURVEY) {
      b.append("Survey: ").append(SURVEYED.size()).append(" kinds of failure\n");
      new TreeMap<>(SURVEYED).forEach((kind, example) -> b.append("---- ").append(kind).append('\n').append(example).append('\n'));
    }
    return b.toString();
  }

  static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
