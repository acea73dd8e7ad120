package dev.gatehouse.registry.secrets;

import dev.gatehouse.registry.Ids;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/** Writes and reads secrets through the box; rotation re-seals every value under the active key. */
public final class Secrets {
  private final SecretDao dao;
  private final SecretBox box;

  public Secrets(Jdbi jdbi, SecretBox box) {
    this.dao = jdbi.onDemand(SecretDao.class);
    this.box = box;
  }

  public void put(String tenantId, String name, String value) {
    SecretBox.Sealed s = box.seal(tenantId, name, value);
    dao.put(Ids.newId("sec"), tenantId, name, s.keyId(), s.nonce(), s.ciphertext());
  }

  /** The value of a tenant's secret, falling back to the global one of that name; or of a global secret. */
  public Optional<String> value(String tenantId, String name) {
    return value(tenantId, name, true);
  }

  /**
   * The value of a tenant's secret, falling back to the global one of that name only when {@code
   * orGlobal}; or of a global secret ({@code tenantId} null).
   */
  public Optional<String> value(String tenantId, String name, boolean orGlobal) {
    Optional<SecretDao.Row> row = tenantId == null ? Optional.empty() : dao.find(tenantId, name);
    if (row.isEmpty() && (tenantId == null || orGlobal)) {
      row = dao.find(null, name);
    }
    return row.map(r -> box.open(r.tenantId(), r.name(), r.sealed()));
  }

  /**
   * Why secrets sealed under some master key cannot be opened here, one line per such key (its
   * key is not configured in this process, or is another key of that id); empty when every key in
   * use opens. One secret per key is opened, so the check costs one query and a few decryptions.
   * A process started without a rotation's new key, or with a wrong one, fails every call that
   * needs such a secret: this says so before a call does. {@code box} null: no master key
   * configured, so any stored secret is one this process cannot open.
   */
  public static List<String> unopenable(Jdbi jdbi, SecretBox box) {
    List<String> problems = new java.util.ArrayList<>();
    for (SecretDao.Row r : jdbi.onDemand(SecretDao.class).onePerKey()) {
      if (box == null) {
        problems.add("secrets sealed with master key '" + r.keyId() + "' cannot be opened: no master key is configured");
        continue;
      }
      try {
        box.open(r.tenantId(), r.name(), r.sealed());
      } catch (SecretBox.Unopenable e) {
        problems.add("secrets sealed with master key '" + r.keyId() + "' cannot be opened: " + e.getMessage());
      }
    }
    return problems;
  }

  /** Re-seals every secret that is not under the active master key; returns how many. */
  public int rotate() {
    int n = 0;
    for (SecretDao.Row r : dao.sealedWithOtherThan(box.activeKeyId())) {
      String value = box.open(r.tenantId(), r.name(), r.sealed());
      SecretBox.Sealed s = box.seal(r.tenantId(), r.name(), value);
      dao.reseal(r.id(), s.keyId(), s.nonce(), s.ciphertext());
      n++;
    }
    return n;
  }
}
