package dev.gatehouse.policies.guardrails;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GuardrailConfigTest {

  @Test
  void defaults() {
    GuardrailConfig c = GuardrailConfig.builder().build();
    assertThat(c.enabled()).containsExactlyInAnyOrder(FindingKind.values());
    assertThat(c.action(FindingKind.PROMPT_INJECTION)).isEqualTo(GuardrailAction.BLOCK);
    assertThat(c.action(FindingKind.HIDDEN_UNICODE)).isEqualTo(GuardrailAction.REDACT);
    assertThat(c.action(FindingKind.EXFIL_LINK)).isEqualTo(GuardrailAction.REDACT);
    assertThat(c.action(FindingKind.SIZE)).isEqualTo(GuardrailAction.BLOCK);
    assertThat(c.action(FindingKind.DENY_PATTERN)).isEqualTo(GuardrailAction.BLOCK);
    assertThat(c.maxResponseChars()).isEqualTo(1 << 20);
  }

  @Test
  void sizeIsAlwaysEnabled() {
    GuardrailConfig c = GuardrailConfig.builder().enabled(List.of(FindingKind.EXFIL_LINK)).build();
    assertThat(c.enabled()).containsExactlyInAnyOrder(FindingKind.EXFIL_LINK, FindingKind.SIZE);
  }

  @Test
  void hostsAreLowerCasedAndChecked() {
    GuardrailConfig c = GuardrailConfig.builder().allowedLinkHosts(List.of("Docs.Example.COM", "*.github.com", "docs.example.com")).build();
    assertThat(c.allowedLinkHosts()).containsExactly("docs.example.com", "*.github.com");
    for (String bad : new String[] {"", "http://x.com", "x.com/path", "*.", "*x.com", "a..b", "-a.com", "x.com:443", "a b.com", "bücher.de"}) {
      assertThatThrownBy(() -> GuardrailConfig.builder().allowedLinkHosts(List.of("ok.com", bad)).build())
          .as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("allowedLinkHosts[1]");
    }
    assertThatThrownBy(() -> GuardrailConfig.builder().allowedLinkHosts(Arrays.asList("ok.com", null)).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("allowedLinkHosts[1]");
  }

  @Test
  void denyPatternsAreCheckedWhenTheConfigurationIsBuilt() {
    assertThatThrownBy(() -> GuardrailConfig.builder().denyPatterns(List.of("fine", "[broken")).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("denyPatterns[1] does not compile");
  }

  @Test
  void numbersMustBeInRange() {
    assertThatThrownBy(() -> GuardrailConfig.builder().maxResponseChars(0).build()).hasMessageStartingWith("maxResponseChars");
    assertThatThrownBy(() -> GuardrailConfig.builder().maxPromptChars(GuardrailConfig.MAX_CHARS + 1).build()).hasMessageStartingWith("maxPromptChars");
    assertThatThrownBy(() -> GuardrailConfig.builder().linkSegmentChars(7).build()).hasMessageStartingWith("linkSegmentChars");
    assertThatThrownBy(() -> GuardrailConfig.builder().linkPathChars(9_000).build()).hasMessageStartingWith("linkPathChars");
    assertThatThrownBy(() -> GuardrailConfig.builder().maxReportedFindings(-1).build()).hasMessageStartingWith("maxReportedFindings");
    assertThatThrownBy(() -> GuardrailConfig.builder().maxDepth(0).build()).hasMessageStartingWith("maxDepth");
  }

  @Test
  void everyKindNeedsAnAction() {
    Map<FindingKind, GuardrailAction> partial = new EnumMap<>(FindingKind.class);
    partial.put(FindingKind.SIZE, GuardrailAction.BLOCK);
    assertThatThrownBy(() -> new GuardrailConfig(Set.of(), partial, List.of(), List.of(), 10, 10, 40, 160, false, false, 10, 10))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no action for");
  }
}
