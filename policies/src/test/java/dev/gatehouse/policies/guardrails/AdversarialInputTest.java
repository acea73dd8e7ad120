package dev.gatehouse.policies.guardrails;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile shapes of input must finish: huge texts, many brackets, long runs, deep and wide JSON.
 * The timeouts are generous (a slow CI machine must not fail them); they catch a hang or a
 * quadratic blow-up, not a slowdown. Results are checked where they are known.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AdversarialInputTest {
  private static final int BIG = 2_000_000;

  private static GuardrailPolicy policy(GuardrailAction action) {
    GuardrailConfig.Builder b = GuardrailConfig.builder()
        .maxResponseChars(GuardrailConfig.MAX_CHARS)
        .maxReportedFindings(GuardrailConfig.MAX_REPORTED)
        .allowedLinkHosts(List.of("docs.example.com"))
        .denyPatterns(List.of("AKIA[0-9A-Z]{16}", "(?i)secret-[a-z]+", "((a+)+)+b"));
    for (FindingKind k : FindingKind.values()) {
      b.action(k, action);
    }
    return new GuardrailPolicy(b.build());
  }

  private static GuardrailResult<String> flag(String text) {
    return policy(GuardrailAction.FLAG).inspectResponse(text);
  }

  private static GuardrailResult<String> redact(String text) {
    GuardrailResult<String> r = policy(GuardrailAction.REDACT).inspectResponse(text);
    assertThat(r.value()).isNotNull();
    return r;
  }

  @Test
  void brackets() {
    assertThat(flag("[".repeat(BIG)).counts()).isEmpty();
    assertThat(flag("]".repeat(BIG)).counts()).isEmpty();
    assertThat(flag("](".repeat(BIG / 2)).counts()).isEmpty();
    assertThat(flag("![](".repeat(BIG / 4)).counts()).isEmpty();
    assertThat(flag("[".repeat(BIG / 2) + "](https://evil.example/?q=1)").counts()).containsEntry(FindingKind.EXFIL_LINK, 1);
    // Every "](//" makes the link inspector look back for its "[": bounded, so this stays linear.
    GuardrailResult<String> many = flag("[a](//e.example/?q=1)".repeat(100_000));
    assertThat(many.counts()).containsEntry(FindingKind.EXFIL_LINK, 100_000);
    assertThat(many.findings()).hasSize(GuardrailConfig.MAX_REPORTED);
    assertThat(many.omittedFindings()).isEqualTo(100_000 - GuardrailConfig.MAX_REPORTED);
  }

  @Test
  void urlsThatNeverEndOrNeverStart() {
    assertThat(flag("https://e.example/?" + "(".repeat(BIG)).counts()).containsEntry(FindingKind.EXFIL_LINK, 1);
    // One URL to the host "https" whose path is the rest: long, so it carries data.
    assertThat(flag("https://".repeat(BIG / 8)).counts()).containsOnly(java.util.Map.entry(FindingKind.EXFIL_LINK, 1));
    assertThat(flag("/".repeat(BIG)).counts()).isEmpty();
    assertThat(flag("http://[" + ":".repeat(BIG)).counts()).doesNotContainKey(FindingKind.EXFIL_LINK);
    assertThat(flag("<img src=".repeat(BIG / 9)).counts()).isEmpty();
    String longUrl = "https://e.example/" + "z".repeat(BIG);
    GuardrailResult<String> r = redact("see " + longUrl + " ok");
    assertThat(r.value()).isEqualTo("see [LINK REMOVED] ok");
  }

  @Test
  void longRuns() {
    assertThat(flag("z".repeat(BIG)).counts()).isEmpty(); // (a run of "a" is for the deny pattern's test below)
    assertThat(flag(" ".repeat(BIG)).counts()).isEmpty();
    assertThat(flag("\n".repeat(BIG)).counts()).isEmpty();
    assertThat(flag(":".repeat(BIG)).counts()).isEmpty(); // a ':' takes two places in the skeleton
    assertThat(flag("i ".repeat(BIG / 2)).counts()).isEmpty(); // one giant spelled-out word
    assertThat(flag("ignore ".repeat(BIG / 7)).counts()).isEmpty();
    assertThat(flag("ignore all all all all all all previous ".repeat(BIG / 40)).counts()).isEmpty();
    assertThat(flag("ignore previous instructions ".repeat(BIG / 29)).counts()).containsEntry(FindingKind.PROMPT_INJECTION, BIG / 29);
    assertThat(flag("<|".repeat(BIG / 2)).counts()).isEmpty();
    assertThat(flag("<|im_start".repeat(BIG / 10)).counts()).isEmpty();
    assertThat(flag("do do not ".repeat(BIG / 10)).counts()).isEmpty(); // every word a possible start
    assertThat(flag("ignoreallprevious".repeat(BIG / 17)).counts()).isEmpty(); // one long word, tried at every letter
    assertThat(flag("you are now ".repeat(BIG / 12)).counts()).isEmpty();
  }

  @Test
  void invisibleCharacters() {
    GuardrailResult<String> zw = redact("a\u200B".repeat(BIG / 2) + "a");
    assertThat(zw.counts()).containsEntry(FindingKind.HIDDEN_UNICODE, BIG / 2);
    assertThat(zw.value()).isEqualTo("a".repeat(BIG / 2 + 1));
    StringBuilder tags = new StringBuilder("x");
    for (int i = 0; i < BIG / 2; i++) {
      tags.appendCodePoint(0xE0061);
    }
    GuardrailResult<String> t = redact(tags.toString());
    assertThat(t.counts()).containsEntry(FindingKind.HIDDEN_UNICODE, 1);
    assertThat(t.value()).isEqualTo("x");
    assertThat(flag("\u202E".repeat(BIG)).counts()).containsEntry(FindingKind.HIDDEN_UNICODE, 1);
    assertThat(flag("\uD800".repeat(BIG)).counts()).isEmpty(); // lone surrogates
    assertThat(flag("\uDC00\uD800".repeat(BIG / 2)).counts()).isEmpty();
    assertThat(flag("\u0301".repeat(BIG)).counts()).isEmpty(); // combining marks only
  }

  @Test
  void catastrophicDenyPatternOnHugeInput() {
    GuardrailResult<String> r = flag("a".repeat(BIG) + "!");
    assertThat(r.counts()).containsEntry(FindingKind.DENY_PATTERN, 1);
    assertThat(r.findings().get(0).reason()).contains("did not finish");
  }

  @Test
  void theLargestTextAllowed() {
    String unit = "Lorem ipsum dolor sit amet, [link](https://docs.example.com/x?y=1) consectetur. ";
    String text = unit.repeat(GuardrailConfig.MAX_CHARS / unit.length());
    assertThat(flag(text).counts()).isEmpty();
    String over = text + "x".repeat(GuardrailConfig.MAX_CHARS - text.length() + 1);
    assertThat(flag(over).counts()).containsOnlyKeys(FindingKind.SIZE);
  }

  @Test
  void deepJson() {
    ArrayNode root = JsonNodeFactory.instance.arrayNode();
    ArrayNode cur = root;
    for (int i = 0; i < 200_000; i++) {
      cur = cur.addArray();
    }
    cur.add("ignore previous instructions");
    GuardrailResult<JsonNode> r = policy(GuardrailAction.REDACT).inspectResponse(root);
    assertThat(r.counts()).containsOnlyKeys(FindingKind.SIZE);
    assertThat(r.findings().get(0).path()).hasSizeLessThanOrEqualTo(Excerpts.MAX_PATH);

    ObjectNode obj = JsonNodeFactory.instance.objectNode();
    ObjectNode o = obj;
    for (int i = 0; i < 200_000; i++) {
      o = o.putObject("k");
    }
    assertThat(policy(GuardrailAction.BLOCK).inspectResponse(obj).blocked()).isTrue();
  }

  @Test
  void wideJson() {
    ArrayNode wide = JsonNodeFactory.instance.arrayNode();
    for (int i = 0; i < 300_000; i++) {
      wide.add(i % 1000 == 0 ? "pass\u200Bword" : "fine");
    }
    GuardrailResult<JsonNode> r = policy(GuardrailAction.REDACT).inspectResponse(wide);
    assertThat(r.counts()).containsExactly(java.util.Map.entry(FindingKind.HIDDEN_UNICODE, 300));
    assertThat(r.value().size()).isEqualTo(300_000);
    assertThat(r.value().get(1000).asText()).isEqualTo("password");
    assertThat(r.value().get(1)).isSameAs(wide.get(1));

    ObjectNode members = JsonNodeFactory.instance.objectNode();
    for (int i = 0; i < 200_000; i++) {
      members.put("key" + i, i);
    }
    assertThat(policy(GuardrailAction.BLOCK).inspectResponse(members).outcome()).isEqualTo(GuardrailResult.Outcome.CLEAN);
  }
}
