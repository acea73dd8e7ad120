package dev.gatehouse.activities.credentials;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What an upstream sends back is scrubbed of the secrets it was sent however it writes them: as
 * they are, JSON-escaped (a PHP-style {@code \/}, a backslash-u escape of any character, in either
 * case of hex digit), or as the name of a member.
 */
class RedactionTest {
  static final String SECRET = "Tool/Secret+xyz\"q";
  static final UpstreamCredentials.Resolved RESOLVED = new UpstreamCredentials.Resolved(Map.of(), Set.of(SECRET, "abc"));
  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aSecretIsRedactedAsItIsAndJsonEscaped() {
    assertThat(RESOLVED.redact("key " + SECRET + " end")).isEqualTo("key [redacted] end");
    // as a JSON encoder may write it
    assertThat(RESOLVED.redact("{\"e\":\"key Tool\\/Secret+xyz\\\"q\"}")).isEqualTo("{\"e\":\"key [redacted]\"}");
    assertThat(RESOLVED.redact("key \\u0054ool\\u002fSecret\\u002Bxyz\\u0022q")).isEqualTo("key [redacted]");
    assertThat(RESOLVED.redact("key \\u0054\\u006F\\u006f\\u006C\\/Secret+xyz\\\"q")).isEqualTo("key [redacted]");
    // Jackson's own escaping of the value
    assertThat(RESOLVED.redact(JSON.valueToTree(Map.of("e", SECRET)).toString())).isEqualTo("{\"e\":\"[redacted]\"}");
    // too short to be looked for (3 characters), and text that only looks alike
    assertThat(RESOLVED.redact("abc \\u0061bc")).isEqualTo("abc \\u0061bc");
    assertThat(RESOLVED.redact("Tool\\/Secret+xyz")).isEqualTo("Tool\\/Secret+xyz");
  }

  @Test
  void aMemberNamedWithASecretIsRenamedInPlaceAndTheOrderKept() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("in " + SECRET, "v " + SECRET);
    Map<String, Object> outer = new LinkedHashMap<>();
    outer.put("a", 1);
    outer.put(SECRET, inner);
    outer.put("z", List.of(SECRET));
    JsonNode tree = JSON.valueToTree(outer);

    JsonNode clean = RESOLVED.redactTree(tree);

    assertThat(clean.toString()).isEqualTo("{\"a\":1,\"[redacted]\":{\"in [redacted]\":\"v [redacted]\"},\"z\":[\"[redacted]\"]}");
  }
}
