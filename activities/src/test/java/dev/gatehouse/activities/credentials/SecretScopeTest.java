package dev.gatehouse.activities.credentials;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.activities.tool.ToolCallException;
import dev.gatehouse.registry.secrets.SecretBox;
import dev.gatehouse.registry.secrets.Secrets;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.testing.TestDatabase;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Which secrets a record's references read: a record the platform wrote for a tenant falls back
 * to the global secret of a name; one a tenant admin wrote (egress-guarded) reads its own tenant's
 * only, so a tenant admin cannot name the platform's provider key in a header sent to its own host.
 */
class SecretScopeTest {
  private static final String PLATFORM_KEY = "sk-platform-0123456789";
  private static TestDatabase db;
  private static UpstreamCredentials credentials;

  @BeforeAll
  static void start() {
    db = TestDatabase.create();
    db.jdbi().useExtension(TenantDao.class, t -> t.insert("ten_a", "a"));
    Secrets secrets = new Secrets(db.jdbi(), new SecretBox(Map.of("k1", SecretBox.newMasterKey()), "k1"));
    secrets.put(null, "platform-key", PLATFORM_KEY);
    secrets.put(null, "shared", "global-shared");
    secrets.put("ten_a", "shared", "tenant-shared");
    credentials = new UpstreamCredentials(secrets, Clock.systemUTC());
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  private static Map<String, String> header(String secret) {
    return Map.of("X-Key", "{{secret:" + secret + "}}");
  }

  @Test
  void aRecordThePlatformWroteFallsBackToTheGlobalSecret() {
    assertThat(credentials.resolve("tool t", "ten_a", header("platform-key"), null, false).headers()).containsEntry("X-Key", PLATFORM_KEY);
    assertThat(credentials.resolve("tool t", null, header("platform-key"), null, false).headers()).containsEntry("X-Key", PLATFORM_KEY);
  }

  @Test
  void aRecordATenantAdminWroteReadsItsOwnTenantsSecretsOnly() {
    assertThatThrownBy(() -> credentials.resolve("tool t", "ten_a", header("platform-key"), null, true))
        .isInstanceOf(ToolCallException.class)
        .hasMessageContaining("needs secret 'platform-key', which is not set")
        .hasMessageNotContaining(PLATFORM_KEY);
    assertThat(credentials.resolve("tool t", "ten_a", header("shared"), null, true).headers()).containsEntry("X-Key", "tenant-shared");
    assertThat(credentials.resolve("tool t", "ten_a", header("shared"), null, false).headers())
        .as("a tenant's own secret wins over the global one of its name either way")
        .containsEntry("X-Key", "tenant-shared");
  }

  /**
   * A process without the master key a rotation sealed the secret under (it was restarted with the
   * old key only): the call fails as credentials_unavailable naming the secret and the key, not as
   * an error inside Gatehouse.
   */
  @Test
  void aSecretSealedUnderAKeyThisProcessLacksIsUnavailableNotAnInternalError() {
    Secrets rotated = new Secrets(db.jdbi(), new SecretBox(Map.of("k2", SecretBox.newMasterKey()), "k2"));
    rotated.put("ten_a", "rotated", "sk-rotated-0123456789");
    UpstreamCredentials withOldKeyOnly =
        new UpstreamCredentials(new Secrets(db.jdbi(), new SecretBox(Map.of("k1", SecretBox.newMasterKey()), "k1")), Clock.systemUTC());
    assertThatThrownBy(() -> withOldKeyOnly.resolve("tool t", "ten_a", header("rotated"), null, false))
        .isInstanceOfSatisfying(ToolCallException.class, e -> assertThat(e.type()).isEqualTo(dev.gatehouse.workflows.tool.ToolFailureTypes.CREDENTIALS_UNAVAILABLE))
        .hasMessageContaining("tool t: secret 'rotated' is sealed with master key 'k2', which is not configured")
        .hasMessageNotContaining("sk-rotated");
  }

  @Test
  void soDoesItsClientSecret() {
    dev.gatehouse.registry.tools.UpstreamAuth auth =
        new dev.gatehouse.registry.tools.UpstreamAuth(
            dev.gatehouse.registry.tools.UpstreamAuth.CLIENT_CREDENTIALS, "http://10.255.255.1/token", "c", "{{secret:platform-key}}", null);
    assertThatThrownBy(() -> credentials.resolve("tool t", "ten_a", Map.of(), auth, true))
        .isInstanceOf(ToolCallException.class)
        .hasMessageContaining("needs secret 'platform-key'");
  }
}
