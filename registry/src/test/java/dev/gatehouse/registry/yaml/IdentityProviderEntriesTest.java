package dev.gatehouse.registry.yaml;

import static dev.gatehouse.registry.yaml.RegistryFixtures.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.idp.IdentityProvider;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One identity provider entry of a tenant, checked on its own. */
class IdentityProviderEntriesTest {
  private static final String P = "{name: corp, issuer: 'https://login.example', audience: gatehouse, jwksUrl: 'https://login.example/jwks'";

  static IdentityProvider check(String yaml) {
    return IdentityProviderEntries.check("identityProvider", entry(RegistryFile.IdentityProvider.class, yaml));
  }

  @Test
  void whatIsLeftOutGetsTheDefaultsAndTheIdAndTenantComeWhenApplied() {
    assertThat(check(P + "}")).isEqualTo(new IdentityProvider(null, null, "corp", "https://login.example", "gatehouse",
        "https://login.example/jwks", IdentityProvider.DEFAULT_ALGORITHMS, "sub", 60));
    IdentityProvider written = check(P + ", algorithms: [ES256], agentClaim: client_id, clockSkewSeconds: 0}");
    assertThat(written.algorithms()).isEqualTo(List.of("ES256"));
    assertThat(written.agentClaim()).isEqualTo("client_id");
    assertThat(written.clockSkewSeconds()).isZero();
  }

  static Stream<Arguments> rejected() {
    String badName = "identityProvider.name must be 1-64 letters, digits, '.', '_' or '-'";
    String at = "identityProvider (corp) ";
    return Stream.of(
        Arguments.of("{issuer: 'https://login.example'}", badName),
        Arguments.of("{name: 'b c'}", badName),
        Arguments.of(P.replace("https://login.example'", "login.example'") + "}",
            at + "'issuer' must be an absolute https:// (or http://) URL"),
        Arguments.of(P.replace("'https://login.example/jwks'", "'/jwks'") + "}",
            at + "'jwksUrl' must be an absolute https:// (or http://) URL"),
        Arguments.of(P.replace("audience: gatehouse", "audience: ' '") + "}", at + "'audience' is required (at most 512 characters)"),
        Arguments.of(P + ", algorithms: [RS256, HS256]}",
            at + "algorithm 'HS256' is not accepted; use asymmetric ones: " + IdentityProvider.DEFAULT_ALGORITHMS),
        Arguments.of(P + ", algorithms: [RS256, null]}",
            at + "algorithm 'null' is not accepted; use asymmetric ones: " + IdentityProvider.DEFAULT_ALGORITHMS),
        Arguments.of(P + ", algorithms: [EdDSA]}",
            at + "algorithm 'EdDSA' is not accepted; use asymmetric ones: " + IdentityProvider.DEFAULT_ALGORITHMS),
        Arguments.of(P + ", algorithms: [" + "RS256, ".repeat(9) + "RS256]}", at + "'algorithms' lists at most 9 algorithms"),
        Arguments.of(P.replace("'https://login.example/jwks'", "'https://user:pw@login.example/jwks'") + "}",
            at + "'jwksUrl' must not carry a user name or password"),
        Arguments.of(P.replace("'https://login.example/jwks'", "'https://login.example/" + "j".repeat(2100) + "'") + "}",
            at + "'jwksUrl' is longer than 2048 characters"),
        Arguments.of(P + ", agentClaim: email}", at + "'agentClaim' must be sub or client_id"),
        Arguments.of(P + ", clockSkewSeconds: 601}", at + "'clockSkewSeconds' must be between 0 and 600"),
        Arguments.of(P + ", clockSkewSeconds: -1}", at + "'clockSkewSeconds' must be between 0 and 600"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("rejected")
  void aBadFieldIsRejectedWithWhatItMustBe(String yaml, String message) {
    assertThatThrownBy(() -> check(yaml))
        .isInstanceOf(RegistryException.class)
        .hasMessage(message)
        .extracting(e -> ((RegistryException) e).code())
        .isEqualTo("invalid_registry");
  }
}
