package dev.gatehouse.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.activities.credentials.UpstreamCredentials;
import dev.gatehouse.activities.http.HttpToolConnector;
import dev.gatehouse.activities.mcp.McpConnector;
import dev.gatehouse.activities.mcp.McpToolCalls;
import dev.gatehouse.activities.mcp.McpToolResolver;
import dev.gatehouse.activities.mcp.McpUpstreams;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.activities.policy.BudgetLedger;
import dev.gatehouse.activities.policy.PolicyCatalog;
import dev.gatehouse.activities.tool.CallContext;
import dev.gatehouse.activities.tool.ToolCall;
import dev.gatehouse.activities.tool.ToolCatalog;
import dev.gatehouse.activities.tool.ToolInvoker;
import dev.gatehouse.policies.data.CallKind;
import dev.gatehouse.policies.data.CompiledPolicy;
import dev.gatehouse.policies.data.PolicySet;
import dev.gatehouse.policies.tools.ToolArgumentsPolicy;
import dev.gatehouse.registry.agents.AccessList;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.agents.Permissions;
import dev.gatehouse.registry.limits.RateBucketStatements;
import dev.gatehouse.registry.policies.PolicyDao;
import dev.gatehouse.registry.policies.PolicyDefinition;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.tools.HttpEndpoint;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolCallResult;
import io.prometheus.client.CollectorRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What the policy chain costs a governed tool call on the direct path (issue 14's overhead goal).
 * {@code paired} times four kinds of work, one of each per invocation in an order that turns by
 * one each time, so they share every moment of the run and their differences are paired:
 *
 * <ul>
 *   <li>plain: an HTTP tool called through {@link ToolInvoker} on loopback with no policy
 *       governing it (resolve, authorize, validate, the call, audit, metrics);
 *   <li>redacted: the same call to a tool governed by a PII policy alone, which redacts the e-mail
 *       addresses in its arguments and its result: the chain's work in the process, end to end,
 *       with no round trip;
 *   <li>governed: the same call to a tool governed by a rate limit, a budget (the tool declares a
 *       cost) and that PII policy;
 *   <li>round trips: the database statements those two policies make per call, alone (the rate
 *       limit's take, the budget's reserve and settle).
 * </ul>
 *
 * {@code redacted - plain} is what the chain adds in the process; {@code governed - plain - round
 * trips} what it adds besides the round trips as they cost alone. Each kind's wall time and the
 * benchmark thread's CPU time (no waiting for PostgreSQL or the upstream) are counted apart
 * ({@link Kinds}). {@code policyInProcess} times the policies' own work directly: finding the
 * governing entries of each kind and redacting the arguments and the result. Needs the PostgreSQL
 * at 127.0.0.1:5432 (or GATEHOUSE_BENCH_PG_URL, user GATEHOUSE_BENCH_PG_USER); it creates and
 * drops its own database.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PolicyChainBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** What the tool answers: a small record with an e-mail address the PII policy redacts. */
  private static final byte[] ANSWER =
      "{\"ticket\":\"T-1001\",\"status\":\"open\",\"owner\":\"alice@example.com\",\"summary\":\"Printer on floor 3 is jammed again\"}"
          .getBytes(StandardCharsets.UTF_8);

  private BenchDatabase db;
  private HttpServer upstream;
  private McpUpstreams mcpUpstreams;
  private AuditLog audit;
  private BudgetLedger ledger;
  private ToolInvoker invoker;
  private RateBucketStatements buckets;
  private PolicySet policies;
  private JsonNode args;
  private JsonNode answer;
  private ToolCall plain;
  private ToolCall redacted;
  private ToolCall governed;

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /**
   * Per kind of call in {@link #paired}, summed over an iteration (JMH reports the sums; per call
   * is a sum over its count): wall time, the benchmark thread's CPU time (no waiting for
   * PostgreSQL or the upstream), and of each the part spent holding a database connection ({@link
   * BenchDatabase#heldNanos}: the round trips, with the driver's and Jdbi's work on them).
   */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Kinds {
    public long plainNanos;
    public long plainCpu;
    public long plainDb;
    public long plainDbCpu;
    public long plainCalls;
    public long redactedNanos;
    public long redactedCpu;
    public long redactedDb;
    public long redactedDbCpu;
    public long redactedCalls;
    public long governedNanos;
    public long governedCpu;
    public long governedDb;
    public long governedDbCpu;
    public long governedCalls;
    public long roundTripsNanos;
    public long roundTripsCpu;
    public long roundTripsDb;
    public long roundTripsDbCpu;
    public long roundTripsCalls;
    int next;

    @Setup(Level.Iteration)
    public void reset() {
      plainNanos = plainCpu = plainDb = plainDbCpu = plainCalls = 0;
      redactedNanos = redactedCpu = redactedDb = redactedDbCpu = redactedCalls = 0;
      governedNanos = governedCpu = governedDb = governedDbCpu = governedCalls = 0;
      roundTripsNanos = roundTripsCpu = roundTripsDb = roundTripsDbCpu = roundTripsCalls = 0;
    }
  }

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    db = BenchDatabase.createTimed();
    Jdbi jdbi = db.jdbi();

    // Without TCP_NODELAY the JDK server's header and body segments meet the client's delayed ACK: 40 ms a call.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    upstream.createContext("/ticket", ex -> {
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, ANSWER.length);
      ex.getResponseBody().write(ANSWER);
      ex.close();
    });
    upstream.start();
    String url = "http://127.0.0.1:" + upstream.getAddress().getPort() + "/ticket";

    jdbi.onDemand(TenantDao.class).insert("ten_b", "bench");
    jdbi.onDemand(AgentDao.class).insert(
        new Agent("agt_b", "ten_b", "bench-agent", null, new Permissions(new AccessList(List.of("*"), List.of()), null, null), null, null));
    ToolDao tools = jdbi.onDemand(ToolDao.class);
    RetrySpec once = new RetrySpec(1, Duration.ofMillis(5), 2.0, Duration.ofMillis(5));
    for (String name : List.of("b.plain", "b.redacted", "b.governed")) {
      tools.insert(new ToolDefinition(
          name, "", new HttpEndpoint("GET", url, Map.of()), null, Duration.ofSeconds(5), once, "ten_b", null, null, new BigDecimal("0.001")));
    }
    PolicyDefinition.AppliesTo governedOnly = new PolicyDefinition.AppliesTo(null, List.of("b.governed"), null);
    PolicyDefinition.AppliesTo piiTools = new PolicyDefinition.AppliesTo(null, List.of("b.governed", "b.redacted"), null);
    PolicyDao dao = jdbi.onDemand(PolicyDao.class);
    // Limits no benchmark run reaches: every call is admitted, and every call makes its round trips.
    dao.insert(new PolicyDefinition("bench-rpm", "ten_b", PolicyDefinition.RATE_LIMIT, governedOnly,
        new PolicyDefinition.RateLimit(1_000_000_000, null, "agent"), null, null, null, null));
    dao.insert(new PolicyDefinition("bench-budget", "ten_b", PolicyDefinition.BUDGET, governedOnly, null,
        new PolicyDefinition.Budget(null, new BigDecimal("1000000000"), "month", "agent"), null, null, null));
    dao.insert(new PolicyDefinition("bench-pii", "ten_b", PolicyDefinition.PII, piiTools, null, null,
        new PolicyDefinition.Pii("redact", List.of(), List.of(), List.of()), null, null));

    GatehouseMetrics metrics = new GatehouseMetrics(new CollectorRegistry());
    audit = new AuditLog(jdbi, 10_000, Duration.ofMillis(200));
    UpstreamCredentials credentials = new UpstreamCredentials(null, Clock.systemUTC());
    McpConnector connector = new McpConnector(credentials);
    mcpUpstreams = new McpUpstreams(jdbi, connector, metrics, Duration.ofMinutes(1), Duration.ofMinutes(1));
    ledger = new BudgetLedger(jdbi, BudgetLedger.DEFAULT_RESERVATION_TTL, metrics);
    // The caches as a server has them: tools and policies read once per 2 s, not per call.
    invoker = new ToolInvoker(
        jdbi, new ToolCatalog(jdbi, Duration.ofSeconds(2)), new ToolArgumentsPolicy(65_536), new HttpToolConnector(1 << 20), credentials,
        metrics, audit, new McpToolResolver(jdbi, Duration.ofSeconds(2)), new McpToolCalls(mcpUpstreams, connector),
        new PolicyCatalog(jdbi), ledger);
    buckets = new RateBucketStatements(jdbi);
    policies = PolicySet.of(dao.governing("ten_b"));

    args = JSON.readTree("{\"ticket\":\"T-1001\",\"note\":\"call me at bob@example.org\"}");
    answer = JSON.readTree(ANSWER);
    Caller caller = new Caller("ten_b", "agt_b", List.of());
    plain = ToolCall.of("b.plain", args, caller, new CallContext(null, null, 1));
    redacted = ToolCall.of("b.redacted", args, caller, new CallContext(null, null, 1));
    governed = ToolCall.of("b.governed", args, caller, new CallContext(null, null, 1));
    // The redaction really happens (a benchmark of a policy that does nothing would flatter it).
    for (ToolCall c : List.of(redacted, governed)) {
      String out = JSON.writeValueAsString(invoker.invoke(c).output());
      if (!out.contains("[EMAIL]") || out.contains("alice@")) {
        throw new IllegalStateException("the " + c.tool() + " call was not redacted: " + out);
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    ledger.close();
    audit.close();
    mcpUpstreams.close();
    upstream.stop(0);
    db.close();
  }

  /**
   * One of each, timed apart, in an order that turns by one every invocation: a plain call, a
   * redacted call, a governed call and the governed call's round trips alone. The four share every
   * moment of the run (the machine's other load, PostgreSQL's checkpoints and vacuums, the JIT), so
   * their differences are not the drift between rows measured one after another.
   */
  @Benchmark
  public void paired(Kinds k, Blackhole bh) {
    int first = k.next;
    k.next = (first + 1) % 4;
    for (int i = 0; i < 4; i++) {
      long db = BenchDatabase.heldNanos();
      long dbCpu = BenchDatabase.heldCpuNanos();
      long wall = System.nanoTime();
      long cpu = THREADS.getCurrentThreadCpuTime();
      int kind = (first + i) % 4;
      bh.consume(
          switch (kind) {
            case 0 -> invoker.invoke(plain);
            case 1 -> invoker.invoke(redacted);
            case 2 -> invoker.invoke(governed);
            default -> roundTrips();
          });
      cpu = THREADS.getCurrentThreadCpuTime() - cpu;
      wall = System.nanoTime() - wall;
      db = BenchDatabase.heldNanos() - db;
      dbCpu = BenchDatabase.heldCpuNanos() - dbCpu;
      switch (kind) {
        case 0 -> {
          k.plainNanos += wall;
          k.plainCpu += cpu;
          k.plainDb += db;
          k.plainDbCpu += dbCpu;
          k.plainCalls++;
        }
        case 1 -> {
          k.redactedNanos += wall;
          k.redactedCpu += cpu;
          k.redactedDb += db;
          k.redactedDbCpu += dbCpu;
          k.redactedCalls++;
        }
        case 2 -> {
          k.governedNanos += wall;
          k.governedCpu += cpu;
          k.governedDb += db;
          k.governedDbCpu += dbCpu;
          k.governedCalls++;
        }
        default -> {
          k.roundTripsNanos += wall;
          k.roundTripsCpu += cpu;
          k.roundTripsDb += db;
          k.roundTripsDbCpu += dbCpu;
          k.roundTripsCalls++;
        }
      }
    }
  }

  /** The governed call's shared round trips alone: the rate limit's take, the budget's reserve and its settle. */
  private Object roundTrips() {
    buckets.takeAll(new String[] {"rl:bench-rpm:r:agent:agt_b"}, new double[] {1e9}, new double[] {1e9 / 60}, new double[] {1});
    BudgetLedger.Reservation r =
        ledger.reserve("bench-budget", "agent:agt_b", "month", "ten_b", null, new BigDecimal("1000000000"), 0, new BigDecimal("0.001"));
    ledger.settle(r.id(), 0, new BigDecimal("0.001"));
    return r;
  }

  /** The policies' work in the process alone: the governing entries of each kind, and PII on the arguments and the result. */
  @Benchmark
  public Object policyInProcess() {
    int n = policies.governing(PolicyDefinition.RATE_LIMIT, "bench-agent", CallKind.TOOL, "b.governed").size()
        + policies.governing(PolicyDefinition.BUDGET, "bench-agent", CallKind.TOOL, "b.governed").size()
        + policies.governing(PolicyDefinition.GUARDRAIL, "bench-agent", CallKind.TOOL, "b.governed").size();
    JsonNode out = null;
    for (CompiledPolicy p : policies.governing(PolicyDefinition.PII, "bench-agent", CallKind.TOOL, "b.governed")) {
      p.pii().check(args);
      out = p.pii().check(answer).tree();
    }
    return n + (out == null ? 0 : out.size());
  }
}
