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
 * case of hex digit), or as the name of a member; and an error message of any long run of one.
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
  void aSecretIsRedactedPercentEncodedHoweverTheEncoderChoseWhatToEscape() {
    String key = "Sk/+=Secr3t%value&more@long!! é";
    UpstreamCredentials.Resolved resolved = new UpstreamCredentials.Resolved(Map.of(), Set.of(key));
    String form = java.net.URLEncoder.encode(key, java.nio.charset.StandardCharsets.UTF_8); // space as +
    assertThat(form).contains("%2F").contains("+");
    assertThat(resolved.redact("bad key " + form + " end")).isEqualTo("bad key [redacted] end");
    // Python's quote(): '/' left alone, lower-case hex from other encoders, space as %20
    String python = "Sk/%2B%3DSecr3t%25value%26more%40long%21%21%20%C3%A9";
    assertThat(resolved.redact("enc=" + python)).isEqualTo("enc=[redacted]");
    assertThat(resolved.redact("enc=" + python.toLowerCase(java.util.Locale.ROOT).replace("sk/", "Sk/").replace("secr3t", "Secr3t")))
        .isEqualTo("enc=[redacted]");
    // an upstream's error message, as the MCP server status and tool errors carry it
    assertThat(resolved.redactMessage("answered HTTP 401: bad key " + form)).isEqualTo("answered HTTP 401: bad key [redacted]");
    // text with a % that is not the key stays as it is
    assertThat(resolved.redact("100% of Sk/ and %2B")).isEqualTo("100% of Sk/ and %2B");
    // A message quoting the key cut short and encoded loses the run, as one quoting it plain does.
    String cut = java.net.URLEncoder.encode(key.substring(0, 20), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(resolved.redactMessage("bad key " + cut + "...")).isEqualTo("bad key [redacted]...");
    assertThat(resolved.redact("bad key " + cut)).as("an answer's data loses whole values only").isEqualTo("bad key " + cut);
  }

  @Test
  void aMessageLosesEveryLongRunOfASecretAsWellAndAnAnswerOnlyWholeValues() {
    String key = "sk_live_0123456789abcdefghij";
    UpstreamCredentials.Resolved resolved = new UpstreamCredentials.Resolved(Map.of(), Set.of(key, "short_secret_15"));
    // cut short, its end, two runs that overlap in the text, and the whole value
    assertThat(resolved.redactMessage("bad key sk_live_01234567...")).isEqualTo("bad key [redacted]...");
    assertThat(resolved.redactMessage("key ending 3456789abcdefghij refused")).isEqualTo("key ending [redacted] refused");
    assertThat(resolved.redactMessage("a sk_live_0123456789abcdefXYZ b")).isEqualTo("a [redacted]XYZ b");
    assertThat(resolved.redactMessage("got " + key)).isEqualTo("got [redacted]");
    // in another case: an upstream that upper-cases what it echoes (a probe saw 11 characters of a key's end pass)
    assertThat(resolved.redactMessage("BAD KEY " + key.toUpperCase(java.util.Locale.ROOT) + "!")).isEqualTo("BAD KEY [redacted]!");
    // 11 characters of it, as providers show a key's start and end ("sk_live_012...ghij"), stay
    assertThat(resolved.redactMessage("sk_live_012...ghij")).isEqualTo("sk_live_012...ghij");
    // a secret shorter than 16 characters is looked for whole only
    assertThat(resolved.redactMessage("short_secret_1")).isEqualTo("short_secret_1");
    assertThat(resolved.redactMessage("x short_secret_15 y")).isEqualTo("x [redacted] y");
    // an answer's text keeps what is only a run: it may be data of its own
    assertThat(resolved.redact("bad key sk_live_01234567...")).isEqualTo("bad key sk_live_01234567...");
    assertThat(resolved.redactMessage(null)).isNull();
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
