package dev.gatehouse.policies.pii;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Test;

class JsonRedactorTest {
  private final ObjectMapper json = new ObjectMapper();
  private final JsonRedactor redactor = new JsonRedactor(PiiScanner.allBuiltIn());

  @Test
  void redactsStringsNumbersAndKeysAndLeavesTheRest() throws Exception {
    JsonNode in = json.readTree(
        "{\"to\":\"alice@example.com\",\"card\":4111111111111111,\"n\":42,\"ok\":true,\"none\":null,"
            + "\"items\":[{\"note\":\"call +1 202 555 0173\"},\"plain\",3.5],"
            + "\"byAddress\":{\"bob@example.org\":{\"ip\":\"192.0.2.7\"}}}");
    String before = in.toString();
    JsonRedactor.Result r = redactor.redact(in);
    assertThat(r.tree().toString()).isEqualTo(
        "{\"to\":\"[EMAIL]\",\"card\":\"[CARD]\",\"n\":42,\"ok\":true,\"none\":null,"
            + "\"items\":[{\"note\":\"call [PHONE]\"},\"plain\",3.5],"
            + "\"byAddress\":{\"[EMAIL]\":{\"ip\":\"[IP]\"}}}");
    assertThat(in.toString()).as("the input is not changed").isEqualTo(before);
    assertThat(r.findings().counts()).containsOnly(
        java.util.Map.entry("EMAIL", 2), java.util.Map.entry("CARD", 1), java.util.Map.entry("PHONE", 1), java.util.Map.entry("IP", 1));
  }

  /** A probe's card numbers written as 4.111111111111111E15, 4111111111111111.0 or -4111111111111111 reached the upstream whole. */
  @Test
  void aCardNumberWrittenWithAFractionOrAnExponentIsFoundToo() throws Exception {
    for (String written : new String[] {"4.111111111111111E15", "4111111111111111.0", "4111111111111111e0", "-4111111111111111", "-4.111111111111111E15"}) {
      JsonNode out = redactor.redact(json.readTree("{\"card\":" + written + "}")).tree();
      assertThat(out.get("card").isTextual()).as(written).isTrue();
      assertThat(out.get("card").asText()).as(written).contains("[CARD]").doesNotContain("1111");
    }
    JsonNode plain = redactor.redact(json.readTree("{\"price\":12.5,\"huge\":1e308,\"tiny\":1e-300}")).tree();
    assertThat(plain.get("price").isNumber()).isTrue();
    assertThat(plain.get("huge").isNumber()).as("too long to write out: left as it is").isTrue();
    assertThat(plain.get("tiny").isNumber()).isTrue();
  }

  @Test
  void keysThatRedactAlikeDoNotCollide() throws Exception {
    JsonNode in = json.readTree("{\"alice@example.com\":1,\"bob@example.com\":2,\"[EMAIL]#2\":3,\"[EMAIL]\":4}");
    JsonNode out = redactor.redact(in).tree();
    assertThat(out.size()).isEqualTo(4);
    assertThat(out.get("[EMAIL]").asInt()).isEqualTo(1);
    assertThat(out.get("[EMAIL]#3").asInt()).isEqualTo(2);
    assertThat(out.get("[EMAIL]#2").asInt()).isEqualTo(3);
    assertThat(out.get("[EMAIL]#4").asInt()).isEqualTo(4);
  }

  @Test
  void scanCountsWithoutCopyingAndFindingsHoldNoValue() throws Exception {
    JsonNode in = json.readTree("[\"sk-proj-Ab3dEf9hIjKlMnOpQrStUvWx12\",\"4111 1111 1111 1111\"]");
    PiiFindings f = redactor.scan(in);
    assertThat(f.total()).isEqualTo(2);
    assertThat(f.toString()).isEqualTo("1 CARD, 1 CREDENTIAL").doesNotContain("4111").doesNotContain("sk-");
    assertThat(f.byKind()).containsEntry(PiiKind.CREDENTIAL, 1).containsEntry(PiiKind.CARD, 1);
  }

  @Test
  void aTreeWithNothingFoundComesBackEqual() throws Exception {
    JsonNode in = json.readTree("{\"a\":[1,2,{\"b\":\"text\"}],\"c\":false}");
    JsonRedactor.Result r = redactor.redact(in);
    assertThat(r.tree()).isEqualTo(in).isNotSameAs(in);
    assertThat(r.findings().isEmpty()).isTrue();
  }

  @Test
  void refusesTreesNestedBeyondTheLimit() {
    ArrayNode root = JsonNodeFactory.instance.arrayNode();
    ArrayNode at = root;
    for (int i = 0; i < JsonRedactor.MAX_DEPTH + 2; i++) {
      at = at.addArray();
    }
    assertThatThrownBy(() -> redactor.scan(root)).hasMessageContaining("deeper than");
  }
}
