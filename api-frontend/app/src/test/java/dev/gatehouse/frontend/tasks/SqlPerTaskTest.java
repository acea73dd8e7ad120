package dev.gatehouse.frontend.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.frontend.testing.TestGatehouse;
import java.sql.SQLException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.statement.SqlLogger;
import org.jdbi.v3.core.statement.StatementContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How many SQL statements a pipeline task costs, end to end (submit, the worker running its three
 * steps, the long poll that reads its result, the audit rows): counted at the application's own
 * Jdbi, so every part of the process is seen. Guards against statements creeping back in.
 */
class SqlPerTaskTest {
  private static final String PIPELINE =
      "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":["
          + "{\"id\":\"s1\",\"tool\":\"t.echo\",\"args\":{\"v\":1}},"
          + "{\"id\":\"s2\",\"tool\":\"t.echo\",\"args\":{\"v\":\"${steps.s1.output.got.v}\"},\"dependsOn\":[\"s1\"]},"
          + "{\"id\":\"s3\",\"tool\":\"t.echo\",\"args\":{\"v\":\"${steps.s2.output.got.v}\"},\"dependsOn\":[\"s2\"]}]}}";
  private static final int TASKS = 10;

  static TestGatehouse gh;
  static final Map<String, AtomicInteger> statements = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    // Caches that outlive the test and no background sweeps: what is counted is the tasks' own.
    gh =
        TestGatehouse.start(
            c -> {
              c.getCaches().setCredentials(io.dropwizard.util.Duration.hours(1));
              c.getCaches().setTools(io.dropwizard.util.Duration.hours(1));
              // Read by every call since rate limits apply (a map lookup; the tenant's entries reread per TTL).
              c.getCaches().setPolicies(io.dropwizard.util.Duration.hours(1));
              c.getTasks().setSweepInterval(io.dropwizard.util.Duration.hours(1));
              // The MCP health tick lists the servers every 15 s by default.
              c.getMcp().setHealthInterval(io.dropwizard.util.Duration.hours(1));
            });
    gh.application().jdbi().setSqlLogger(new SqlLogger() {
      @Override
      public void logAfterExecution(StatementContext ctx) {
        count(ctx);
      }

      @Override
      public void logException(StatementContext ctx, SQLException ex) {
        count(ctx);
      }

      private void count(StatementContext ctx) {
        String sql = ctx.getRenderedSql().strip().replaceAll("\\s+", " ");
        statements.computeIfAbsent(sql.length() > 90 ? sql.substring(0, 90) : sql, k -> new AtomicInteger()).incrementAndGet();
      }
    });
  }

  @AfterAll
  static void stop() {
    gh.close();
  }

  @Test
  void aPipelineTaskCostsAFewStatements() throws Exception {
    // Warm the caches (credentials, tools, policies) first; then count TASKS tasks.
    gh.await(gh.submit(PIPELINE));
    gh.application().audit().flush();
    statements.clear();
    long auditBatches = gh.application().audit().batchesWritten();
    for (int i = 0; i < TASKS; i++) {
      assertThat(gh.await(gh.submit(PIPELINE)).path("status").asText()).isEqualTo("COMPLETED");
    }
    gh.application().audit().flush();
    int total = statements.values().stream().mapToInt(AtomicInteger::get).sum();
    System.out.printf(
        "SQL statements for %d pipeline tasks: %d (%.1f per task), and %d audit batch(es)%n",
        TASKS, total, total / (double) TASKS, gh.application().audit().batchesWritten() - auditBatches);
    new TreeMap<>(statements).forEach((sql, n) -> System.out.printf("  %5.1f  %s%n", n.get() / (double) TASKS, sql));
    // Per task: the index row's INSERT, the admission count, the row's close (written by the
    // workflow), the GET's ownership read, and the agent as it is now for each of the 3 steps
    // (a step runs with the agent's current permissions). Keys and tool definitions come from
    // caches; audit rows are written in batches off the request path.
    assertThat(total).isLessThanOrEqualTo(TASKS * 7);
    // Each statement is named after its DAO method (in logs and pg_stat_activity).
    assertThat(statements.keySet()).allMatch(sql -> sql.matches("/\\* \\w+\\.\\w+ \\*/ .*"), "named");
  }
}
