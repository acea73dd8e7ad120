package dev.gatehouse.frontend.core.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.registry.Ids;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.agents.Permissions;
import dev.gatehouse.registry.keys.ApiKeyDao;
import dev.gatehouse.registry.keys.ApiKeys;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlLogger;
import org.jdbi.v3.core.statement.StatementContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The credential cache: concurrent requests with one credential share one registry lookup. */
class AuthenticatorTest {
  private static final int THREADS = 16;

  private TestDatabase db;
  private String agentId;
  private String agentKey;
  /** Statements the authenticator's own Jdbi ran; each is slowed so concurrent requests overlap. */
  private final AtomicInteger statements = new AtomicInteger();
  private Jdbi counted;

  @BeforeEach
  void start() {
    db = TestDatabase.create();
    Jdbi jdbi = db.jdbi();
    String tenant = Ids.newId("ten");
    jdbi.onDemand(TenantDao.class).insert(tenant, "t");
    agentId = Ids.newId("agt");
    jdbi.onDemand(AgentDao.class).insert(new Agent(agentId, tenant, "a", null, Permissions.ALL, null, null));
    agentKey = ApiKeys.issue(ApiKeys.AGENT_KIND).key();
    jdbi.onDemand(ApiKeyDao.class)
        .insertAgentKey(ApiKeys.idOf(agentKey), agentId, ApiKeys.prefixOf(agentKey), ApiKeys.hash(agentKey), null);
    counted = db.jdbi();
    counted.setSqlLogger(
        new SqlLogger() {
          @Override
          public void logBeforeExecution(StatementContext context) {
            statements.incrementAndGet();
            try {
              Thread.sleep(200); // a slow registry: every request arrives while the first one's lookup runs
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        });
  }

  @AfterEach
  void stop() {
    db.close();
  }

  @Test
  void concurrentRequestsWithOneCredentialShareOneLookup() throws Exception {
    Authenticator alone = new Authenticator(counted, Duration.ofMinutes(1));
    assertThat(((Caller.AgentCaller) alone.authenticate(agentKey)).agent().id()).isEqualTo(agentId);
    int perLookup = statements.getAndSet(0);
    assertThat(perLookup).isPositive();

    Authenticator shared = new Authenticator(counted, Duration.ofMinutes(1));
    List<Object> answers = together(() -> shared.authenticate(agentKey), THREADS);
    assertThat(answers).hasSize(THREADS).allSatisfy(a -> assertThat(((Caller.AgentCaller) a).agent().id()).isEqualTo(agentId));
    assertThat(statements.get()).isEqualTo(perLookup);
    // Cached afterwards: no lookup at all.
    shared.authenticate(agentKey);
    assertThat(statements.get()).isEqualTo(perLookup);
    // After an invalidation the next request looks the credential up again.
    shared.invalidate();
    shared.authenticate(agentKey);
    assertThat(statements.get()).isEqualTo(2 * perLookup);
  }

  @Test
  void aRefusalIsSharedByTheRequestsThatWaitedForItAndNotCached() throws Exception {
    String unknown = ApiKeys.issue(ApiKeys.AGENT_KIND).key();
    Authenticator shared = new Authenticator(counted, Duration.ofMinutes(1));
    assertThat(together(() -> shared.authenticate(unknown), 1)).singleElement().isInstanceOf(AuthenticationException.class);
    int perLookup = statements.getAndSet(0);
    assertThat(perLookup).isPositive();
    // Refusals are not cached, so each round looks the credential up again: once.
    for (int round = 1; round <= 2; round++) {
      List<Object> answers = together(() -> shared.authenticate(unknown), THREADS);
      assertThat(answers).hasSize(THREADS).allSatisfy(a -> assertThat(a).isInstanceOf(AuthenticationException.class));
      assertThat(statements.get()).isEqualTo(round * perLookup);
    }
  }

  @Test
  void aLookupThatFailsWithAnErrorDoesNotLeaveTheRequestsThatWaitedForItWaiting() throws Exception {
    Jdbi failing = db.jdbi();
    failing.setSqlLogger(
        new SqlLogger() {
          @Override
          public void logBeforeExecution(StatementContext context) {
            try {
              Thread.sleep(200); // every request arrives while the first one's lookup runs
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            throw new LookupError();
          }
        });
    Authenticator shared = new Authenticator(failing, Duration.ofMinutes(1));
    List<Object> answers = together(() -> shared.authenticate(agentKey), THREADS);
    // The lookup's own request fails with the Error; the others with a failure of their own, at once.
    assertThat(answers).hasSize(THREADS).allSatisfy(a -> assertThat(a).isInstanceOfAny(LookupError.class, IllegalStateException.class));
    assertThat(answers).filteredOn(a -> a instanceof IllegalStateException).isNotEmpty();
  }

  /** What a lookup may throw besides an exception: an Error (out of memory, a class that failed to load). */
  private static final class LookupError extends Error {}

  private interface Attempt {
    Object run() throws Exception;
  }

  /** {@code n} requests released at once; each one's answer or exception. */
  private static List<Object> together(Attempt attempt, int n) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Object>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        futures.add(
            pool.submit(
                () -> {
                  go.await();
                  try {
                    return attempt.run();
                  } catch (Exception | LookupError e) {
                    return e;
                  }
                }));
      }
      go.countDown();
      List<Object> answers = new ArrayList<>();
      for (Future<Object> f : futures) {
        answers.add(f.get(30, TimeUnit.SECONDS));
      }
      return answers;
    } finally {
      pool.shutdownNow();
    }
  }
}
