package dev.gatehouse.frontend.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.policies.limits.FailureThrottle;
import dev.gatehouse.registry.Ids;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.agents.Permissions;
import dev.gatehouse.registry.keys.ApiKeyDao;
import dev.gatehouse.registry.keys.ApiKeys;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.testing.TestDatabase;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The bearer check every face runs, against keys in a real PostgreSQL registry. */
class BearerAuthTest {
  private TestDatabase db;
  private AuditLog audit;
  private BearerAuth auth;
  private String agentKey;
  private String adminKey;

  @BeforeEach
  void start() {
    db = TestDatabase.create();
    var jdbi = db.jdbi();
    String tenant = Ids.newId("ten");
    jdbi.onDemand(TenantDao.class).insert(tenant, "t");
    String agent = Ids.newId("agt");
    jdbi.onDemand(AgentDao.class).insert(new Agent(agent, tenant, "a", null, Permissions.ALL, null, null));
    agentKey = ApiKeys.issue(ApiKeys.AGENT_KIND).key();
    jdbi.onDemand(ApiKeyDao.class).insertAgentKey(ApiKeys.idOf(agentKey), agent, ApiKeys.prefixOf(agentKey), ApiKeys.hash(agentKey), null);
    adminKey = ApiKeys.issue(ApiKeys.ADMIN_KIND).key();
    jdbi.onDemand(ApiKeyDao.class)
        .insertAdminKey(ApiKeys.idOf(adminKey), null, "root", ApiKeys.prefixOf(adminKey), ApiKeys.hash(adminKey), null);
    audit = new AuditLog(jdbi, 100, Duration.ofMillis(10));
    auth =
        new BearerAuth(
            new Authenticator(jdbi, Duration.ofSeconds(5)), new FailureThrottle(3, Duration.ofMinutes(1), Clock.systemUTC()), audit);
  }

  @AfterEach
  void stop() throws Exception {
    audit.close();
    db.close();
  }

  private Caller check(String header, BearerAuth.Audience audience) {
    return auth.authenticate(new BearerAuth.Attempt(header, "10.0.0.9", "/v1/tasks", "req_1"), audience, "the agent API");
  }

  private static void refused(Runnable r, ErrorCode expected) {
    assertThatThrownBy(r::run).isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.error()).isEqualTo(expected));
  }

  @Test
  void eachKeyIsACallerOfItsOwnAudienceOnly() {
    assertThat(check("Bearer " + agentKey, BearerAuth.Audience.AGENT)).isInstanceOf(Caller.AgentCaller.class);
    assertThat(check("bearer " + adminKey, BearerAuth.Audience.ADMIN)).isInstanceOf(Caller.AdminCaller.class);
    refused(() -> check("Bearer " + adminKey, BearerAuth.Audience.AGENT), ErrorCode.FORBIDDEN);
    refused(() -> check("Bearer " + agentKey, BearerAuth.Audience.ADMIN), ErrorCode.FORBIDDEN);
  }

  @Test
  void badCredentialsAreCountedAndAuditedAndThenTheAddressIsRefusedUnchecked() throws Exception {
    // A request without a credential guesses nothing: refused, audited, not counted.
    for (int i = 0; i < 5; i++) {
      refused(() -> check(null, BearerAuth.Audience.AGENT), ErrorCode.UNAUTHORIZED);
    }
    for (int i = 0; i < 3; i++) {
      String guess = "Bearer gk_live_guess_" + i;
      refused(() -> check(guess, BearerAuth.Audience.AGENT), ErrorCode.UNAUTHORIZED);
    }
    assertThatThrownBy(() -> check("Bearer " + agentKey, BearerAuth.Audience.AGENT))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.error()).isEqualTo(ErrorCode.TOO_MANY_FAILURES);
              assertThat(e.headers()).containsKey("Retry-After");
            });
    audit.flush();
    long rows =
        db.jdbi().withHandle(h ->
            h.createQuery("SELECT count(*) FROM audit_log WHERE action = 'auth' AND outcome = 'unauthorized' AND target = '/v1/tasks'")
                .mapTo(Long.class).one());
    assertThat(rows).isEqualTo(8);
  }

  @Test
  void anUnauthorizedAnswerSaysHowToAuthenticate() {
    assertThatThrownBy(() -> check("Basic dXNlcjpwYXNz", BearerAuth.Audience.AGENT))
        .isInstanceOfSatisfying(
            ApiException.class, e -> assertThat(e.headers()).containsEntry("WWW-Authenticate", "Bearer realm=\"gatehouse\""));
  }
}
