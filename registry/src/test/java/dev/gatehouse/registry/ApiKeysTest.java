package dev.gatehouse.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.registry.keys.ApiKeys;
import org.junit.jupiter.api.Test;

class ApiKeysTest {
  @Test
  void issuedKeysCarry256BitsBehindAReadablePrefixAndAreFiledUnderTheirLookupId() {
    ApiKeys.Issued a = ApiKeys.issue(ApiKeys.AGENT_KIND);
    ApiKeys.Issued b = ApiKeys.issue(ApiKeys.AGENT_KIND);
    assertThat(a.key()).startsWith("gk_live_").isNotEqualTo(b.key());
    String secret = a.key().substring(a.prefix().length() + 1);
    assertThat(secret).hasSize(43); // 32 bytes, base64url
    assertThat(ApiKeys.idOf(a.key())).isEqualTo(a.id()).startsWith("key_");
    assertThat(a.prefix()).isEqualTo(ApiKeys.prefixOf(a.key())).doesNotContain(secret);
    assertThat(ApiKeys.matches(a.key(), a.hash())).isTrue();
    assertThat(ApiKeys.matches(b.key(), a.hash())).isFalse();
    assertThat(ApiKeys.isAdminKey(a.key())).isFalse();
  }

  @Test
  void adminKeysAreToldApart() {
    ApiKeys.Issued admin = ApiKeys.issue(ApiKeys.ADMIN_KIND);
    assertThat(admin.key()).startsWith("gka_live_");
    assertThat(ApiKeys.isAdminKey(admin.key())).isTrue();
    assertThat(ApiKeys.idOf(admin.key())).startsWith("akey_");
    assertThat(ApiKeys.idOf("gka_chosen_by_hand")).startsWith("akey_h");
    assertThat(ApiKeys.idOf("my-dev-key")).startsWith("key_h");
    assertThat(ApiKeys.prefixOf("my-dev-key")).doesNotContain("my-dev-key");
  }
}
