package dev.gatehouse.frontend.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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

  /** The cache keeps an answer for a minute, but never past the key's own expiry, an admin key's too. */
  @Test
  void anAdminKeyStopsAtItsExpiryThoughItsAnswerIsCached() throws Exception {
    String adminKey = ApiKeys.issue(ApiKeys.ADMIN_KIND).key();
    java.time.OffsetDateTime expiry = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(2).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    db.jdbi().onDemand(ApiKeyDao.class)
        .insertAdminKey(ApiKeys.idOf(adminKey), null, "short", ApiKeys.prefixOf(adminKey), ApiKeys.hash(adminKey), expiry);
    Authenticator cached = new Authenticator(db.jdbi(), Duration.ofMinutes(1));
    Caller caller = cached.authenticate(adminKey);
    assertThat(caller).isInstanceOf(Caller.AdminCaller.class);
    assertThat(caller.expiresAt()).isEqualTo(expiry.toInstant());

    while (java.time.OffsetDateTime.now().isBefore(expiry.plusNanos(50_000_000))) {
      Thread.sleep(50);
    }
    assertThatThrownBy(() -> cached.authenticate(adminKey))
        .isInstanceOf(AuthenticationException.class)
        .hasMessage("the key has expired");
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

  @Test
  void aCredentialInUseIsLookedUpAgainBeforeItsAnswerExpiresWhileItsOtherRequestsKeepTheAnswer() throws Exception {
    AtomicLong clock = new AtomicLong(1_000_000_000L);
    Gate gate = new Gate();
    Authenticator auth = gate.authenticator(clock);
    gate.open();
    auth.authenticate(agentKey);
    int perLookup = gate.statements.getAndSet(0);
    assertThat(perLookup).isPositive();
    clock.addAndGet(Duration.ofSeconds(2).toNanos()); // half the TTL: answered from the cache
    auth.authenticate(agentKey);
    assertThat(gate.statements.get()).isZero();

    clock.addAndGet(Duration.ofMillis(1200).toNanos()); // 3.2 s of 4: due to be looked up again
    gate.close();
    ExecutorService pool = Executors.newFixedThreadPool(9);
    try {
      Future<Caller> renewing = pool.submit(() -> auth.authenticate(agentKey));
      assertThat(gate.entered.await(10, TimeUnit.SECONDS)).isTrue();
      // Its lookup is held at the registry; every other request is answered from the cache meanwhile
      // (had they waited for that lookup, none of them would answer before the gate opens).
      List<Future<Caller>> others = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        others.add(pool.submit(() -> auth.authenticate(agentKey)));
      }
      for (Future<Caller> other : others) {
        assertThat(((Caller.AgentCaller) other.get(10, TimeUnit.SECONDS)).agent().id()).isEqualTo(agentId);
      }
      assertThat(renewing.isDone()).isFalse();
      gate.open();
      assertThat(((Caller.AgentCaller) renewing.get(10, TimeUnit.SECONDS)).agent().id()).isEqualTo(agentId);
    } finally {
      gate.open();
      pool.shutdownNow();
    }
    assertThat(gate.statements.get()).isEqualTo(perLookup);
    // The answer read at 3.2 s lives until 7.2 s: at 5.2 s it is used without a lookup.
    clock.addAndGet(Duration.ofSeconds(2).toNanos());
    auth.authenticate(agentKey);
    assertThat(gate.statements.get()).isEqualTo(perLookup);
  }

  @Test
  void aKeyRevokedMeanwhileIsRefusedFromTheLookUpAgainOnAndTheCachedAnswerIsDropped() throws Exception {
    AtomicLong clock = new AtomicLong(1_000_000_000L);
    Gate gate = new Gate();
    gate.open();
    Authenticator auth = gate.authenticator(clock);
    auth.authenticate(agentKey);
    assertThat(db.jdbi().onDemand(ApiKeyDao.class).revokeCount(ApiKeys.idOf(agentKey))).isEqualTo(1);
    clock.addAndGet(Duration.ofSeconds(1).toNanos()); // revoked through another replica: cached for now
    auth.authenticate(agentKey);
    clock.addAndGet(Duration.ofMillis(2200).toNanos()); // 3.2 s: due, looked up, refused
    assertThatThrownBy(() -> auth.authenticate(agentKey)).isInstanceOf(AuthenticationException.class);
    // The answer cached before (valid until 4 s) is not used again.
    assertThatThrownBy(() -> auth.authenticate(agentKey)).isInstanceOf(AuthenticationException.class);
  }

  @Test
  void whenTheRegistryCannotBeReadTheAnswerDueForALookupServesUntilItExpires() throws Exception {
    AtomicLong clock = new AtomicLong(1_000_000_000L);
    Gate gate = new Gate();
    gate.open();
    Authenticator auth = gate.authenticator(clock);
    auth.authenticate(agentKey);
    gate.failing.set(true);
    clock.addAndGet(Duration.ofMillis(3200).toNanos()); // due: the lookup fails, the answer is within its TTL
    assertThat(((Caller.AgentCaller) auth.authenticate(agentKey)).agent().id()).isEqualTo(agentId);
    assertThat(((Caller.AgentCaller) auth.authenticate(agentKey)).agent().id()).isEqualTo(agentId);
    clock.addAndGet(Duration.ofMillis(1000).toNanos()); // 4.2 s: expired, and the registry still cannot be read
    assertThatThrownBy(() -> auth.authenticate(agentKey)).isInstanceOf(IllegalStateException.class);
    gate.failing.set(false);
    assertThat(((Caller.AgentCaller) auth.authenticate(agentKey)).agent().id()).isEqualTo(agentId);
  }

  /** A Jdbi of the test database whose statements wait while the gate is closed, or fail while {@code failing}. */
  private final class Gate {
    final AtomicInteger statements = new AtomicInteger();
    final AtomicBoolean failing = new AtomicBoolean();
    /** Counted down by the first statement after {@link #close}. */
    volatile CountDownLatch entered = new CountDownLatch(1);
    private volatile CountDownLatch open = new CountDownLatch(1);
    final Jdbi jdbi = db.jdbi();

    Gate() {
      jdbi.setSqlLogger(
          new SqlLogger() {
            @Override
            public void logBeforeExecution(StatementContext context) {
              if (failing.get()) {
                throw new IllegalStateException("the registry cannot be read");
              }
              statements.incrementAndGet();
              entered.countDown();
              try {
                open.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          });
    }

    /** An authenticator on this gate's Jdbi that keeps an answer for 4 s of {@code clock}'s time. */
    Authenticator authenticator(AtomicLong clock) {
      return new Authenticator(jdbi, Duration.ofSeconds(4), OidcAuthenticator.DEFAULT_JWKS_TTL, clock::get);
    }

    void open() {
      open.countDown();
    }

    void close() {
      entered = new CountDownLatch(1);
      open = new CountDownLatch(1);
    }
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
