package dev.gatehouse.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.registry.secrets.SecretBox;
import dev.gatehouse.registry.secrets.SecretDao;
import dev.gatehouse.registry.secrets.Secrets;
import dev.gatehouse.registry.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretsTest {
  static final String K1 = SecretBox.newMasterKey();
  static final String K2 = SecretBox.newMasterKey();

  @Test
  void valuesAreSealedAtRestAndOpenOnlyInTheirRow() {
    try (TestDatabase db = TestDatabase.create()) {
      db.jdbi().useHandle(h -> h.execute("INSERT INTO tenants (id, name) VALUES ('ten_a', 'a')"));
      Secrets secrets = new Secrets(db.jdbi(), new SecretBox(Map.of("k1", K1), "k1"));
      secrets.put(null, "github-token", "ghp_super_secret_value");
      secrets.put("ten_a", "github-token", "ghp_tenant_a_value");
      assertThat(secrets.value("ten_a", "github-token")).hasValue("ghp_tenant_a_value");
      assertThat(secrets.value("ten_b", "github-token")).hasValue("ghp_super_secret_value");
      assertThat(secrets.value(null, "missing")).isEmpty();
      assertThat(secrets.value("ten_b", "github-token", false)).as("no fallback asked for").isEmpty();
      assertThat(secrets.value("ten_a", "github-token", false)).hasValue("ghp_tenant_a_value");
      assertThat(secrets.value(null, "github-token", false)).as("a global record reads global secrets").hasValue("ghp_super_secret_value");

      byte[] stored = db.jdbi().withHandle(h -> h.createQuery("SELECT ciphertext FROM secrets WHERE tenant_id IS NULL").mapTo(byte[].class).one());
      assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain("ghp_super_secret_value");

      // A ciphertext moved to another row does not open there.
      SecretDao.Row global = db.jdbi().onDemand(SecretDao.class).find(null, "github-token").orElseThrow();
      SecretBox box = new SecretBox(Map.of("k1", K1), "k1");
      assertThatThrownBy(() -> box.open("ten_a", "github-token", global.sealed())).hasMessageNotContaining("ghp_");
    }
  }

  /**
   * What a process can tell of the stored secrets before a call needs one: which master keys in use
   * it cannot open (not configured, another key of that id, none at all), never a value.
   */
  @Test
  void whatCannotBeOpenedIsNamedByItsKeyBeforeACallNeedsIt() {
    try (TestDatabase db = TestDatabase.create()) {
      assertThat(Secrets.unopenable(db.jdbi(), null)).as("no secrets: nothing to open").isEmpty();
      new Secrets(db.jdbi(), new SecretBox(Map.of("k1", K1), "k1")).put(null, "api", "value-k1");
      new Secrets(db.jdbi(), new SecretBox(Map.of("k2", K2), "k2")).put(null, "other", "value-k2");

      assertThat(Secrets.unopenable(db.jdbi(), new SecretBox(Map.of("k1", K1, "k2", K2), "k2"))).isEmpty();
      assertThat(Secrets.unopenable(db.jdbi(), new SecretBox(Map.of("k1", K1), "k1")))
          .containsExactly("secrets sealed with master key 'k2' cannot be opened: secret 'other' is sealed with master key 'k2', which is not configured");
      assertThat(Secrets.unopenable(db.jdbi(), new SecretBox(Map.of("k1", K1, "k2", SecretBox.newMasterKey()), "k1")))
          .containsExactly("secrets sealed with master key 'k2' cannot be opened: secret 'other' does not decrypt (wrong master key or tampered row)");
      assertThat(Secrets.unopenable(db.jdbi(), null))
          .containsExactly(
              "secrets sealed with master key 'k1' cannot be opened: no master key is configured",
              "secrets sealed with master key 'k2' cannot be opened: no master key is configured");
      assertThat(String.join("", Secrets.unopenable(db.jdbi(), null))).doesNotContain("value-");
    }
  }

  @Test
  void rotationReSealsUnderTheNewKeyAndTheOldKeyCanThenGo() {
    try (TestDatabase db = TestDatabase.create()) {
      new Secrets(db.jdbi(), new SecretBox(Map.of("k1", K1), "k1")).put(null, "api", "value-1");
      Secrets both = new Secrets(db.jdbi(), new SecretBox(Map.of("k1", K1, "k2", K2), "k2"));
      assertThat(both.rotate()).isEqualTo(1);
      assertThat(both.rotate()).isZero();
      Secrets onlyNew = new Secrets(db.jdbi(), new SecretBox(Map.of("k2", K2), "k2"));
      assertThat(onlyNew.value(null, "api")).hasValue("value-1");
    }
  }

  @Test
  void badMasterKeysAreRefused() {
    assertThatThrownBy(() -> new SecretBox(Map.of("k1", "c2hvcnQ="), "k1")).hasMessageContaining("32 bytes");
    assertThatThrownBy(() -> new SecretBox(Map.of("k1", K1), "k9")).hasMessageContaining("k9");
  }
}
